#include "session/unit_session.hpp"

#include <chrono>
#include <filesystem>

#include "common/error.hpp"
#include "common/output_file.hpp"
#include "report/files.hpp"
#include "report/html.hpp"
#include "sequence/runner.hpp"
#include "store/pending_run.hpp"

namespace ampbench::session {
namespace {

// Commits each event to the store before the observer hears of it. The first store
// failure ends the run's measuring (the runner runs its cleanup steps and ends it ERROR):
// the observer still hears every event, the store is not asked again (a locked database
// would hold each call for the whole busy timeout), and the finished run is kept whole in
// a side file the next open imports (store/pending_run.hpp).
class Recorder : public sequence::RunObserver {
 public:
  Recorder(UnitStore& store, sequence::RunObserver& observer)
      : store_(store), observer_(observer) {}
  void run_started(record::RunRecord& run) override {
    if (run.uuid.empty()) run.uuid = record::new_uuid_v4();
    side_file_.emplace(store_.path(), run.uuid);
    store("the run's start", [&](store::ResultStore& s) { run_id_ = s.begin_run(run); });
    if (failure_ && side_file_) {
      // Nothing will be measured, but the unit was here: its run is kept as ERROR.
      record::RunRecord kept = run;
      kept.verdict = record::Verdict::error;
      kept.finished_at = record::utc_now_iso8601();
      kept_ = side_file_->keep(kept, *failure_);
    }
    observer_.run_started(run);
    rethrow_new_failure();
  }
  void step_started(const record::RunRecord& run, record::StepRecord& step) override {
    store(
        "step '" + step.step_id + "'", [&](store::ResultStore& s) { s.begin_step(run.id, step); },
        step.step_id);
    observer_.step_started(run, step);
    rethrow_new_failure();
  }
  void progress(const record::StepRecord& step, int point, int points) override {
    observer_.progress(step, point, points);
  }
  void step_finished(const record::RunRecord& run, const record::StepRecord& step) override {
    store(
        "step '" + step.step_id + "'", [&](store::ResultStore& s) { s.finish_step(step); },
        step.step_id);
    observer_.step_finished(run, step);
    rethrow_new_failure();
  }
  void run_finished(const record::RunRecord& run) override {
    store("the run's verdict", [&](store::ResultStore& s) { s.finish_run(run); });
    finished_ = run;
    if (failure_ && side_file_) {
      // The step the store failed on says so where it is read: the run is ERROR for it.
      record::RunRecord kept = run;
      for (auto& step : kept.steps)
        if (step.step_id == failed_step_)
          step.message += std::string(step.message.empty() ? "" : "; ") + "not stored in time (" +
                          *failure_ + "): imported from the side file";
      kept_ = side_file_->keep(kept, *failure_);
    }
    observer_.run_finished(run);
    rethrow_new_failure();
  }
  std::int64_t run_id() const { return run_id_; }
  const std::optional<record::RunRecord>& finished_run() const { return finished_; }
  // What failed and what became of the run, for the unit's store error.
  std::string failure_text() const {
    if (!failure_) return "";
    std::string text = *failure_ + "; " + failed_at_ + " could not be stored";
    if (kept_)
      text += "; what was measured is kept in " + kept_->string() +
              ", imported when the database is next opened for writing (by any run or results "
              "command)";
    return text;
  }

