// sequence: the runner executes a SequencePlan for one unit on a station's bench and fills
// a RunRecord: the walk over steps and their points, verdicts, stop_on_fail, Ctrl-C and
// cleanup steps. What a step measures is its kind's (step_kind.hpp); observers see the
// run as it happens.
#pragma once

#include "plugs/operator_io.hpp"
#include "record/record.hpp"
#include "sequence/bench.hpp"
#include "sequence/checks.hpp"
#include "sequence/observer.hpp"
#include "sequence/plan.hpp"
#include "sequence/station.hpp"

namespace ampbench::sequence {

// A run's record before its first step: what ran, where, on which unit, by whom, when.
record::RunRecord new_run_record(const SequencePlan& plan, const Station& station,
                                 const std::string& serial, const std::string& operator_name);

// Throws what an observer threw (the first of it), after the remaining cleanup steps ran.
record::RunRecord run_sequence(const SequencePlan& plan, const Station& station, Bench& bench,
                               const RunOptions& options, plugs::OperatorIo& io,
                               RunObserver& observer);

}  // namespace ampbench::sequence
