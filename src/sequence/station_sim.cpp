#include <cmath>

#include "sequence/station_fields.hpp"

namespace ampbench::sequence::station_fields {
namespace {

using R = TomlReader;

sim::Fault fault_value(const R& r, const toml::node* node, const std::string& field) {
  if (!node->is_string()) r.fail(node, field, "must be a fault name");
  const auto fault = sim::parse_fault(node->as_string()->get());
  if (!fault)
    r.fail(node, field,
           "unknown fault '" + node->as_string()->get() +
               "' (expected one of: " + sim::fault_names() + ")");
  return *fault;
}

int channel_key(const R& r, const toml::node* node, const std::string& key,
                const std::string& field, int channels) {
  int channel = 0;
  if (key == "L")
    channel = 1;
  else if (key == "R")
    channel = 2;
  else if (!key.empty() && key.find_first_not_of("0123456789") == std::string::npos &&
           key.size() < 4)
    channel = std::stoi(key);
  if (channel < 1 || channel > channels)
    r.fail(node, field,
           "'" + key + "' is not a channel of this station (1.." + std::to_string(channels) +
               ", L or R)");
  return channel;
}

// A fault for every channel ("hum") or per channel ({ R = "hum" }); channel 0 means all.
std::map<int, sim::Fault> fault_map(const R& r, const toml::node* node, const std::string& field,
                                    int channels) {
  std::map<int, sim::Fault> out;
  if (node->is_table()) {
    for (const auto& [k, v] : *node->as_table()) {
      const std::string f = field + "." + std::string(k.str());
      out[channel_key(r, &v, std::string(k.str()), f, channels)] = fault_value(r, &v, f);
    }
  } else {
    out[0] = fault_value(r, node, field);
  }
  return out;
}

// `unit_spread = { gain_db, highpass_pct, lowpass_pct, distortion_pct, noise_db }`; the
// older `unit_gain_sigma_db = σ` is its gain_db alone.
sim::UnitSpread unit_spread(const R& r, const toml::table& sim, std::string_view prefix) {
  sim::UnitSpread spread;
  spread.gain_db = non_negative(r, sim, "unit_gain_sigma_db", prefix, 0.0);
  const toml::table* t = r.table(sim, "unit_spread", prefix, false);
  if (!t) return spread;
  const std::string field = TomlReader::join(prefix, "unit_spread");
  if (sim.get("unit_gain_sigma_db"))
    r.fail(sim.get("unit_gain_sigma_db"), TomlReader::join(prefix, "unit_gain_sigma_db"),
           "give the gain's spread once: unit_spread.gain_db replaces it");
  r.reject_unknown_keys(*t, field,
                        {"gain_db", "highpass_pct", "lowpass_pct", "distortion_pct", "noise_db"});
  spread.gain_db = non_negative(r, *t, "gain_db", field, 0.0);
  spread.highpass_pct = non_negative(r, *t, "highpass_pct", field, 0.0);
  spread.lowpass_pct = non_negative(r, *t, "lowpass_pct", field, 0.0);
  spread.distortion_pct = non_negative(r, *t, "distortion_pct", field, 0.0);
  spread.noise_db = non_negative(r, *t, "noise_db", field, 0.0);
  return spread;
}

// A loudspeaker's Thiele-Small parameters (sim/impedance.hpp); nominal_ohm when it is a load.
sim::LoudspeakerModel loudspeaker(const R& r, const toml::node* node, const std::string& field,
                                  bool as_load) {
  if (!node->is_table()) r.fail(node, field, "must be a table of re_ohm, le_mh, fs_hz, qes, qms");
  const toml::table& t = *node->as_table();
  if (as_load)
    r.reject_unknown_keys(t, field, {"nominal_ohm", "re_ohm", "le_mh", "fs_hz", "qes", "qms"});
  else
    r.reject_unknown_keys(t, field, {"re_ohm", "le_mh", "fs_hz", "qes", "qms"});
  sim::LoudspeakerModel m;
  if (as_load) m.nominal_ohm = positive(r, t, "nominal_ohm", field, std::nullopt);
  m.re_ohm = positive(r, t, "re_ohm", field, m.re_ohm);
  m.le_mh = non_negative(r, t, "le_mh", field, m.le_mh);
  m.fs_hz = positive(r, t, "fs_hz", field, m.fs_hz);
  m.qes = positive(r, t, "qes", field, m.qes);
  m.qms = positive(r, t, "qms", field, m.qms);
  return m;
}

}  // namespace

sim::SimConfig parse_sim(const R& r, const toml::table& t, int channels, double sample_rate_hz) {
  const std::string p = "sim";
  r.reject_unknown_keys(t, p,
                        {"seed",
                         "latency_samples",
                         "buffer_frames",
                         "adc_noise_dbfs",
                         "crosstalk_db",
                         "load_ohm",
                         "fault",
                         "preamp",
                         "power_amp",
                         "faults",
                         "converter_lowpass_hz",
                         "output_vrms_at_0dbfs",
                         "input_vrms_at_0dbfs",
                         "load_relays",
                         "source_ohm",
                         "unit_gain_sigma_db",
                         "unit_spread",
                         "channel_gain_db",
                         "loopback_gain_db",
                         "loudspeaker",
                         "slot_crosstalk_db",
                         "clock_ppm",
                         "resampler_hz"});
  sim::SimConfig c;
  if (auto seed = r.integer(t, "seed", p)) {
    if (*seed < 0) r.fail(t.get("seed"), "sim.seed", "must not be negative");
    c.seed = static_cast<std::uint64_t>(*seed);
  }
  if (auto latency = r.integer(t, "latency_samples", p)) {
    if (*latency < 0 || *latency > 1'000'000)
      r.fail(t.get("latency_samples"), "sim.latency_samples", "must be 0 to 1000000");
    c.latency_samples = static_cast<int>(*latency);
  }
  if (auto buffer = r.integer(t, "buffer_frames", p)) {
    if (*buffer < 0 || *buffer > 65536)
      r.fail(t.get("buffer_frames"), "sim.buffer_frames", "must be 0 to 65536");
    c.buffer_frames = static_cast<int>(*buffer);
  }
  c.adc_noise_dbfs = r.number(t, "adc_noise_dbfs", p).value_or(c.adc_noise_dbfs);
  if (c.adc_noise_dbfs > 0.0)
    r.fail(t.get("adc_noise_dbfs"), "sim.adc_noise_dbfs", "must be at most 0 dBFS");
  c.crosstalk_db = r.number(t, "crosstalk_db", p).value_or(c.crosstalk_db);
  if (c.crosstalk_db > 0.0)
    r.fail(t.get("crosstalk_db"), "sim.crosstalk_db", "must be at most 0 dB");
  c.slot_crosstalk_db = r.number(t, "slot_crosstalk_db", p).value_or(c.slot_crosstalk_db);
  if (c.slot_crosstalk_db > 0.0)
    r.fail(t.get("slot_crosstalk_db"), "sim.slot_crosstalk_db", "must be at most 0 dB");
  c.load_ohm = positive(r, t, "load_ohm", p, c.load_ohm);
  c.source_ohm = non_negative(r, t, "source_ohm", p, 0.0);
  c.converter_lowpass_hz = non_negative(r, t, "converter_lowpass_hz", p, 0.0);
  c.unit_spread = unit_spread(r, t, p);
  c.loopback_gain_db = r.number(t, "loopback_gain_db", p).value_or(0.0);
  c.clock_ppm = r.number(t, "clock_ppm", p).value_or(0.0);
  if (std::abs(c.clock_ppm) > 1000.0)
    r.fail(t.get("clock_ppm"), "sim.clock_ppm", "must be within ±1000 ppm");
  c.resampler_hz = non_negative(r, t, "resampler_hz", p, 0.0);
  if (c.resampler_hz != 0.0 && (c.resampler_hz < 4000.0 || c.resampler_hz > 768000.0))
    r.fail(t.get("resampler_hz"), "sim.resampler_hz",
           "must be a sample rate from 4000 to 768000 Hz");
  if (const toml::node* speaker = t.get("loudspeaker"))
    c.loudspeaker = loudspeaker(r, speaker, "sim.loudspeaker", true);
  if (const toml::table* gains = r.table(t, "channel_gain_db", p, false)) {
    for (const auto& [key, node] : *gains) {
      const std::string f = "sim.channel_gain_db." + std::string(key.str());
      if (!node.is_number()) r.fail(&node, f, "must be a number (dB)");
      c.channel_gain_db[channel_key(r, &node, std::string(key.str()), f, channels)] =
          node.value<double>().value_or(0.0);
    }
  }
  for (double relay : r.number_array(t, "load_relays", p).value_or(std::vector<double>{})) {
    if (relay < 1 || relay > 9999 || relay != std::floor(relay))
      r.fail(t.get("load_relays"), "sim.load_relays", "relays are integers from 1 to 9999");
    c.load_relays.push_back(static_cast<int>(relay));
  }
  // One number for every channel, or a list with one per interface channel.
  for (const char* key : {"output_vrms_at_0dbfs", "input_vrms_at_0dbfs"}) {
    const toml::node* node = t.get(key);
    if (!node) continue;
    auto& values = std::string_view(key) == "output_vrms_at_0dbfs" ? c.output_vrms_at_0dbfs
                                                                   : c.input_vrms_at_0dbfs;
    if (node->is_array())
      values = r.number_array(t, key, p).value_or(std::vector<double>{});
    else
      values = {positive(r, t, key, p, std::nullopt)};
    for (double v : values)
      if (!(v > 0.0)) r.fail(node, "sim." + std::string(key), "every value must be positive");
    if (values.empty()) r.fail(node, "sim." + std::string(key), "give a number or a list");
  }
  if (c.converter_lowpass_hz >= sample_rate_hz / 2.0)
    r.fail(t.get("converter_lowpass_hz"), "sim.converter_lowpass_hz",
           "must be below half the sample rate");
  if (const toml::node* fault = t.get("fault")) {
    for (const auto& [channel, f] : fault_map(r, fault, "sim.fault", channels)) {
      if (channel == 0) {
        for (int ch = 1; ch <= channels; ++ch) c.channel_faults[ch] = f;
      } else {
        c.channel_faults[channel] = f;
      }
    }
  }
  if (const toml::table* pre = r.table(t, "preamp", p, false)) {
    const std::string q = "sim.preamp";
    r.reject_unknown_keys(
        *pre, q,
        {"gain_db", "highpass_hz", "lowpass_hz", "lowpass_q", "a2_per_volt", "a3_per_volt2",
         "noise_nv_per_rthz", "hum_vrms", "hum_hz", "hum_harmonics_db", "clip_vpeak", "inputs",
         "default_input", "gain_control", "tone", "cmrr_db", "cmrr_corner_hz",
         "cmrr_mismatch_pct"});
    sim::PreampModel m;
    m.gain_db = r.number(*pre, "gain_db", q).value_or(m.gain_db);
    m.highpass_hz = non_negative(r, *pre, "highpass_hz", q, 0.0);
    m.lowpass_hz = non_negative(r, *pre, "lowpass_hz", q, 0.0);
    m.lowpass_q = positive(r, *pre, "lowpass_q", q, m.lowpass_q);
    if (m.lowpass_hz >= sample_rate_hz / 2.0)
      r.fail(pre->get("lowpass_hz"), "sim.preamp.lowpass_hz", "must be below half the sample rate");
    if (m.highpass_hz >= sample_rate_hz / 2.0)
      r.fail(pre->get("highpass_hz"), "sim.preamp.highpass_hz",
             "must be below half the sample rate");
    m.a2_per_volt = r.number(*pre, "a2_per_volt", q).value_or(0.0);
    m.a3_per_volt2 = r.number(*pre, "a3_per_volt2", q).value_or(0.0);
    m.noise_nv_per_rthz = non_negative(r, *pre, "noise_nv_per_rthz", q, 0.0);
    m.hum_vrms = non_negative(r, *pre, "hum_vrms", q, 0.0);
    m.hum_hz = positive(r, *pre, "hum_hz", q, 50.0);
    m.hum_harmonics_db =
        r.number_array(*pre, "hum_harmonics_db", q).value_or(std::vector<double>{});
    m.clip_vpeak = non_negative(r, *pre, "clip_vpeak", q, 0.0);
    m.cmrr_db = positive(r, *pre, "cmrr_db", q, m.cmrr_db);
    m.cmrr_corner_hz = non_negative(r, *pre, "cmrr_corner_hz", q, 0.0);
    m.cmrr_mismatch_pct = non_negative(r, *pre, "cmrr_mismatch_pct", q, 0.0);
    if (const toml::table* inputs = r.table(*pre, "inputs", q, false)) {
      for (const auto& [key, node] : *inputs) {
        const std::string name(key.str());
        const std::string f = q + ".inputs." + name;
        if (!node.is_table()) r.fail(&node, f, "must be a table");
        const toml::table& in = *node.as_table();
        r.reject_unknown_keys(in, f,
                              {"gain_db", "impedance_ohm", "noise_nv_per_rthz", "riaa",
                               "riaa_t2_us", "phantom_v", "capacitance_pf", "loudspeaker"});
        sim::PreampInputModel im;
        im.gain_db = r.number(in, "gain_db", f).value_or(0.0);
        im.impedance_ohm = positive(r, in, "impedance_ohm", f, im.impedance_ohm);
        im.noise_nv_per_rthz = non_negative(r, in, "noise_nv_per_rthz", f, 0.0);
        im.riaa = r.boolean(in, "riaa", f).value_or(false);
        im.riaa_t2_us = positive(r, in, "riaa_t2_us", f, im.riaa_t2_us);
        im.phantom_v = non_negative(r, in, "phantom_v", f, 0.0);
        im.capacitance_pf = non_negative(r, in, "capacitance_pf", f, 0.0);
        if (const toml::node* speaker = in.get("loudspeaker"))
          im.loudspeaker = loudspeaker(r, speaker, f + ".loudspeaker", false);
        m.inputs[name] = im;
      }
      if (m.inputs.empty()) r.fail(inputs, q + ".inputs", "must name at least one input");
      m.default_input = r.string(*pre, "default_input", q).value_or(m.inputs.begin()->first);
      if (!m.inputs.count(m.default_input))
        r.fail(pre->get("default_input"), q + ".default_input", "must be one of the inputs");
    }
    if (const toml::table* g = r.table(*pre, "gain_control", q, false)) {
      const std::string f = q + ".gain_control";
      r.reject_unknown_keys(*g, f, {"min_db", "max_db", "step_db"});
      sim::GainControlModel gc;
      gc.min_db = required_number(r, *g, "min_db", f);
      gc.max_db = required_number(r, *g, "max_db", f);
      gc.step_db = non_negative(r, *g, "step_db", f, 0.0);
      if (gc.min_db > 0.0 || gc.max_db < 0.0)
        r.fail(g, f, "the range must include 0 dB (the setting at power-on)");
      m.gain_control = gc;
    }
    if (const toml::table* tone = r.table(*pre, "tone", q, false)) {
      const std::string f = q + ".tone";
      r.reject_unknown_keys(*tone, f, {"bass_hz", "treble_hz", "range_db"});
      sim::ToneControlModel tm;
      tm.bass_hz = positive(r, *tone, "bass_hz", f, tm.bass_hz);
      tm.treble_hz = positive(r, *tone, "treble_hz", f, tm.treble_hz);
      tm.range_db = positive(r, *tone, "range_db", f, tm.range_db);
      if (tm.treble_hz >= sample_rate_hz / 2.0)
        r.fail(tone->get("treble_hz"), f + ".treble_hz", "must be below half the sample rate");
      m.tone = tm;
    }
    c.preamp = m;
  }
  if (const toml::table* pa = r.table(t, "power_amp", p, false)) {
    const std::string q = "sim.power_amp";
    r.reject_unknown_keys(
        *pa, q,
        {"gain_db", "rail_v", "rail_source_ohm", "current_limit_a", "output_impedance_ohm",
         "crossover_v", "crossover_depth", "slew_v_per_us", "output_inductor_uh",
         "inductor_damping_ohm", "zobel_ohm", "zobel_nf", "supply_class", "supply_v", "quiescent_a",
         "class_d_efficiency", "psrr_db", "psrr_corner_hz"});
    sim::PowerAmpModel m;
    m.gain_db = r.number(*pa, "gain_db", q).value_or(m.gain_db);
    m.rail_v = positive(r, *pa, "rail_v", q, m.rail_v);
    m.rail_source_ohm = non_negative(r, *pa, "rail_source_ohm", q, m.rail_source_ohm);
    m.current_limit_a = positive(r, *pa, "current_limit_a", q, m.current_limit_a);
    m.output_impedance_ohm =
        non_negative(r, *pa, "output_impedance_ohm", q, m.output_impedance_ohm);
    m.crossover_v = non_negative(r, *pa, "crossover_v", q, 0.0);
    m.crossover_depth = non_negative(r, *pa, "crossover_depth", q, 0.0);
    if (m.crossover_depth > 1.0)
      r.fail(pa->get("crossover_depth"), q + ".crossover_depth", "must be from 0 to 1");
    m.slew_v_per_us = non_negative(r, *pa, "slew_v_per_us", q, 0.0);
    m.output_inductor_uh = non_negative(r, *pa, "output_inductor_uh", q, 0.0);
    m.inductor_damping_ohm = non_negative(r, *pa, "inductor_damping_ohm", q, 0.0);
    m.zobel_ohm = non_negative(r, *pa, "zobel_ohm", q, 0.0);
    m.zobel_nf = non_negative(r, *pa, "zobel_nf", q, 0.0);
    if (const auto supply_class = r.string(*pa, "supply_class", q)) {
      if (*supply_class == "ab")
        m.supply_class = sim::PowerAmpModel::SupplyClass::ab;
      else if (*supply_class == "d")
        m.supply_class = sim::PowerAmpModel::SupplyClass::d;
      else
        r.fail(pa->get("supply_class"), q + ".supply_class", "must be \"ab\" or \"d\"");
    }
    m.supply_v = non_negative(r, *pa, "supply_v", q, 0.0);
    m.quiescent_a = non_negative(r, *pa, "quiescent_a", q, m.quiescent_a);
    m.class_d_efficiency = positive(r, *pa, "class_d_efficiency", q, m.class_d_efficiency);
    if (m.class_d_efficiency > 1.0)
      r.fail(pa->get("class_d_efficiency"), q + ".class_d_efficiency", "must be at most 1");
    m.psrr_db = positive(r, *pa, "psrr_db", q, m.psrr_db);
    m.psrr_corner_hz = non_negative(r, *pa, "psrr_corner_hz", q, 0.0);
    c.power_amp = m;
  }
  if (const toml::table* faults = r.table(t, "faults", p, false)) {
    for (const auto& [serial, node] : *faults) {
      c.serial_faults[std::string(serial.str())] =
          fault_map(r, &node, "sim.faults." + std::string(serial.str()), channels);
    }
  }
  return c;
}

}  // namespace ampbench::sequence::station_fields
