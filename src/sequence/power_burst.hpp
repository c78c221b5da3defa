// sequence: one duty-limited burst of a sine on every channel, analysed after its settle
// time, as max_power's search and power_bandwidth's walk play them; and the `burst` table
// that sets its length and duty, checked against the station.
#pragma once

#include <string>

#include "common/toml_reader.hpp"
#include "dsp/dsp.hpp"
#include "sequence/distortion_criterion.hpp"
#include "sequence/power_search.hpp"
#include "sequence/step_kind.hpp"

namespace ampbench::sequence {

class StepContext;

struct BurstSpec {
  double on_s = 0.2;
  double duty = 0.0;  // 0: the station's max_burst_duty
};

// The step's `burst` table, when it has one; fails on its line.
BurstSpec parse_burst_spec(const TomlReader& reader, const toml::table& step_table,
                           const std::string& field, BurstSpec spec = {});

// What a step of bursts judges them by: its `band`, `criterion` and `burst` tables, each
// left as given when the step has none; fails on its line.
void parse_burst_judgement(const TomlReader& reader, const toml::table& step_table,
                           const std::string& field, dsp::FrequencyBand& band,
                           DistortionCriterion& criterion, BurstSpec& burst);

// Duty within the station's maximum, enough left to analyse after settling, and H2 told
// from the fundamental at each of `frequencies_hz`.
void check_burst_spec(StepChecks& checks, const BurstSpec& spec,
                      const std::vector<double>& frequencies_hz);

// A sine of `vin` on every channel for spec.on_s into `load_ohm`; each channel's output and
// distortion over `band` after the settle time (at most half the burst).
Burst play_sine_burst(StepContext& ctx, const BurstSpec& spec, const dsp::FrequencyBand& band,
                      double frequency_hz, double vin, double load_ohm);

}  // namespace ampbench::sequence
