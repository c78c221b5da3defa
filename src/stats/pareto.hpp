// stats --pareto: why units fail, largest cause first. Each failing run is counted under
// every step and measurement it failed (channels together: a unit failing gain on L and R
// fails gain once), so the causes a line should fix first head the list.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/results_reader.hpp"

namespace ampbench::stats {

struct ParetoCause {
  std::string step_id;
  std::string name;    // the measurement; "" for a failing run none of whose measurements failed
  int units = 0;       // distinct serial numbers with a failing run here
  int runs = 0;        // failing runs here
  int errors = 0;      // of them, runs where the value was missing or its step errored
  double share = 0.0;  // runs / failing runs (a run may fail several causes)
  double cumulative = 0.0;  // of `units`, down the list, over the failing units
};

struct Pareto {
  int runs = 0;                     // finished runs looked at
  int failing_runs = 0;             // FAIL or ERROR
  int failing_units = 0;            // serial numbers with at least one failing run
  std::vector<ParetoCause> causes;  // most units first, then most runs, then step and name
};

// `runs`: the finished runs (headers); `rows`: their measurements (any order); `load_run`
// reads a whole run, asked only for failing runs none of whose measurements failed (a
// curve's mask, a step's error) to find their steps.
Pareto pareto(const std::vector<record::RunRecord>& runs,
              const std::vector<store::MeasurementRow>& rows,
              const std::function<record::RunRecord(const std::string& uuid)>& load_run);

// The same from a store: the runs counted by it, only the failing runs and their
// measurements read (streamed), so memory follows the failures, not the line's history.
Pareto pareto(const store::ResultsReader& store, const store::RunFilter& filter);

nlohmann::json to_json(const Pareto& pareto);

}  // namespace ampbench::stats
