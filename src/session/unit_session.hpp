// session: one unit's test as every front end runs it (`run`, `run` on a station with slots,
// `serve`): the bench opened for the unit (a bench that will not open is an ERROR run of one
// step `bench`, recorded like any other), the sequence run with every step committed to the
// store as it ends, a store that fails mid-run marking the run ERROR with its finished steps
// kept, the finished run handed to the line's forwarder, and its HTML report written.
// Layer: above sequence, store and report; below cli and serve.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "record/record.hpp"
#include "sequence/bench.hpp"
#include "sequence/observer.hpp"
#include "sequence/plan.hpp"
#include "store/forwarder.hpp"
#include "store/result_store.hpp"

namespace ampbench::session {

// The station's results store, shared by the units running at once (one call at a time),
// with the line's forwarder that takes each finished run and where reports go.
class UnitStore {
 public:
  UnitStore(store::ResultStore& store, store::ForwardWorker* forwarder, std::string report_dir)
      : store_(store), forwarder_(forwarder), report_dir_(std::move(report_dir)) {}
  template <typename F>
  auto with(F&& f) {
    std::lock_guard lock(mutex_);
    return f(store_);
  }
  const std::string& path() const { return store_.path(); }
  // A run is finished and stored: the forwarder sends it in the background; its report is
  // written (the path, or "" without a report folder).
  std::string recorded(const record::RunRecord& run);

 private:
  std::mutex mutex_;
  store::ResultStore& store_;
  store::ForwardWorker* forwarder_;
  std::string report_dir_;
};

struct UnitOutcome {
  record::RunRecord run;  // a unit whose bench did not open is an ERROR run too
  bool tested = false;    // the bench opened and the sequence ran
  // The store failed while recording (the message says what was kept); the run above is
  // what was measured.
  std::string store_error;
  std::string report_path;
  double open_s = 0.0;  // wall time opening the unit's own bench (stream, latency probe)
  double wall_s = 0.0;
};

// Opens the unit's bench (MeasurementError: the unit is not tested, an ERROR run), runs the
// sequence on it and records it; `observer` hears every event after the store has it (the
// run's id is set). A store failure is in the outcome, never thrown; other errors propagate.
UnitOutcome test_unit(const sequence::SequencePlan& plan, const sequence::Station& station,
                      const std::function<sequence::Bench()>& open_bench,
                      const sequence::RunOptions& unit, plugs::OperatorIo& io,
                      sequence::RunObserver& observer, UnitStore& store);

// The same on a bench already open (a round of slots opens its benches together).
UnitOutcome test_unit_on(const sequence::SequencePlan& plan, const sequence::Station& station,
                         sequence::Bench& bench, const sequence::RunOptions& unit,
                         plugs::OperatorIo& io, sequence::RunObserver& observer, UnitStore& store);

// A unit that could not be tested (its bench would not open: `why`), recorded as an ERROR run
// of one step named `bench`.
UnitOutcome unit_not_tested(const sequence::SequencePlan& plan, const sequence::Station& station,
                            const sequence::RunOptions& unit, const std::string& why,
                            sequence::RunObserver& observer, UnitStore& store);

}  // namespace ampbench::session
