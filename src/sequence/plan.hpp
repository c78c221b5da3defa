// sequence: the parsed plan of a sequence file (SPEC §5) — immutable once loaded. The
// runner executes it; the store and reports never see it, only the run record. The
// fields of a step that every kind shares are here; each kind's own are in its file
// under steps/.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "plugs/dut_change.hpp"
#include "record/dimensions.hpp"
#include "record/limits.hpp"
#include "sequence/levels.hpp"

namespace ampbench::sequence {

class StepKind;
struct StepParams;

using record::Bounds;
using record::Limit;
using record::LimitAxis;
using record::LimitCoordinates;
using record::LimitSegment;

using SweepValue = std::variant<double, Level, std::string>;

struct SweepAxis {
  std::string parameter;  // the dimension's key (record/dimensions.cpp)
  record::Dimension dimension = record::Dimension::frequency;
  std::vector<SweepValue> values;
  int line = 0;  // where the sweep is written: checks of its values point there
};

// Where a step's stimulus comes from: the audio interface's own output, or the station's
// external function generator (a sine; the interface only captures).
enum class StimulusSource { interface, generator };

struct Stimulus {
  StimulusSource source = StimulusSource::interface;
  std::optional<double> frequency_hz;
  std::optional<Level> level;
  std::optional<Level> output_level;  // at the DUT's output (SPEC §9); never with level
  std::optional<double> from_hz;
  std::optional<double> to_hz;
  // Frequencies of a response, log-spaced: stepped 31 by default, swept 48 per octave (the
  // sweep's own resolution, as exports and REW want it).
  std::optional<int> points;
  double duration_s = 2.0;  // swept-sine length
};

// The fields every step has; what its kind alone means lives in kind_params (the kind's own
// struct, see step_kind.hpp).
struct StepPlan {
  std::string id;
  const StepKind* kind = nullptr;
  std::shared_ptr<const StepParams> kind_params;
  int line = 0;
  std::map<std::string, int> field_lines;  // a dotted field → its line in the file
  bool cleanup = false;                    // runs even after a failure, an error or Ctrl-C
  Stimulus stimulus;
  double settle_s = 0.1;
  double capture_s = 0.5;
  std::optional<double> load_ohm;
  // Where an output-level search starts at the DUT's input (default: from the station,
  // output_level.hpp).
  std::optional<Level> probe_level;
  std::vector<SweepAxis> sweeps;  // outer first
  plugs::DutChange dut;           // set before the step measures
  std::map<std::string, Limit> limits;
  nlohmann::json params;  // the step's table, as stored in steps.params_json

  std::string_view kind_name() const;
  bool sweeps_over(record::Dimension dimension) const;
};

struct SequencePlan {
  std::string path;
  std::string text;
  std::string name;
  std::vector<std::string> channels;
  bool stop_on_fail = false;
  std::vector<StepPlan> steps;
  // The limits file layered on the sequence's (SPEC §16), as read; empty without one.
  std::string limits_text;
};

struct Override {
  std::string key;    // dotted: stimulus.level, STEP.stimulus.level, defaults.capture_s
  std::string value;  // TOML value text, or a bare string
};
Override parse_override(const std::string& text);  // KEY=VALUE; throws UsageError

// Parses the file with the overrides applied. Collects every error it can find (one per
// field, each with file, line and field) into `errors`; returns the plan when there are none.
// `parsed`, when given, receives the steps that did parse even when others did not, so that
// validate can check those against the station too.
// `limits_path`: a limits file layered on the sequence's limits (SPEC §16, run --limits).
std::optional<SequencePlan> load_sequence(const std::string& path,
                                          const std::vector<Override>& overrides,
                                          std::vector<std::string>& errors,
                                          SequencePlan* parsed = nullptr,
                                          const std::string& limits_path = "");
// The same from text already read; `path` names it in errors.
std::optional<SequencePlan> parse_sequence(const std::string& text, const std::string& path,
                                           const std::vector<Override>& overrides,
                                           std::vector<std::string>& errors,
                                           SequencePlan* parsed = nullptr,
                                           const std::string& limits_path = "");

}  // namespace ampbench::sequence