 private:
  template <typename Call>
  void store(const std::string& what, Call&& call, const std::string& step_id = "") {
    if (failure_) return;
    try {
      store_.with([&](store::ResultStore& s) {
        call(s);
        return 0;
      });
    } catch (const IoError& e) {
      failure_ = e.what();
      failed_at_ = what;
      failed_step_ = step_id;
      new_failure_ = true;
    }
  }
  void rethrow_new_failure() {
    if (!new_failure_) return;
    new_failure_ = false;
    throw IoError(*failure_);
  }
  UnitStore& store_;
  sequence::RunObserver& observer_;
  std::int64_t run_id_ = 0;
  std::optional<store::PendingRunFile> side_file_;
  std::optional<std::string> failure_;
  std::string failed_at_;
  std::string failed_step_;
  bool new_failure_ = false;
  std::optional<record::RunRecord> finished_;
  std::optional<std::filesystem::path> kept_;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The database failed while recording: every step committed before stays; the run is
// marked ERROR if that can be written at once (else by the side file's import, or ABORTED
// when the database is next opened).
std::string store_failed(const Recorder& recorder, UnitStore& store) {
  const std::int64_t run_id = recorder.run_id();
  const bool marked =
      run_id > 0 && store.with([&](store::ResultStore& s) { return s.mark_run_failed(run_id); });
  return recorder.failure_text() +
         (marked ? "; run marked ERROR, finished steps kept"
                 : "; finished steps kept, the run is finished when the database is next opened");
}

}  // namespace

std::string UnitStore::recorded(const record::RunRecord& run) {
  if (forwarder_) forwarder_->notify();
  if (report_dir_.empty()) return "";
  const auto path = report::unique_report_path(report_dir_, run, ".html");
  write_file_atomically(path, report::render_html(run));
  return path.string();
}

UnitOutcome test_unit_on(const sequence::SequencePlan& plan, const sequence::Station& station,
                         sequence::Bench& bench, const sequence::RunOptions& unit,
                         plugs::OperatorIo& io, sequence::RunObserver& observer, UnitStore& store) {
  const auto started = std::chrono::steady_clock::now();
  Recorder recorder(store, observer);
  UnitOutcome out;
  out.tested = true;
  try {
    out.run = sequence::run_sequence(plan, station, bench, unit, io, recorder);
  } catch (const IoError&) {
    out.store_error = store_failed(recorder, store);
    if (recorder.finished_run()) out.run = *recorder.finished_run();
  }
  out.wall_s = seconds_since(started);
  if (out.store_error.empty()) out.report_path = store.recorded(out.run);
  return out;
}

UnitOutcome test_unit(const sequence::SequencePlan& plan, const sequence::Station& station,
                      const std::function<sequence::Bench()>& open_bench,
                      const sequence::RunOptions& unit, plugs::OperatorIo& io,
                      sequence::RunObserver& observer, UnitStore& store) {
  std::optional<sequence::Bench> bench;
  const auto opening = std::chrono::steady_clock::now();
  try {
    bench.emplace(open_bench());
  } catch (const MeasurementError& e) {
    return unit_not_tested(plan, station, unit, e.what(), observer, store);
  }
  const double open_s = seconds_since(opening);
  auto out = test_unit_on(plan, station, *bench, unit, io, observer, store);
  out.open_s = open_s;
  return out;
}

UnitOutcome unit_not_tested(const sequence::SequencePlan& plan, const sequence::Station& station,
                            const sequence::RunOptions& unit, const std::string& why,
                            sequence::RunObserver& observer, UnitStore& store) {
  Recorder recorder(store, observer);
  UnitOutcome out;
  auto& run = out.run;
  run = sequence::new_run_record(plan, station, unit.serial, unit.operator_name);
  run.slot = unit.slot;
  try {
    recorder.run_started(run);
    record::StepRecord step;
    step.ordinal = 1;
    step.step_id = "bench";
    step.kind = "bench";
    step.started_at = run.started_at;
    recorder.step_started(run, step);
    step.verdict = record::Verdict::error;
    step.message = "the bench could not be opened: " + why;
    step.finished_at = record::utc_now_iso8601();
    recorder.step_finished(run, step);
    run.steps.push_back(step);
    run.verdict = record::Verdict::error;
    run.finished_at = step.finished_at;
    recorder.run_finished(run);
  } catch (const IoError&) {
    out.store_error = store_failed(recorder, store);
    return out;
  }
  out.report_path = store.recorded(run);
  return out;
}

}  // namespace ampbench::session
