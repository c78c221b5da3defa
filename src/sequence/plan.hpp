// sequence: the parsed plan of a sequence file (SPEC §5) — immutable once loaded. The
// runner executes it; the store and reports never see it, only the run record.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "dsp/target_curve.hpp"
#include "dsp/tone_analysis.hpp"
#include "dsp/weighting.hpp"
#include "sequence/units.hpp"

namespace ampbench::sequence {

enum class StepKind {
  level,
  thdn,
  frequency_response,
  noise,
  imd,
  crosstalk,
  max_power,
  output_impedance,
  prompt,
  set,
  cleanup,
  input_impedance,
  phantom
};
std::optional<StepKind> parse_step_kind(std::string_view name);
std::string_view step_kind_name(StepKind kind);

// A limit on one measurement; from_hz/to_hz restrict it to part of a curve or sweep.
struct Limit {
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> from_hz;
  std::optional<double> to_hz;
  std::string describe() const;  // "25.5 ≤ x ≤ 26.5"
};

using SweepValue = std::variant<double, Level, std::string>;

struct SweepAxis {
  // dotted path: stimulus.level, stimulus.frequency_hz, load_ohm, dut.gain_db, dut.bass_db,
  // dut.treble_db, dut.input
  std::string parameter;
  std::vector<SweepValue> values;
};

// Where a step's stimulus comes from: the audio interface's own output, or the station's
// external function generator (a sine; the interface only captures).
enum class StimulusSource { interface, generator };

struct Stimulus {
  StimulusSource source = StimulusSource::interface;
  std::optional<double> frequency_hz;
  std::optional<Level> level;
  std::optional<double> from_hz;
  std::optional<double> to_hz;
  int points = 31;
  double duration_s = 2.0;  // swept-sine length
};

// Changes to the DUT's own controls (a preamp's front panel); unset fields stay as they are.
struct DutChange {
  std::optional<std::string> input;
  std::optional<double> gain_db;
  std::optional<double> bass_db;
  std::optional<double> treble_db;
  std::optional<bool> phantom;
  bool empty() const { return !input && !gain_db && !bass_db && !treble_db && !phantom; }
  std::string describe() const;  // "input mic, gain 20 dB, phantom on"
};

// noise: equivalent input noise of a mic preamp — the input terminated in source_ohm; the
// gain measured with a sine at `level` (1 kHz) refers the output noise to the input.
struct EinSpec {
  double source_ohm = 150.0;
  Level level{-60.0, LevelUnit::dbu};
};

// frequency_response: the curve the response should follow (deviation is measured from it).
struct TargetCurve {
  std::string name;  // "riaa" or "table"
  dsp::RiaaOptions riaa;
  dsp::TargetTable table;
  double db(double frequency_hz) const;
};

// max_power: the level search stops where this distortion reaches this value.
struct PowerCriterion {
  bool thd_only = false;  // THD (harmonics only) instead of THD+N
  double pct = 1.0;
};

struct BurstSpec {
  double on_s = 0.2;
  double duty = 0.0;  // 0: the station's max_burst_duty
};

struct StepPlan {
  std::string id;
  StepKind kind = StepKind::level;
  int line = 0;
  bool cleanup = false;  // runs even after a failure, an error or Ctrl-C
  Stimulus stimulus;
  double settle_s = 0.1;
  double capture_s = 0.5;
  std::optional<double> load_ohm;
  std::string method = "stepped";
  dsp::ThdnMethod thdn_method = dsp::ThdnMethod::fft;
  dsp::Weighting weighting = dsp::Weighting::none;
  dsp::FrequencyBand band = dsp::FrequencyBand::audio();
  std::optional<Level> reference;          // noise: SNR re this output level
  std::string imd_signal = "smpte";        // imd: smpte | ccif | NAME:F1:F2
  PowerCriterion criterion;                // max_power
  BurstSpec burst;                         // max_power
  std::optional<double> max_power_w;       // max_power: the search never drives beyond this
  std::optional<double> open_load_ohm;     // output_impedance: the 'open' load (default none)
  std::optional<double> headroom_rated_w;  // max_power: CEA-490 dynamic headroom re this rating
  std::vector<SweepAxis> sweeps;           // outer first
  DutChange dut;                           // set before the step measures
  std::optional<EinSpec> ein;              // noise
  std::optional<TargetCurve> target;       // frequency_response
  std::map<std::string, Limit> limits;
  std::string message;                // prompt / cleanup text
  std::string default_answer;         // prompt answer when stdin is not a terminal
  std::optional<std::string> expect;  // prompt: the answer that passes
  nlohmann::json params;              // the step's table, as stored in steps.params_json
};

struct SequencePlan {
  std::string path;
  std::string text;
  std::string name;
  std::vector<std::string> channels;
  bool stop_on_fail = false;
  std::vector<StepPlan> steps;
};

struct Override {
  std::string key;    // dotted: stimulus.level, STEP.stimulus.level, defaults.capture_s
  std::string value;  // TOML value text, or a bare string
};
Override parse_override(const std::string& text);  // KEY=VALUE; throws UsageError

// Parses the file with the overrides applied. Collects every error it can find (one per
// field, each with file, line and field) into `errors`; returns the plan when there are none.
std::optional<SequencePlan> load_sequence(const std::string& path,
                                          const std::vector<Override>& overrides,
                                          std::vector<std::string>& errors);
// The same from text already read; `path` names it in errors.
std::optional<SequencePlan> parse_sequence(const std::string& text, const std::string& path,
                                           const std::vector<Override>& overrides,
                                           std::vector<std::string>& errors);

}  // namespace ampbench::sequence
