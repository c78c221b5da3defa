#include "sequence/station.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <tuple>

#include "common/error.hpp"
#include "common/postgres_uri.hpp"
#include "common/text.hpp"
#include "common/toml_reader.hpp"
#include "sequence/station_fields.hpp"

namespace ampbench::sequence {
namespace {

using R = TomlReader;
using station_fields::non_negative;
using station_fields::positive;
using station_fields::required_number;

std::vector<int> channel_list(const R& r, const toml::table& t, std::string_view key,
                              std::string_view prefix) {
  const toml::node* node = t.get(key);
  const std::string field = R::join(prefix, key);
  if (!node) r.fail(&t, field, "required field is missing");
  if (!node->is_array() || node->as_array()->empty())
    r.fail(node, field, "must be a non-empty array of channel numbers");
  std::vector<int> out;
  for (const auto& e : *node->as_array()) {
    if (!e.is_integer() || e.as_integer()->get() < 1 || e.as_integer()->get() > 256)
      r.fail(&e, field, "channel numbers are integers from 1 to 256");
    out.push_back(static_cast<int>(e.as_integer()->get()));
  }
  return out;
}

// Each DUT channel on an interface channel of its own: two DUT channels read from one input
// would measure one of them and report it twice. `shared_outputs`/`shared_inputs` say it is
// meant (one output driving both inputs of a mono DUT).
void distinct_channels(const R& r, const toml::table& audio, std::string_view key,
                       const std::string& what) {
  const auto& list = *audio.get(key)->as_array();
  for (std::size_t i = 0; i < list.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (list[j].value<std::int64_t>() == list[i].value<std::int64_t>())
        r.fail(&list[i], R::join("audio", key),
               "interface " + what + " " + std::to_string(*list[i].value<std::int64_t>()) +
                   " is listed for DUT channels " + std::to_string(j + 1) + " and " +
                   std::to_string(i + 1) + ": each needs its own (set audio.shared_" +
                   std::string(key) + " = true if one is meant to serve both)");
}

// extra_keys: the table holds more than the instrument (its caller checks them).
std::optional<InstrumentRef> instrument(const R& r, const toml::table& t, std::string_view key,
                                        std::string_view prefix, instruments::InstrumentKind kind,
                                        bool extra_keys = false) {
  const toml::table* inst = r.table(t, key, prefix, false);
  if (!inst) return std::nullopt;
  const std::string p = R::join(prefix, key);
  if (!extra_keys) r.reject_unknown_keys(*inst, p, {"resource", "profile"});
  InstrumentRef ref;
  auto resource = r.string(*inst, "resource", p);
  if (!resource || resource->empty())
    r.fail(inst, R::join(p, "resource"), "required field is missing");
  ref.resource = *resource;
  try {
    ref.visa = instruments::parse_visa_resource(ref.resource);
  } catch (const UsageError& e) {
    r.fail(inst->get("resource"), R::join(p, "resource"), e.what());
  }
  const auto profile = r.string(*inst, "profile", p);
  if (!profile || profile->empty())
    r.fail(inst, R::join(p, "profile"), "required field is missing");
  ref.profile = *profile;
  try {
    ref.loaded = instruments::load_profile(ref.profile, instruments::profile_dirs_for(r.path()));
  } catch (const UsageError& e) {
    r.fail(inst->get("profile"), R::join(p, "profile"), e.what());
  }
  if (ref.loaded.kind != kind)
    r.fail(inst->get("profile"), R::join(p, "profile"),
           "'" + ref.profile + "' is a " +
               std::string(instruments::instrument_kind_name(ref.loaded.kind)) +
               " profile; this needs " + with_article(instruments::instrument_kind_name(kind)));
  return ref;
}

}  // namespace

Station load_station(const std::string& path) {
  const auto r = TomlReader::from_file(path);
  return parse_station(r.text(), path);
}

namespace {

void parse_selftest(const TomlReader& r, const toml::table& t, Station::SelftestSettings& out) {
  const std::string p = "selftest";
  r.reject_unknown_keys(t, p,
                        {"digital", "level_dbfs", "frequency_hz", "max_residual_thdn_db",
                         "max_residual_noise_dbv", "max_level_error_db", "max_clock_ppm"});
  out.digital = r.boolean(t, "digital", p).value_or(false);
  out.level_dbfs = r.number(t, "level_dbfs", p).value_or(out.level_dbfs);
  if (!(out.level_dbfs <= 0.0 && out.level_dbfs >= -60.0))
    r.fail(t.get("level_dbfs"), "selftest.level_dbfs", "must be -60 to 0 dBFS");
  out.frequency_hz = r.number(t, "frequency_hz", p).value_or(out.frequency_hz);
  if (!(out.frequency_hz >= 20.0 && out.frequency_hz <= 20000.0))
    r.fail(t.get("frequency_hz"), "selftest.frequency_hz", "must be 20 to 20000 Hz");
  out.max_residual_thdn_db =
      r.number(t, "max_residual_thdn_db", p).value_or(out.max_residual_thdn_db);
  out.max_residual_noise_dbv = r.number(t, "max_residual_noise_dbv", p);
  out.max_level_error_db = r.number(t, "max_level_error_db", p).value_or(out.max_level_error_db);
  if (!(out.max_level_error_db > 0.0))
    r.fail(t.get("max_level_error_db"), "selftest.max_level_error_db", "must be positive");
  out.max_clock_ppm = r.number(t, "max_clock_ppm", p).value_or(out.max_clock_ppm);
  if (!(out.max_clock_ppm > 0.0))
    r.fail(t.get("max_clock_ppm"), "selftest.max_clock_ppm", "must be positive");
}

}  // namespace

Station parse_station(const std::string& text, const std::string& path) {
  const auto r = TomlReader::from_text(text, path);
  const toml::table& root = r.root();
  r.reject_unknown_keys(
      root, "",
      {"station", "audio", "safety", "generator", "dmm", "supply", "ripple", "loads", "attenuator",
       "source", "dut_switch", "sim", "jack", "results", "slot", "calibration", "selftest"});
  Station s;
  s.path = path;
  s.text = text;

  const toml::table& station = *r.table(root, "station", "", true);
  r.reject_unknown_keys(station, "station", {"name", "line", "shifts"});
  auto name = r.string(station, "name", "station");
  if (!name || name->empty()) r.fail(&station, "station.name", "required field is missing");
  s.name = *name;
  s.line = r.string(station, "line", "station").value_or("");
  if (const toml::node* shifts = station.get("shifts")) {
    const toml::array* list = shifts->as_array();
    if (!list || list->empty())
      r.fail(shifts, "station.shifts", "a list of shift start times, e.g. [\"06:00\", \"14:00\"]");
    for (const auto& item : *list) {
      const auto text = item.value<std::string>();
      int hours = -1, minutes = -1;
      char rest = 0;
      if (!text || std::sscanf(text->c_str(), "%d:%d%c", &hours, &minutes, &rest) != 2 ||
          hours < 0 || hours > 23 || minutes < 0 || minutes > 59)
        r.fail(&item, "station.shifts", "each start is local time as \"HH:MM\" (00:00 to 23:59)");
      s.shift_start_minutes.push_back(hours * 60 + minutes);
    }
    std::sort(s.shift_start_minutes.begin(), s.shift_start_minutes.end());
  }

  if (const toml::table* results = r.table(root, "results", "", false)) {
    r.reject_unknown_keys(*results, "results", {"forward", "busy_timeout_s"});
    s.results_busy_timeout_s = positive(r, *results, "busy_timeout_s", "results", 30.0);
    if (auto uri = r.string(*results, "forward", "results")) {
      if (auto problem = forward_target_problem(*uri))
        r.fail(results->get("forward"), "results.forward", *problem);
      s.forward_uri = *uri;
    }
  }

  if (const toml::table* c = r.table(root, "calibration", "", false)) {
    r.reject_unknown_keys(*c, "calibration",
                          {"required", "max_age_days", "reference_accuracy_pct", "readings",
                           "output_impedance_ohm", "min_dut_input_ohm", "flatness_db"});
    auto& policy = s.calibration_policy;
    policy.required = r.boolean(*c, "required", "calibration").value_or(false);
    if (const auto days = r.number(*c, "max_age_days", "calibration")) {
      if (!(*days > 0.0))
        r.fail(c->get("max_age_days"), "calibration.max_age_days", "must be positive");
      policy.max_age_days = *days;
    }
    if (const auto pct = r.number(*c, "reference_accuracy_pct", "calibration")) {
      if (!(*pct >= 0.0 && *pct < 10.0))
        r.fail(c->get("reference_accuracy_pct"), "calibration.reference_accuracy_pct",
               "must be 0 to 10 (% of the reading)");
      policy.reference_accuracy_pct = *pct;
    }
    if (const auto n = r.integer(*c, "readings", "calibration")) {
      if (*n < 1 || *n > 100)
        r.fail(c->get("readings"), "calibration.readings", "must be 1 to 100");
      policy.readings = static_cast<int>(*n);
    }
    const auto non_negative = [&](const char* key, double& value) {
      if (const auto v = r.number(*c, key, "calibration")) {
        if (!(*v >= 0.0))
          r.fail(c->get(key), std::string("calibration.") + key, "must not be negative");
        value = *v;
      }
    };
    non_negative("output_impedance_ohm", policy.output_impedance_ohm);
    non_negative("min_dut_input_ohm", policy.min_dut_input_ohm);
    non_negative("flatness_db", policy.flatness_db);
    if (policy.output_impedance_ohm > 0.0 && !(policy.min_dut_input_ohm > 0.0))
      r.fail(c->get("min_dut_input_ohm"), "calibration.min_dut_input_ohm",
             "must be positive with an output_impedance_ohm");
  }
  if (const toml::table* t = r.table(root, "selftest", "", false))
    parse_selftest(r, *t, s.selftest);

  const toml::table& a = *r.table(root, "audio", "", true);
  r.reject_unknown_keys(a, "audio",
                        {"backend", "device", "sample_rate", "outputs", "inputs",
                         "output_vrms_at_0dbfs", "input_vrms_at_0dbfs", "host_api", "max_latency_s",
                         "xrun_retries", "loopback", "shared_outputs", "shared_inputs"});
  auto backend = r.string(a, "backend", "audio");
  if (!backend) r.fail(&a, "audio.backend", "required field is missing");
  if (*backend == "wav")
    r.fail(a.get("backend"), "audio.backend",
           "the wav backend is not implemented; analyse recorded files with `ampbench analyze "
           "FILE.wav` (expected sim, portaudio or qa40x)");
  if (*backend != "sim" && *backend != "portaudio" && *backend != "qa40x")
    r.fail(a.get("backend"), "audio.backend",
           "unknown backend '" + *backend + "' (expected sim, portaudio or qa40x)");
  s.audio.backend = *backend;
  s.audio.device = r.string(a, "device", "audio").value_or("");
  s.audio.host_api = r.string(a, "host_api", "audio").value_or("");
  s.audio.max_latency_s = positive(r, a, "max_latency_s", "audio", 0.5);
  if (s.audio.max_latency_s > 5.0)
    r.fail(a.get("max_latency_s"), "audio.max_latency_s", "must be at most 5 s");
  if (const toml::node* retries = a.get("xrun_retries")) {
    if (!retries->is_integer() || retries->as_integer()->get() < 0 ||
        retries->as_integer()->get() > 10)
      r.fail(retries, "audio.xrun_retries", "must be an integer from 0 to 10");
    s.audio.xrun_retries = static_cast<int>(retries->as_integer()->get());
  }
  const toml::node* rate = a.get("sample_rate");
  if (!rate) r.fail(&a, "audio.sample_rate", "required field is missing");
  if (!rate->is_integer() || rate->as_integer()->get() < 8000 || rate->as_integer()->get() > 384000)
    r.fail(rate, "audio.sample_rate", "must be a positive integer from 8000 to 384000");
  s.audio.sample_rate_hz = static_cast<double>(rate->as_integer()->get());
  s.audio.outputs = channel_list(r, a, "outputs", "audio");
  s.audio.inputs = channel_list(r, a, "inputs", "audio");
  if (s.audio.outputs.size() != s.audio.inputs.size())
    r.fail(a.get("inputs"), "audio.inputs", "must list as many channels as audio.outputs");
  if (!r.boolean(a, "shared_outputs", "audio").value_or(false))
    distinct_channels(r, a, "outputs", "output");
  if (!r.boolean(a, "shared_inputs", "audio").value_or(false))
    distinct_channels(r, a, "inputs", "input");
  if (const toml::table* loop = r.table(a, "loopback", "audio", false)) {
    r.reject_unknown_keys(*loop, "audio.loopback", {"output", "input"});
    const auto out = r.integer(*loop, "output", "audio.loopback"),
               in = r.integer(*loop, "input", "audio.loopback");
    if (!out || !in || *out < 1 || *in < 1 || *out > 256 || *in > 256)
      r.fail(loop, "audio.loopback", "needs output and input channel numbers from 1 to 256");
    const auto used = [](const std::vector<int>& list, std::int64_t c) {
      return std::find(list.begin(), list.end(), static_cast<int>(c)) != list.end();
    };
    if (used(s.audio.outputs, *out) || used(s.audio.inputs, *in))
      r.fail(loop, "audio.loopback", "its channels must not also drive or capture the DUT");
    s.audio.loopback = std::pair{static_cast<int>(*out), static_cast<int>(*in)};
  }
  const bool qa40x = s.audio.backend == "qa40x";
  if (!qa40x) {
    s.audio.calibration.output_vrms_at_0dbfs =
        positive(r, a, "output_vrms_at_0dbfs", "audio", std::nullopt);
    s.audio.calibration.input_vrms_at_0dbfs =
        positive(r, a, "input_vrms_at_0dbfs", "audio", std::nullopt);
  }

  const toml::table& safety = *r.table(root, "safety", "", true);
  r.reject_unknown_keys(safety, "safety",
                        {"max_output_vrms", "max_input_dbfs", "max_burst_duty",
                         "slot_bursts_overlap", "max_capture_mb", "max_input_vrms"});
  s.safety.max_output_vrms = positive(r, safety, "max_output_vrms", "safety", std::nullopt);
  if (qa40x)
    station_fields::parse_qa40x_audio(r, a, safety, s.safety.max_output_vrms, s.audio);
  else if (safety.get("max_input_vrms"))
    r.fail(safety.get("max_input_vrms"), "safety.max_input_vrms",
           "only a QA40x takes its input range from it (audio.backend = \"qa40x\")");
  s.safety.max_input_dbfs = required_number(r, safety, "max_input_dbfs", "safety");
  if (s.safety.max_input_dbfs > 0.0)
    r.fail(safety.get("max_input_dbfs"), "safety.max_input_dbfs", "must be at most 0 dBFS");
  s.safety.max_burst_duty = positive(r, safety, "max_burst_duty", "safety", 0.25);
  if (s.safety.max_burst_duty > 1.0)
    r.fail(safety.get("max_burst_duty"), "safety.max_burst_duty", "must be at most 1");
  s.slot_bursts_overlap =
      r.boolean(safety, "slot_bursts_overlap", "safety").value_or(s.slot_bursts_overlap);
  s.max_capture_mb = positive(r, safety, "max_capture_mb", "safety", s.max_capture_mb);

  s.generator = instrument(r, root, "generator", "", instruments::InstrumentKind::fgen);
  s.dmm = instrument(r, root, "dmm", "", instruments::InstrumentKind::dmm);
  if (auto psu = instrument(r, root, "supply", "", instruments::InstrumentKind::psu, true)) {
    const toml::table& t = *r.table(root, "supply", "", true);
    r.reject_unknown_keys(t, "supply", {"resource", "profile", "volts", "max_volts"});
    Station::Supply supply{std::move(*psu), positive(r, t, "volts", "supply", std::nullopt),
                           positive(r, t, "max_volts", "supply", std::nullopt)};
    if (supply.volts > supply.max_volts)
      r.fail(t.get("volts"), "supply.volts",
             "is above supply.max_volts (" + fmt("%g V", supply.max_volts) + ")");
    s.supply = std::move(supply);
  }
  if (auto gen = instrument(r, root, "ripple", "", instruments::InstrumentKind::fgen, true)) {
    const toml::table& t = *r.table(root, "ripple", "", true);
    r.reject_unknown_keys(t, "ripple", {"resource", "profile", "gain", "max_vrms"});
    s.ripple = Station::Ripple{std::move(*gen), positive(r, t, "gain", "ripple", 1.0),
                               positive(r, t, "max_vrms", "ripple", std::nullopt)};
  }
  if (const toml::table* loads = r.table(root, "loads", "", false)) {
    r.reject_unknown_keys(*loads, "loads", {"available_ohm", "switch", "relays"});
    s.loads_available_ohm =
        r.number_array(*loads, "available_ohm", "loads").value_or(std::vector<double>{});
    for (double ohm : s.loads_available_ohm)
      if (!(ohm > 0.0))
        r.fail(loads->get("available_ohm"), "loads.available_ohm", "every load must be positive");
    s.load_switch = instrument(r, *loads, "switch", "loads", instruments::InstrumentKind::relay);
    if (const auto relays = r.number_array(*loads, "relays", "loads")) {
      if (relays->size() != s.loads_available_ohm.size())
        r.fail(loads->get("relays"), "loads.relays",
               "must name one relay per load in available_ohm");
      for (double relay : *relays) {
        if (relay < 1 || relay > 9999 || relay != std::floor(relay))
          r.fail(loads->get("relays"), "loads.relays", "relays are integers from 1 to 9999");
        s.load_relays.push_back(static_cast<int>(relay));
      }
    } else {
      for (std::size_t i = 0; i < s.loads_available_ohm.size(); ++i)
        s.load_relays.push_back(static_cast<int>(i + 1));
    }
  }
  if (const toml::table* source = r.table(root, "source", "", false)) {
    r.reject_unknown_keys(*source, "source", {"series_ohm"});
    s.series_resistor_ohm = positive(r, *source, "series_ohm", "source", std::nullopt);
  }
  if (const toml::table* d = r.table(root, "dut_switch", "", false)) {
    r.reject_unknown_keys(*d, "dut_switch",
                          {"resource", "profile", "input_relays", "phantom_relay", "series_relay",
                           "common_mode_relay"});
    Station::DutSwitch sw;
    sw.relays = *instrument(r, root, "dut_switch", "", instruments::InstrumentKind::relay, true);
    const auto relay_number = [&](const toml::node* node, const std::string& field) {
      if (!node->is_integer() || node->as_integer()->get() < 1 || node->as_integer()->get() > 9999)
        r.fail(node, field, "relays are integers from 1 to 9999");
      return static_cast<int>(node->as_integer()->get());
    };
    if (const toml::table* inputs = r.table(*d, "input_relays", "dut_switch", false))
      for (const auto& [name, node] : *inputs)
        sw.input_relays[std::string(name.str())] =
            relay_number(&node, "dut_switch.input_relays." + std::string(name.str()));
    if (const toml::node* n = d->get("phantom_relay"))
      sw.phantom_relay = relay_number(n, "dut_switch.phantom_relay");
    if (const toml::node* n = d->get("series_relay"))
      sw.series_relay = relay_number(n, "dut_switch.series_relay");
    if (const toml::node* n = d->get("common_mode_relay"))
      sw.common_mode_relay = relay_number(n, "dut_switch.common_mode_relay");
    if (sw.series_relay && !s.series_resistor_ohm)
      r.fail(d->get("series_relay"), "dut_switch.series_relay", "needs [source] series_ohm");
    s.dut_switch = sw;
  }
  if (const toml::table* att = r.table(root, "attenuator", "", false)) {
    r.reject_unknown_keys(*att, "attenuator", {"gain_db"});
    s.attenuator_gain_db = r.number(*att, "gain_db", "attenuator").value_or(0.0);
    if (s.attenuator_gain_db > 40.0)
      r.fail(att->get("gain_db"), "attenuator.gain_db", "must be at most +40 dB");
  }
  if (const toml::table* j = r.table(root, "jack", "", false)) {
    r.reject_unknown_keys(*j, "jack",
                          {"client_name", "connect_outputs", "connect_inputs", "dut_client"});
    JackSettings jack;
    jack.client_name = r.string(*j, "client_name", "jack").value_or(jack.client_name);
    jack.connect_outputs =
        r.string_array(*j, "connect_outputs", "jack").value_or(std::vector<std::string>{});
    jack.connect_inputs =
        r.string_array(*j, "connect_inputs", "jack").value_or(std::vector<std::string>{});
    jack.dut_client = r.string(*j, "dut_client", "jack").value_or("");
    if (jack.connect_outputs.size() > s.audio.outputs.size())
      r.fail(j->get("connect_outputs"), "jack.connect_outputs",
             "lists more ports than audio.outputs has channels");
    if (jack.connect_inputs.size() > s.audio.inputs.size())
      r.fail(j->get("connect_inputs"), "jack.connect_inputs",
             "lists more ports than audio.inputs has channels");
    s.jack = jack;
  }
  s.slots = parse_slots(r, root, s);
  if (qa40x && s.audio.device == "sim" && !s.slots.empty())
    r.fail(root.get("slot"), "slot",
           "a simulated QA40x (audio.device = \"sim\") carries one DUT: no slots");
  const toml::table* sim_table =
      r.table(root, "sim", "", s.audio.backend == "sim" || (qa40x && s.audio.device == "sim"));
  if (sim_table)
    s.sim = station_fields::parse_sim(r, *sim_table, s.channel_count(), s.audio.sample_rate_hz);
  if (s.sim) {
    // A list of true calibrations has one value per interface channel the station uses.
    int highest_output = 0, highest_input = 0;
    for (int c : s.audio.outputs) highest_output = std::max(highest_output, c);
    for (int c : s.audio.inputs) highest_input = std::max(highest_input, c);
    if (s.audio.loopback) {
      highest_output = std::max(highest_output, s.audio.loopback->first);
      highest_input = std::max(highest_input, s.audio.loopback->second);
    }
    for (const auto& [key, values, highest] :
         {std::tuple("output_vrms_at_0dbfs", &s.sim->output_vrms_at_0dbfs, highest_output),
          std::tuple("input_vrms_at_0dbfs", &s.sim->input_vrms_at_0dbfs, highest_input)})
      if (values->size() > 1 && static_cast<int>(values->size()) < highest)
        r.fail(sim_table->get(key), std::string("sim.") + key,
               "one value per interface channel: " + std::to_string(values->size()) +
                   " given, the station uses channel " + std::to_string(highest));
  }
  if (s.sim && s.sim->load_ohm > 0.0 && !s.loads_available_ohm.empty()) {
    bool found = false;
    for (double ohm : s.loads_available_ohm)
      found = found || std::abs(ohm - s.sim->load_ohm) < 1e-9;
    if (!found)
      r.fail(sim_table->get("load_ohm"), "sim.load_ohm", "must be one of loads.available_ohm");
  }
  if (s.sim && s.sim->loudspeaker &&
      std::none_of(s.loads_available_ohm.begin(), s.loads_available_ohm.end(), [&](double ohm) {
        return std::abs(ohm - s.sim->loudspeaker->nominal_ohm) < 1e-9;
      }))
    r.fail(sim_table->get("loudspeaker"), "sim.loudspeaker.nominal_ohm",
           "must be one of loads.available_ohm (the load that connects the loudspeaker)");
  if (s.sim && !s.sim->load_relays.empty() &&
      s.sim->load_relays.size() != s.loads_available_ohm.size())
    r.fail(sim_table->get("load_relays"), "sim.load_relays",
           "must name one relay per load in loads.available_ohm");
  return s;
}

}  // namespace ampbench::sequence
