#include "sequence/plan.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "common/error.hpp"
#include "common/toml_reader.hpp"
#include "dsp/imd.hpp"

namespace ampbench::sequence {
namespace {

using R = TomlReader;

struct KindInfo {
  StepKind kind;
  std::string_view name;
  std::vector<std::string_view> measurements;
};

const std::vector<KindInfo>& kinds() {
  static const std::vector<KindInfo> k = {
      {StepKind::level,
       "level",
       {"gain_db", "level_dbv", "level_vrms", "frequency_hz", "balance_db"}},
      {StepKind::thdn,
       "thdn",
       {"thdn_pct", "thdn_db", "thd_pct", "thd_db", "sinad_db", "snr_db", "gain_db", "level_dbv",
        "level_vrms"}},
      {StepKind::frequency_response,
       "frequency_response",
       {"deviation_db", "deviation_min_db", "deviation_max_db", "f_low_3db_hz", "f_high_3db_hz",
        "gain_db", "gain_100hz_db", "gain_10khz_db", "bass_turnover_hz", "treble_turnover_hz"}},
      {StepKind::noise,
       "noise",
       {"noise_dbv", "snr_db", "dynamic_range_db", "ein_dbu", "ein_a_dbu"}},
      {StepKind::imd, "imd", {"imd_pct", "imd_db"}},
      {StepKind::crosstalk, "crosstalk", {"crosstalk_db"}},
      {StepKind::max_power,
       "max_power",
       {"power_w", "clip_vrms", "thdn_pct", "thd_pct", "dynamic_headroom_db", "burst_power_w"}},
      {StepKind::output_impedance, "output_impedance", {"output_impedance_ohm", "damping_factor"}},
      {StepKind::prompt, "prompt", {}},
      {StepKind::set, "set", {}},
      {StepKind::cleanup, "cleanup", {}},
      {StepKind::input_impedance, "input_impedance", {"input_impedance_ohm"}},
      {StepKind::phantom, "phantom", {"phantom_v"}},
  };
  return k;
}

const KindInfo& info(StepKind kind) {
  for (const auto& k : kinds())
    if (k.kind == kind) return k;
  return kinds().front();
}

Level level_field(const R& r, const toml::node* node, const std::string& field) {
  if (!node->is_string()) r.fail(node, field, "must be a level string such as \"-20 dBV\"");
  try {
    return parse_level(node->as_string()->get());
  } catch (const std::invalid_argument& e) {
    r.fail(node, field, e.what());
  }
}

std::optional<Limit> limit_field(const R& r, const toml::node* node, const std::string& field) {
  if (!node->is_table()) r.fail(node, field, "must be a table { min = …, max = … }");
  const toml::table& t = *node->as_table();
  r.reject_unknown_keys(t, field, {"min", "max", "from_hz", "to_hz"});
  Limit l{r.number(t, "min", field), r.number(t, "max", field), r.number(t, "from_hz", field),
          r.number(t, "to_hz", field)};
  if (!l.min && !l.max) r.fail(node, field, "needs min, max or both");
  if (l.min && l.max && *l.min > *l.max) r.fail(node, field, "min is above max");
  if (l.from_hz && l.to_hz && *l.from_hz >= *l.to_hz)
    r.fail(node, field, "from_hz must be below to_hz");
  return l;
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
  const std::string spacing =
      r.string(t, "spacing", field).value_or(is_level || linear_by_default ? "linear" : "log");
  if (spacing != "linear" && spacing != "log")
    r.fail(t.get("spacing"), field + ".spacing", "must be \"linear\" or \"log\"");
  const auto n = static_cast<int>(*points);
  if (is_level) {
    const Level a = level_field(r, from, field + ".from"), b = level_field(r, to, field + ".to");
    if (a.unit != b.unit) r.fail(to, field + ".to", "must be in the same unit as from");
    const bool db =
        a.unit == LevelUnit::dbfs || a.unit == LevelUnit::dbv || a.unit == LevelUnit::dbu;
    if (spacing == "log" && !db && (a.value <= 0.0 || b.value <= 0.0))
      r.fail(from, field, "log spacing needs levels above zero");
    for (int i = 0; i < n; ++i) {
      const double u = static_cast<double>(i) / (n - 1);
      const double v = (spacing == "log" && !db) ? a.value * std::pow(b.value / a.value, u)
                                                 : a.value + (b.value - a.value) * u;
      values.emplace_back(Level{v, a.unit});
    }
  } else {
    if (!from->is_number() || !to->is_number()) r.fail(from, field, "from and to must be numbers");
    const double a = from->value<double>().value_or(0.0), b = to->value<double>().value_or(0.0);
    if (spacing == "log" && (a <= 0.0 || b <= 0.0))
      r.fail(from, field, "log spacing needs values above zero");
    for (int i = 0; i < n; ++i) {
      const double u = static_cast<double>(i) / (n - 1);
      values.emplace_back(spacing == "log" ? a * std::pow(b / a, u) : a + (b - a) * u);
    }
  }
  return values;
}

SweepAxis sweep_axis(const R& r, const toml::node* node, const std::string& field) {
  if (!node->is_table()) r.fail(node, field, "must be a table { parameter = …, … }");
  const toml::table& t = *node->as_table();
  r.reject_unknown_keys(t, field, {"parameter", "from", "to", "points", "spacing", "values"});
  const auto parameter = r.string(t, "parameter", field);
  if (!parameter) r.fail(node, field + ".parameter", "required field is missing");
  const bool dut_number =
      *parameter == "dut.gain_db" || *parameter == "dut.bass_db" || *parameter == "dut.treble_db";
  if (*parameter != "stimulus.level" && *parameter != "stimulus.frequency_hz" &&
      *parameter != "load_ohm" && *parameter != "dut.input" && !dut_number)
    r.fail(t.get("parameter"), field + ".parameter",
           "cannot sweep '" + *parameter +
               "' (expected stimulus.level, stimulus.frequency_hz, load_ohm, dut.gain_db, "
               "dut.bass_db, dut.treble_db or dut.input)");
  if (*parameter == "dut.input") {
    const auto names = r.string_array(t, "values", field);
    if (!names || names->empty() || t.get("from"))
      r.fail(node, field + ".values", "dut.input sweeps a list of input names");
    SweepAxis axis{*parameter, {}};
    for (const auto& n : *names) axis.values.emplace_back(n);
    return axis;
  }
  // Control settings in dB step linearly unless told otherwise.
  SweepAxis axis{*parameter, sweep_values(r, t, field, *parameter == "stimulus.level", dut_number)};
  for (const auto& v : axis.values) {
    if (const double* d = std::get_if<double>(&v); d && !dut_number && !(*d > 0.0))
      r.fail(node, field, "every value of " + *parameter + " must be positive");
  }
  return axis;
}

void parse_step(const R& r, const toml::table& t, const toml::table* defaults, StepPlan& s) {
  const std::string p = "step." + (s.id.empty() ? std::string("?") : s.id);
  r.reject_unknown_keys(
      t, p, {"id",        "kind",      "name",   "cleanup",     "stimulus",      "settle_s",
             "capture_s", "load_ohm",  "method", "thdn_method", "weighting",     "band",
             "reference", "sweep",     "limits", "message",     "default",       "expect",
             "standard",  "criterion", "burst",  "max_power_w", "open_load_ohm", "headroom",
             "dut",       "ein",       "target"});
  const auto kind_text = r.string(t, "kind", p);
  if (!kind_text) r.fail(&t, p + ".kind", "required field is missing");
  const auto kind = parse_step_kind(*kind_text);
  if (!kind) r.fail(t.get("kind"), p + ".kind", "unknown step kind '" + *kind_text + "'");
  s.kind = *kind;
  s.cleanup = r.boolean(t, "cleanup", p).value_or(s.kind == StepKind::cleanup);

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
    SweepAxis axis{"load_ohm", {}};
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
    r.reject_unknown_keys(
        *st, q, {"frequency_hz", "level", "from_hz", "to_hz", "points", "duration_s", "source"});
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
  if (auto m = r.string(t, "method", p)) {
    if (*m != "stepped" && *m != "sweep")
      r.fail(t.get("method"), p + ".method", "must be \"stepped\" or \"sweep\"");
    s.method = *m;
  }
  try {
    if (auto standard = r.string(t, "standard", p)) {
      dsp::parse_imd_signal(*standard);
      s.imd_signal = *standard;
    }
    if (auto m = r.string(t, "thdn_method", p)) s.thdn_method = dsp::parse_thdn_method(*m);
    if (auto w = r.string(t, "weighting", p)) s.weighting = dsp::parse_weighting(*w);
    if (auto b = r.string(t, "band", p)) s.band = dsp::parse_band(*b);
  } catch (const UsageError& e) {
    r.fail(&t, p, e.what());
  }
  if (const toml::node* ref = t.get("reference"))
    s.reference = level_field(r, ref, p + ".reference");
  if (const toml::node* sweep = t.get("sweep")) {
    if (sweep->is_array()) {
      for (const auto& axis : *sweep->as_array())
        s.sweeps.push_back(sweep_axis(r, &axis, p + ".sweep"));
    } else {
      s.sweeps.push_back(sweep_axis(r, sweep, p + ".sweep"));
    }
  }
  if (const toml::table* limits = r.table(t, "limits", p, false)) {
    const auto& known = info(s.kind).measurements;
    for (const auto& [name, node] : *limits) {
      const std::string field = p + ".limits." + std::string(name.str());
      if (std::find(known.begin(), known.end(), name.str()) == known.end())
        r.fail(
            &node, field,
            "'" + std::string(name.str()) + "' is not a measurement of a " + *kind_text + " step");
      s.limits[std::string(name.str())] = *limit_field(r, &node, field);
    }
  }
  if (const toml::table* c = r.table(t, "criterion", p, false)) {
    const std::string q = p + ".criterion";
    r.reject_unknown_keys(*c, q, {"thdn_pct", "thd_pct"});
    const auto thdn = r.number(*c, "thdn_pct", q), thd = r.number(*c, "thd_pct", q);
    if (thdn.has_value() == thd.has_value())
      r.fail(c, q, "give exactly one of thdn_pct or thd_pct");
    s.criterion = {thd.has_value(), thd ? *thd : *thdn};
    if (!(s.criterion.pct > 0.0 && s.criterion.pct <= 30.0))
      r.fail(c, q, "the criterion must be above 0 and at most 30 %");
  }
  if (const toml::table* b = r.table(t, "burst", p, false)) {
    const std::string q = p + ".burst";
    r.reject_unknown_keys(*b, q, {"on_s", "duty"});
    s.burst.on_s = r.number(*b, "on_s", q).value_or(s.burst.on_s);
    s.burst.duty = r.number(*b, "duty", q).value_or(0.0);
    if (s.burst.on_s < 0.02 || s.burst.on_s > 10.0)
      r.fail(b->get("on_s"), q + ".on_s", "must be 0.02 to 10 s");
    if (s.burst.duty < 0.0 || s.burst.duty > 1.0)
      r.fail(b->get("duty"), q + ".duty", "must be between 0 and 1");
  }
  if (const toml::table* h = r.table(t, "headroom", p, false)) {
    const std::string q = p + ".headroom";
    r.reject_unknown_keys(*h, q, {"rated_power_w"});
    s.headroom_rated_w = r.number(*h, "rated_power_w", q);
    if (!s.headroom_rated_w || !(*s.headroom_rated_w > 0.0))
      r.fail(h, q + ".rated_power_w", "a positive rated power is required");
  }
  s.max_power_w = r.number(t, "max_power_w", p);
  if (s.max_power_w && !(*s.max_power_w > 0.0))
    r.fail(t.get("max_power_w"), p + ".max_power_w", "must be positive");
  s.open_load_ohm = r.number(t, "open_load_ohm", p);
  if (s.open_load_ohm && !(*s.open_load_ohm > 0.0))
    r.fail(t.get("open_load_ohm"), p + ".open_load_ohm", "must be positive");
  if (const toml::table* d = r.table(t, "dut", p, false)) {
    const std::string q = p + ".dut";
    r.reject_unknown_keys(*d, q, {"input", "gain_db", "bass_db", "treble_db", "phantom"});
    // A list sweeps that control (outermost, like load_ohm = [8, 4]): input = ["line", "mic"].
    std::vector<SweepAxis> listed;
    for (const char* key : {"input", "gain_db", "bass_db", "treble_db"}) {
      const toml::node* node = d->get(key);
      if (!node || !node->is_array()) continue;
      SweepAxis axis{std::string("dut.") + key, {}};
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
  if (const toml::table* e = r.table(t, "ein", p, false)) {
    const std::string q = p + ".ein";
    r.reject_unknown_keys(*e, q, {"source_ohm", "level"});
    EinSpec ein;
    if (const auto ohm = r.number(*e, "source_ohm", q)) {
      if (*ohm < 0.0 || *ohm > 1e6)
        r.fail(e->get("source_ohm"), q + ".source_ohm", "must be 0 to 1 Mohm");
      ein.source_ohm = *ohm;
    }
    if (const toml::node* level = e->get("level")) ein.level = level_field(r, level, q + ".level");
    s.ein = ein;
  }
  if (const toml::node* target = t.get("target")) {
    const std::string q = p + ".target";
    TargetCurve curve;
    if (target->is_string()) {
      const std::string name = target->as_string()->get();
      if (name != "riaa" && name != "riaa-iec" && name != "riaa-50khz" && name != "riaa-iec-50khz")
        r.fail(target, q,
               "unknown target '" + name +
                   "' (expected riaa, riaa-iec, riaa-50khz, riaa-iec-50khz or a table "
                   "of [Hz, dB] pairs)");
      curve.name = name;
      curve.riaa.iec_subsonic = name.find("iec") != std::string::npos;
      curve.riaa.pole_50khz = name.find("50khz") != std::string::npos;
    } else if (target->is_array()) {
      curve.name = "table";
      double previous = 0.0;
      for (const auto& row : *target->as_array()) {
        const toml::array* pair = row.as_array();
        if (!pair || pair->size() != 2 || !(*pair)[0].is_number() || !(*pair)[1].is_number())
          r.fail(&row, q, "each row is [frequency_hz, dB]");
        const double f = (*pair)[0].value<double>().value_or(0.0);
        if (!(f > previous)) r.fail(&row, q, "frequencies must be positive and rising");
        previous = f;
        curve.table.emplace_back(f, (*pair)[1].value<double>().value_or(0.0));
      }
      if (curve.table.empty()) r.fail(target, q, "must not be empty");
    } else {
      r.fail(target, q, "must be \"riaa\" (or a variant) or a table of [Hz, dB] pairs");
    }
    s.target = curve;
  }
  s.message = r.string(t, "message", p).value_or("");
  s.default_answer = r.string(t, "default", p).value_or("");
  s.expect = r.string(t, "expect", p);

  const auto swept = [&](std::string_view parameter) {
    for (const auto& a : s.sweeps)
      if (a.parameter == parameter) return true;
    return false;
  };
  const auto need = [&](bool ok, const std::string& field, const std::string& what) {
    if (!ok) r.fail(&t, p + "." + field, what);
  };
  switch (s.kind) {
    case StepKind::imd:
      need(s.stimulus.level.has_value() || swept("stimulus.level"), "stimulus.level",
           "required for an imd step");
      break;
    case StepKind::level:
    case StepKind::thdn:
    case StepKind::crosstalk:
      need(s.stimulus.frequency_hz || swept("stimulus.frequency_hz"), "stimulus.frequency_hz",
           "required for a " + *kind_text + " step");
      need(s.stimulus.level || swept("stimulus.level"), "stimulus.level",
           "required for a " + *kind_text + " step");
      break;
    case StepKind::frequency_response:
      need(s.stimulus.from_hz && s.stimulus.to_hz, "stimulus.from_hz",
           "from_hz and to_hz are required");
      need(s.stimulus.level.has_value() || swept("stimulus.level"), "stimulus.level",
           "required for a frequency_response step");
      break;
    case StepKind::max_power:
      need(s.stimulus.frequency_hz || swept("stimulus.frequency_hz"), "stimulus.frequency_hz",
           "required for a max_power step");
      need(s.load_ohm.has_value(), "load_ohm", "a max_power step needs the load it measures into");
      break;
    case StepKind::output_impedance:
      need(s.stimulus.frequency_hz || swept("stimulus.frequency_hz"), "stimulus.frequency_hz",
           "required for an output_impedance step");
      need(s.stimulus.level.has_value() || swept("stimulus.level"), "stimulus.level",
           "required for an output_impedance step");
      need(s.load_ohm.has_value(), "load_ohm", "an output_impedance step needs its nominal load");
      break;
    case StepKind::prompt:
      need(!s.message.empty(), "message", "required for a prompt step");
      break;
    case StepKind::set:
      need((s.load_ohm.has_value() && t.get("load_ohm")) || !s.dut.empty() || !s.sweeps.empty(),
           "dut", "a set step needs a setting (load_ohm or dut)");
      break;
    case StepKind::input_impedance:
      need(s.stimulus.frequency_hz || swept("stimulus.frequency_hz"), "stimulus.frequency_hz",
           "required for an input_impedance step");
      need(s.stimulus.level.has_value() || swept("stimulus.level"), "stimulus.level",
           "required for an input_impedance step");
      break;
    case StepKind::phantom:
      break;
    case StepKind::noise:
      need(!(s.stimulus.frequency_hz && s.stimulus.level) || s.reference.has_value(), "reference",
           "a noise step with a tone (AES17 dynamic range) needs the maximum output level as "
           "reference");
      need(!s.ein || !(s.stimulus.frequency_hz && s.stimulus.level), "ein",
           "EIN and dynamic range are separate noise steps");
      break;
    case StepKind::cleanup:
      break;
  }
}

void apply_override(toml::table& root, const Override& o, std::vector<std::string>& errors,
                    const std::string& path) {
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + o.value);
  } catch (const toml::parse_error&) {
    parsed.insert_or_assign("v", o.value);  // a bare word is a string
  }
  const toml::node* value = parsed.get("v");
  std::vector<std::string> parts;
  std::stringstream ss(o.key);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  const auto set_in = [&](toml::table& table, std::size_t from) {
    toml::table* t = &table;
    for (std::size_t i = from; i + 1 < parts.size(); ++i) {
      toml::node* next = t->get(parts[i]);
      if (!next) {
        t->insert_or_assign(parts[i], toml::table{});
        next = t->get(parts[i]);
      }
      if (!next->is_table()) return false;
      t = next->as_table();
    }
    t->insert_or_assign(parts.back(), *value);
    return true;
  };
  if (parts.empty()) return;
  if (parts[0] == "sequence" || parts[0] == "defaults") {
    if (!set_in(root, 0)) errors.push_back(path + ": --set " + o.key + ": not a table path");
    return;
  }
  toml::array* steps = root.get("step") ? root.get("step")->as_array() : nullptr;
  if (!steps) return;
  bool applied = false;
  for (auto& node : *steps) {
    toml::table* step = node.as_table();
    if (!step) continue;
    const auto id = step->get("id") ? step->get("id")->value<std::string>() : std::nullopt;
    if (id && parts.size() > 1 && *id == parts[0]) {
      applied = set_in(*step, 1) || applied;
    } else if (parts.size() == 1 || step->get(parts[0])) {
      if (parts.size() > 1 && id &&
          std::any_of(steps->begin(), steps->end(), [&](const toml::node& n) {
            return n.as_table() && n.as_table()->get("id") &&
                   n.as_table()->get("id")->value<std::string>() == parts[0];
          }))
        continue;
      applied = set_in(*step, 0) || applied;
    }
  }
  if (!applied) errors.push_back(path + ": --set " + o.key + ": no step has this field");
}

}  // namespace

std::optional<StepKind> parse_step_kind(std::string_view name) {
  for (const auto& k : kinds())
    if (k.name == name) return k.kind;
  return std::nullopt;
}

std::string_view step_kind_name(StepKind kind) {
  return info(kind).name;
}

std::string DutChange::describe() const {
  std::string out;
  const auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  char number[32];
  const auto db = [&](double v) {
    std::snprintf(number, sizeof number, "%+g dB", v);
    return std::string(number);
  };
  if (input) add("input " + *input);
  if (gain_db) add("gain " + db(*gain_db));
  if (bass_db) add("bass " + db(*bass_db));
  if (treble_db) add("treble " + db(*treble_db));
  if (phantom) add(std::string("phantom ") + (*phantom ? "on" : "off"));
  return out;
}

double TargetCurve::db(double frequency_hz) const {
  return name == "table" ? dsp::target_table_db(table, frequency_hz)
                         : dsp::riaa_playback_db(frequency_hz, riaa);
}

std::string Limit::describe() const {
  char buffer[96];
  if (min && max)
    std::snprintf(buffer, sizeof buffer, "%g … %g", *min, *max);
  else if (min)
    std::snprintf(buffer, sizeof buffer, "≥ %g", *min);
  else if (max)
    std::snprintf(buffer, sizeof buffer, "≤ %g", *max);
  else
    return "";
  return buffer;
}

Override parse_override(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("--set '" + text + "': expected KEY=VALUE");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::optional<SequencePlan> load_sequence(const std::string& path,
                                          const std::vector<Override>& overrides,
                                          std::vector<std::string>& errors) {
  try {
    const R reader = R::from_file(path);
    return parse_sequence(reader.text(), path, overrides, errors);
  } catch (const InputError& e) {
    errors.push_back(e.what());
    return std::nullopt;
  }
}

std::optional<SequencePlan> parse_sequence(const std::string& text, const std::string& path,
                                           const std::vector<Override>& overrides,
                                           std::vector<std::string>& errors) {
  const std::size_t errors_before = errors.size();
  std::optional<R> reader;
  try {
    reader.emplace(R::from_text(text, path));
  } catch (const InputError& e) {
    errors.push_back(e.what());
    return std::nullopt;
  }
  R& r = *reader;
  for (const auto& o : overrides) apply_override(r.mutable_root(), o, errors, path);

  SequencePlan plan;
  plan.path = path;
  plan.text = r.text();
  const toml::table& root = r.root();
  try {
    r.reject_unknown_keys(root, "", {"sequence", "defaults", "step"});
    const toml::table& seq = *r.table(root, "sequence", "", true);
    r.reject_unknown_keys(seq, "sequence", {"name", "channels", "stop_on_fail", "description"});
    const auto name = r.string(seq, "name", "sequence");
    if (!name || name->empty()) r.fail(&seq, "sequence.name", "required field is missing");
    plan.name = *name;
    plan.channels =
        r.string_array(seq, "channels", "sequence").value_or(std::vector<std::string>{"L", "R"});
    std::set<std::string> unique(plan.channels.begin(), plan.channels.end());
    if (plan.channels.empty() || unique.size() != plan.channels.size())
      r.fail(seq.get("channels"), "sequence.channels",
             "must be a non-empty list of distinct names");
    plan.stop_on_fail = r.boolean(seq, "stop_on_fail", "sequence").value_or(false);
  } catch (const InputError& e) {
    errors.push_back(e.what());
  }
  const toml::table* defaults = nullptr;
  try {
    defaults = r.table(root, "defaults", "", false);
    if (defaults)
      r.reject_unknown_keys(*defaults, "defaults", {"settle_s", "capture_s", "load_ohm"});
  } catch (const InputError& e) {
    errors.push_back(e.what());
  }
  const toml::node* steps = root.get("step");
  if (!steps || !steps->is_array() || steps->as_array()->empty()) {
    errors.push_back(
        InputError(path, r.line_of(steps), "step", "a sequence needs at least one [[step]]")
            .what());
    return std::nullopt;
  }
  std::set<std::string> ids;
  for (const auto& node : *steps->as_array()) {
    StepPlan s;
    s.line = r.line_of(&node);
    try {
      if (!node.is_table()) r.fail(&node, "step", "each step must be a table");
      const toml::table& t = *node.as_table();
      const auto id = r.string(t, "id", "step");
      if (!id || id->empty()) r.fail(&t, "step.id", "required field is missing");
      s.id = *id;
      if (id->find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
          std::string::npos)
        r.fail(t.get("id"), "step.id", "'" + *id + "' may hold only letters, digits, '_' and '-'");
      if (!ids.insert(*id).second)
        r.fail(t.get("id"), "step.id", "'" + *id + "' is used by an earlier step");
      parse_step(r, t, defaults, s);
      std::stringstream json_text;
      json_text << toml::json_formatter{t};
      s.params = nlohmann::json::parse(json_text.str());
      plan.steps.push_back(std::move(s));
    } catch (const InputError& e) {
      errors.push_back(e.what());
    }
  }
  if (errors.size() != errors_before) return std::nullopt;
  return plan;
}

}  // namespace ampbench::sequence
