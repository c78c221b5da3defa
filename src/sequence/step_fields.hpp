// sequence: the fields every step has (id and kind aside): timing, load, stimulus, sweeps,
// limits and DUT settings, read from the step's table before its kind reads its own.
#pragma once

#include <string_view>

#include "common/toml_reader.hpp"
#include "sequence/plan.hpp"
#include "sequence/step_kind.hpp"

namespace ampbench::sequence {

inline constexpr std::string_view kCommonStepKeys[] = {
    "id",        "kind",     "name",  "cleanup", "stimulus", "settle_s",
    "capture_s", "load_ohm", "sweep", "limits",  "dut",      "probe_level"};

// The keys of a sweep table (docs/sequences.md lists them; a test holds them together). The
// stimulus fields, sweep dimensions and limit keys are tables of the record
// (record/dimensions.hpp, record/limits.hpp).
inline constexpr std::string_view kSweepKeys[] = {"parameter", "from",    "to",
                                                  "points",    "spacing", "values"};

// Whether a step of this kind may hold this key (a common one or the kind's own).
bool step_accepts_key(const StepKind& kind, std::string_view key);

// A step's `limits.NAME`: one { min, max, … } table, or a list of them each judging the
// points it covers (docs/sequences.md). Throws InputError naming `field`.
Limit limit_field(const TomlReader& reader, const toml::node* node, const std::string& field);

// Fills `step` (whose id is set) from its table, the sequence's [defaults] filling in
// timing and load; then its kind parses its own keys. Throws InputError.
void parse_step(const TomlReader& reader, const toml::table& table, const toml::table* defaults,
                StepPlan& step);

}  // namespace ampbench::sequence
