#include "sequence/step_fields.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "common/error.hpp"
#include "common/text.hpp"
#include "record/uncertainty.hpp"
#include "sequence/steps/registry.hpp"

namespace ampbench::sequence {
namespace {

using R = TomlReader;
using record::Dimension;

LimitSegment limit_segment(const R& r, const toml::node* node, const std::string& field) {
  if (!node->is_table()) r.fail(node, field, "must be a table { min = …, max = … }");
  const toml::table& t = *node->as_table();
  r.reject_unknown_keys(t, field, record::limit_keys());
  LimitSegment l;
  l.line = r.line_of(node);
  l.min = r.number(t, "min", field);
  l.max = r.number(t, "max", field);
  if (!l.min && !l.max) r.fail(node, field, "needs min, max or both");
  if (l.min && l.max && *l.min > *l.max) r.fail(node, field, "min is above max");
  if (const auto decision = r.string(t, "decision", field)) {
    if (*decision != "simple" && *decision != "guarded")
      r.fail(t.get("decision"), field + ".decision",
             "'" + *decision + "' is no decision rule (expected simple or guarded)");
    if (*decision == "guarded") l.decision = record::Decision::guarded;
  }
  for (const auto& axis : record::limit_axes()) {
    auto& range = l.range(axis.axis);
    const std::string from_key(axis.from_key), to_key(axis.to_key);
    range.from = r.number(t, from_key, field);
    range.to = r.number(t, to_key, field);
    for (const auto& [key, value] : {std::pair{from_key, range.from}, std::pair{to_key, range.to}})
      if (axis.positive && value && !(*value > 0.0))
        r.fail(t.get(key), field + "." + key, "must be positive");
    if (range.from && range.to && *range.from >= *range.to)
      r.fail(t.get(to_key), field + "." + to_key, "must be above " + from_key);
  }
  l.load_ohm = r.number(t, "load_ohm", field);
  if (l.load_ohm && !(*l.load_ohm > 0.0))
    r.fail(t.get("load_ohm"), field + ".load_ohm", "must be positive");
  if (const toml::node* bands = t.get("exclude_hz")) {
    const std::string what = "must be a list of [from, to] bands in Hz: [[45, 70]]";
    if (!bands->is_array()) r.fail(bands, field + ".exclude_hz", what);
    for (const auto& band : *bands->as_array()) {
      const auto* pair = band.as_array();
      if (!pair || pair->size() != 2 || !(*pair)[0].is_number() || !(*pair)[1].is_number())
        r.fail(&band, field + ".exclude_hz", what);
      const double from = (*pair)[0].value<double>().value_or(0.0);
      const double to = (*pair)[1].value<double>().value_or(0.0);
      if (!(from >= 0.0 && to > from))
        r.fail(&band, field + ".exclude_hz",
               "each band must run from a lower to a higher frequency");
      l.exclude_hz.emplace_back(from, to);
    }
  }
  return l;
}

}  // namespace

// A table, or a list of tables each judging the points it covers.
Limit limit_field(const R& r, const toml::node* node, const std::string& field) {
  Limit limit;
  if (const auto* list = node->as_array()) {
    if (list->empty()) r.fail(node, field, "must hold at least one { min, max } table");
    for (std::size_t i = 0; i < list->size(); ++i)
      limit.segments.push_back(
          limit_segment(r, list->get(i), field + "[" + std::to_string(i) + "]"));
  } else {
    limit.segments.push_back(limit_segment(r, node, field));
  }
  return limit;
}

namespace {

// A generated point to 12 significant figures: 20·1000^(1/3) is 199.99999999999997 in
// binary, and it would show so in every report, legend and export where 200 Hz was meant.
double to_12_figures(double v) {
  return v == 0.0 ? 0.0 : std::stod(fmt("%.12g", v));
}

std::vector<SweepValue> sweep_values(const R& r, const toml::table& t, const std::string& field,
                                     bool is_level, bool linear_by_default = false) {
  std::vector<SweepValue> values;
  if (const toml::node* v = t.get("values")) {
    if (!v->is_array() || v->as_array()->empty())
      r.fail(v, field + ".values", "must be a non-empty array");
    for (const auto& e : *v->as_array()) {
      if (is_level) {
        values.emplace_back(level_field(r, &e, field + ".values"));
      } else {
        if (!e.is_number()) r.fail(&e, field + ".values", "every value must be a number");
        values.emplace_back(e.value<double>().value_or(0.0));
      }
    }
    if (t.get("from") || t.get("to"))
      r.fail(&t, field, "give either values or from/to/points, not both");
    return values;
  }
  const toml::node* from = t.get("from");
  const toml::node* to = t.get("to");
  if (!from || !to) r.fail(&t, field, "needs values, or from, to and points");
  const auto points = r.integer(t, "points", field);
  if (!points || *points < 2 || *points > 10000)
    r.fail(t.get("points") ? t.get("points") : &t, field + ".points",
           "must be an integer from 2 to 10000");
  // Levels in dB step evenly in dB; in V or W, evenly in their logarithm unless told.
  const bool linear_unit =
      is_level && from->is_string() && !is_db_unit(level_field(r, from, field + ".from").unit);
  const std::string spacing =
      r.string(t, "spacing", field)
          .value_or((is_level && !linear_unit) || linear_by_default ? "linear" : "log");
  if (spacing != "linear" && spacing != "log")
    r.fail(t.get("spacing"), field + ".spacing", "must be \"linear\" or \"log\"");
  const auto n = static_cast<int>(*points);
  if (is_level) {
    Level a = level_field(r, from, field + ".from"), b = level_field(r, to, field + ".to");
    if (!same_quantity(a.unit, b.unit))
      r.fail(to, field + ".to", "must be in the same unit as from");
    if (a.unit != b.unit) {  // "10 mW" to "200 W": the points in W (mV to V: in V)
      const auto base = [](Level l) {
        if (l.unit == LevelUnit::milliwatt) return Level{l.value * 1e-3, LevelUnit::watt};
        if (l.unit == LevelUnit::millivolt) return Level{l.value * 1e-3, LevelUnit::volt};
        return l;
      };
      a = base(a);
      b = base(b);
    }
    const bool db = is_db_unit(a.unit);
    if (spacing == "log" && !db && (a.value <= 0.0 || b.value <= 0.0))
      r.fail(from, field, "log spacing needs levels above zero");
    for (int i = 0; i < n; ++i) {
      const double u = static_cast<double>(i) / (n - 1);
      const double v = (spacing == "log" && !db) ? a.value * std::pow(b.value / a.value, u)
                                                 : a.value + (b.value - a.value) * u;
      values.emplace_back(Level{to_12_figures(v), a.unit});
    }
  } else {
    if (!from->is_number() || !to->is_number()) r.fail(from, field, "from and to must be numbers");
    const double a = from->value<double>().value_or(0.0), b = to->value<double>().value_or(0.0);
    if (spacing == "log" && (a <= 0.0 || b <= 0.0))
      r.fail(from, field, "log spacing needs values above zero");
    for (int i = 0; i < n; ++i) {
      const double u = static_cast<double>(i) / (n - 1);
      values.emplace_back(
          to_12_figures(spacing == "log" ? a * std::pow(b / a, u) : a + (b - a) * u));
    }
  }
  return values;
}

SweepAxis sweep_axis(const R& r, const toml::node* node, const std::string& field) {
  if (!node->is_table()) r.fail(node, field, "must be a table { parameter = …, … }");
  const toml::table& t = *node->as_table();
  r.reject_unknown_keys(t, field, kSweepKeys);
  const auto parameter = r.string(t, "parameter", field);
  if (!parameter) r.fail(node, field + ".parameter", "required field is missing");
  const record::DimensionSpec* dimension = record::find_dimension(*parameter);
  if (!dimension)
    r.fail(
        t.get("parameter"), field + ".parameter",
        "cannot sweep '" + *parameter + "' (expected " + record::dimension_keys_in_words() + ")");
  SweepAxis axis{*parameter, dimension->dimension, {}, r.line_of(node)};
  if (dimension->value == record::DimensionValue::name) {
    const auto names = r.string_array(t, "values", field);
    if (!names || names->empty() || t.get("from"))
      r.fail(node, field + ".values",
             *parameter + " sweeps a list of " + lowercase(dimension->title) + " names");
    for (const auto& n : *names) axis.values.emplace_back(n);
    return axis;
  }
  const bool level = dimension->value == record::DimensionValue::level;
  const bool linear = dimension->spacing == record::Spacing::linear;
  axis.values = sweep_values(r, t, field, level, !level && linear);
  const bool positive = dimension->spacing == record::Spacing::log;
  for (const auto& v : axis.values) {
    if (const double* d = std::get_if<double>(&v); d && positive && !(*d > 0.0))
      r.fail(node, field, "every value of " + *parameter + " must be positive");
  }
  return axis;
}

// An output level: on a kind that can find its input level, never beside an input level.
void check_output_level(const R& r, const toml::table& t, const StepPlan& s, const std::string& p) {
  const bool output = s.stimulus.output_level || s.sweeps_over(Dimension::output_level);
  if (!output) return;
  const toml::node* at = nullptr;
  if (const auto* st = t.get_as<toml::table>("stimulus")) at = st->get("output_level");
  if (!at) at = &t;
  const std::string field =
      p + "." + std::string(record::path_of(record::StimulusField::output_level));
  if (s.stimulus.level || s.sweeps_over(Dimension::level))
    r.fail(at, field, "a step has level (at the DUT's input) or output_level, never both");
  const auto check_unit = [&](const Level& level) {
    if (level.unit == LevelUnit::dbfs)
      r.fail(at, field, "dBFS is a level of the interface, not of the DUT's output");
    if (is_power(level.unit) && !s.load_ohm && !s.sweeps_over(Dimension::load))
      r.fail(at, field, "an output level in W needs the step's load_ohm");
  };
  if (s.stimulus.output_level) check_unit(*s.stimulus.output_level);
  for (const auto& axis : s.sweeps)
    if (axis.dimension == Dimension::output_level)
      for (const auto& v : axis.values) check_unit(std::get<Level>(v));
}

// A key of the step table that the common fields and the step's kind do not know: named
// as another kind's when it is one.
[[noreturn]] void refuse_key(const R& r, const toml::node& node, const std::string& field,
                             std::string_view key, const StepKind& kind) {
  std::string owners;
  for (const StepKind* other : step_kinds()) {
    const auto keys = other->keys();
    if (std::find(keys.begin(), keys.end(), key) != keys.end())
      owners += (owners.empty() ? "" : ", ") + std::string(other->name());
  }
  if (owners.empty()) r.fail(&node, field, "unknown field");
  r.fail(&node, field,
         "is not a field of " + with_article(kind.name()) + " step (it is one of: " + owners + ")");
}

std::string stimulus_fields_in_words(const StepKind& kind) {
  std::string out;
  for (const auto field : kind.stimulus_fields())
    out += (out.empty() ? "" : ", ") + std::string(record::spec_of(field).key);
  return out.empty() ? "none" : out;
}

// "a noise step does not read stimulus.output_level (its stimulus fields: frequency_hz, level;
// level, thdn and frequency_response steps read it)".
std::string not_read(const StepKind& kind, const record::StimulusFieldSpec& spec) {
  std::string readers;
  for (const StepKind* other : step_kinds())
    if (other->reads(spec.field))
      readers += (readers.empty() ? "" : ", ") + std::string(other->name());
  const bool vowel = std::string_view("aeiou").find(kind.name().front()) != std::string_view::npos;
  const auto why = kind.why_not_read(spec.field);
  return (vowel ? "an " : "a ") + std::string(kind.name()) + " step does not read " +
         std::string(spec.path) + (why.empty() ? "" : ": " + std::string(why)) +
         " (its stimulus fields: " + stimulus_fields_in_words(kind) +
         (readers.empty() ? "" : "; " + readers + " steps read it") + ")";
}

// Every key of the stimulus table is a stimulus field the step's kind reads: one it ignores
// would run and pass as if it had been applied. `source` goes with any stimulus at all (the
// checks say whether the generator can make it).
void check_stimulus_keys(const R& r, const toml::table& st, const std::string& field,
                         const StepKind& kind) {
  for (const auto& [key, node] : st) {
    const auto* spec = record::find_stimulus_field(key.str());
    const std::string at = field + "." + std::string(key.str());
    if (!spec) r.fail(&node, at, "unknown field");
    const bool reads = spec->field == record::StimulusField::source
                           ? !kind.stimulus_fields().empty()
                           : kind.reads(spec->field);
    if (!reads) r.fail(&node, at, not_read(kind, *spec));
  }
}

// A sweep sets a stimulus field: the kind must read it.
void check_swept_field(const R& r, const toml::table& t, const std::string& field,
                       const SweepAxis& axis, const StepKind& kind) {
  for (const auto& spec : record::stimulus_fields())
    if (spec.dimension == axis.dimension && !kind.reads(spec.field)) {
      const toml::node* at = t.get("sweep");
      if (const auto* list = at ? at->as_array() : nullptr)
        for (const auto& node : *list)
          if (r.line_of(&node) == axis.line) at = &node;
      r.fail(at ? at : &t, field + ".sweep", not_read(kind, spec));
    }
}

}  // namespace

Level level_field(const TomlReader& r, const toml::node* node, const std::string& field) {
  if (!node->is_string()) r.fail(node, field, "must be a level string such as \"-20 dBV\"");
  try {
    return parse_level(node->as_string()->get());
  } catch (const std::invalid_argument& e) {
    r.fail(node, field, e.what());
  }
}

bool step_accepts_key(const StepKind& kind, std::string_view key) {
  const auto own = kind.keys();
  return std::find(std::begin(kCommonStepKeys), std::end(kCommonStepKeys), key) !=
             std::end(kCommonStepKeys) ||
         std::find(own.begin(), own.end(), key) != own.end();
}

void parse_step(const TomlReader& r, const toml::table& t, const toml::table* defaults,
                StepPlan& s) {
  const std::string p = "step." + (s.id.empty() ? std::string("?") : s.id);
  const auto kind_text = r.string(t, "kind", p);
  if (!kind_text) r.fail(&t, p + ".kind", "required field is missing");
  s.kind = find_step_kind(*kind_text);
  if (!s.kind) r.fail(t.get("kind"), p + ".kind", "unknown step kind '" + *kind_text + "'");
  for (const auto& [key, node] : t)
    if (!step_accepts_key(*s.kind, key.str()))
      refuse_key(r, node, p + "." + std::string(key.str()), key.str(), *s.kind);
  s.cleanup = r.boolean(t, "cleanup", p).value_or(s.kind->cleanup_by_default());

  const auto timing = [&](std::string_view key, double fallback) {
    std::optional<double> v = r.number(t, key, p);
    const toml::node* at = t.get(key);
    if (!v && defaults) {
      v = r.number(*defaults, key, "defaults");
      at = defaults->get(key);
    }
    if (v && (*v < 0.0 || *v > 3600.0))
      r.fail(at, std::string(at == t.get(key) ? p : "defaults") + "." + std::string(key),
             "must be 0 to 3600 s");
    return v.value_or(fallback);
  };
  s.settle_s = timing("settle_s", 0.1);
  s.capture_s = timing("capture_s", 0.5);
  if (s.capture_s <= 0.0) r.fail(&t, p + ".capture_s", "must be positive");
  // load_ohm = [8, 4] sweeps the loads (outermost), like a sweep over load_ohm.
  std::optional<double> load;
  if (const toml::node* loads = t.get("load_ohm"); loads && loads->is_array()) {
    SweepAxis axis{
        std::string(record::key_of(Dimension::load)), Dimension::load, {}, r.line_of(loads)};
    const std::vector<double> ohms = *r.number_array(t, "load_ohm", p);
    for (double ohm : ohms) {
      if (!(ohm > 0.0)) r.fail(loads, p + ".load_ohm", "every load must be positive");
      axis.values.emplace_back(ohm);
    }
    if (axis.values.empty()) r.fail(loads, p + ".load_ohm", "must not be empty");
    load = std::get<double>(axis.values.front());
    s.sweeps.push_back(std::move(axis));
  } else {
    load = r.number(t, "load_ohm", p);
    if (!load && defaults) load = r.number(*defaults, "load_ohm", "defaults");
    if (load && !(*load > 0.0)) r.fail(t.get("load_ohm"), p + ".load_ohm", "must be positive");
  }
  s.load_ohm = load;

  if (const toml::table* st = r.table(t, "stimulus", p, false)) {
    const std::string q = p + ".stimulus";
    check_stimulus_keys(r, *st, q, *s.kind);
    if (const auto source = r.string(*st, "source", q)) {
      if (*source == "generator")
        s.stimulus.source = StimulusSource::generator;
      else if (*source != "interface")
        r.fail(st->get("source"), q + ".source",
               "unknown source '" + *source + "' (expected interface or generator)");
    }
    s.stimulus.frequency_hz = r.number(*st, "frequency_hz", q);
    if (const toml::node* level = st->get("level"))
      s.stimulus.level = level_field(r, level, q + ".level");
    if (const toml::node* level = st->get("output_level")) {
      s.stimulus.output_level = level_field(r, level, q + ".output_level");
      if (s.stimulus.level)
        r.fail(level, q + ".output_level",
               "a step has level (at the DUT's input) or output_level, never both");
    }
    s.stimulus.from_hz = r.number(*st, "from_hz", q);
    s.stimulus.to_hz = r.number(*st, "to_hz", q);
    if (auto duration = r.number(*st, "duration_s", q)) {
      if (*duration < 0.1 || *duration > 600.0)
        r.fail(st->get("duration_s"), q + ".duration_s", "must be 0.1 to 600 s");
      s.stimulus.duration_s = *duration;
    }
    if (auto points = r.integer(*st, "points", q)) {
      if (*points < 2 || *points > 1000)
        r.fail(st->get("points"), q + ".points", "must be 2 to 1000");
      s.stimulus.points = static_cast<int>(*points);
    }
    for (const char* key : {"frequency_hz", "from_hz", "to_hz"}) {
      if (auto v = r.number(*st, key, q); v && !(*v > 0.0))
        r.fail(st->get(key), q + "." + key, "must be positive");
    }
    if (s.stimulus.from_hz && s.stimulus.to_hz && *s.stimulus.from_hz >= *s.stimulus.to_hz)
      r.fail(st->get("to_hz"), q + ".to_hz", "must be above from_hz");
  }
  if (const toml::node* sweep = t.get("sweep")) {
    if (sweep->is_array()) {
      for (const auto& axis : *sweep->as_array())
        s.sweeps.push_back(sweep_axis(r, &axis, p + ".sweep"));
    } else {
      s.sweeps.push_back(sweep_axis(r, sweep, p + ".sweep"));
    }
    for (const auto& axis : s.sweeps) check_swept_field(r, t, p, axis, *s.kind);
    // A sweep over load_ohm is the same as load_ohm = [8, 4]: the step has a load.
    for (const auto& axis : s.sweeps)
      if (axis.dimension == Dimension::load && !s.load_ohm && !axis.values.empty())
        s.load_ohm = std::get<double>(axis.values.front());
  }
  if (const toml::table* limits = r.table(t, "limits", p, false)) {
    const auto known = s.kind->measurements();
    for (const auto& [key, node] : *limits) {
      const std::string name(key.str());
      const std::string field = p + ".limits." + name;
      if (std::none_of(known.begin(), known.end(),
                       [&](const MeasurementSpec& m) { return m.name == name; }) &&
          !s.kind->draws(name))
        r.fail(&node, field,
               "'" + name + "' is not a measurement or curve of " + with_article(*kind_text) +
                   " step");
      s.limits[name] = limit_field(r, &node, field);
      for (const auto& segment : s.limits[name].segments)
        if (segment.decision == record::Decision::guarded && !record::uncertainty_modelled(name))
          r.fail(&node, field,
                 "a guarded decision needs the value's uncertainty, modelled for gain_db, "
                 "level_dbv, level_vrms and power_w (docs/calibration.md)");
      for (const auto& segment : s.limits[name].segments)
        if ((segment.range(record::LimitAxis::power).bounded() || segment.load_ohm) && !s.load_ohm)
          r.fail(&node, field, "a segment bounded in W or by load_ohm needs the step's load_ohm");
    }
  }
  if (const toml::table* d = r.table(t, "dut", p, false)) {
    const std::string q = p + ".dut";
    r.reject_unknown_keys(*d, q, {"input", "gain_db", "bass_db", "treble_db", "phantom"});
    // A list sweeps that control (outermost, like load_ohm = [8, 4]): input = ["line", "mic"].
    std::vector<SweepAxis> listed;
    for (const char* key : {"input", "gain_db", "bass_db", "treble_db"}) {
      const toml::node* node = d->get(key);
      if (!node || !node->is_array()) continue;
      const auto* dimension = record::find_dimension(std::string("dut.") + key);
      SweepAxis axis{std::string(dimension->key), dimension->dimension, {}, r.line_of(node)};
      if (std::string_view(key) == "input") {
        const auto names = r.string_array(*d, key, q);
        for (const auto& name : *names) axis.values.emplace_back(name);
      } else {
        const auto values = r.number_array(*d, key, q);
        for (double v : *values) axis.values.emplace_back(v);
      }
      if (axis.values.empty()) r.fail(node, q + "." + key, "must not be empty");
      listed.push_back(std::move(axis));
    }
    s.sweeps.insert(s.sweeps.begin(), listed.begin(), listed.end());
    const auto scalar = [&](const char* key) { return d->get(key) && !d->get(key)->is_array(); };
    if (scalar("input")) s.dut.input = r.string(*d, "input", q);
    if (scalar("gain_db")) s.dut.gain_db = r.number(*d, "gain_db", q);
    if (scalar("bass_db")) s.dut.bass_db = r.number(*d, "bass_db", q);
    if (scalar("treble_db")) s.dut.treble_db = r.number(*d, "treble_db", q);
    s.dut.phantom = r.boolean(*d, "phantom", q);
  }
  check_output_level(r, t, s, p);
  if (const toml::node* probe = t.get("probe_level")) {
    const std::string field = p + ".probe_level";
    s.probe_level = level_field(r, probe, field);
    if (!s.stimulus.output_level && !s.sweeps_over(Dimension::output_level))
      r.fail(probe, field, "is where an output_level search starts; this step has no output_level");
    if (s.probe_level->unit == LevelUnit::dbfs || is_power(s.probe_level->unit))
      r.fail(probe, field, "a level at the DUT's input: dBV, dBu or V");
  }
  s.kind_params = s.kind->parse(r, t, s, p);
}

}  // namespace ampbench::sequence
