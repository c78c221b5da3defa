// sequence: one round on a station with slots (SPEC §11) — the sequence runs for every unit
// at once, each in its own thread on its own slot's bench; their transfers are shared
// (audio/shared_port.hpp). A unit's FAIL, ERROR or abort is its own: the others go on.
#pragma once

#include <exception>
#include <optional>
#include <vector>

#include "sequence/runner.hpp"
#include "sequence/slot_bench.hpp"

namespace ampbench::sequence {

struct SlotUnitRun {
  std::optional<record::RunRecord> run;  // none when the runner threw
  std::exception_ptr error;              // what it threw (an observer's failure)
  double stimulus_s = 0.0;               // of this unit's own stimuli
};

// One thread per bench; options, ios and observers per unit, in the benches' order. Each
// observer and io is called from its unit's thread only.
std::vector<SlotUnitRun> run_slots(const SequencePlan& plan, SlotBenches& benches,
                                   const std::vector<RunOptions>& options,
                                   const std::vector<plugs::OperatorIo*>& ios,
                                   const std::vector<RunObserver*>& observers);

}  // namespace ampbench::sequence
