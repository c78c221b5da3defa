#include "session/unit_session.hpp"

#include <chrono>

#include "common/error.hpp"
#include "common/output_file.hpp"
#include "report/files.hpp"
#include "report/html.hpp"
#include "sequence/runner.hpp"

namespace ampbench::session {
namespace {

// Commits each event to the store before the observer hears of it.
class Recorder : public sequence::RunObserver {
 public:
  Recorder(UnitStore& store, sequence::RunObserver& observer)
      : store_(store), observer_(observer) {}
  void run_started(record::RunRecord& run) override {
    run_id_ = store_.with([&](store::ResultStore& s) { return s.begin_run(run); });
    observer_.run_started(run);
  }
  void step_started(const record::RunRecord& run, record::StepRecord& step) override {
    store_.with([&](store::ResultStore& s) { return s.begin_step(run.id, step); });
    observer_.step_started(run, step);
  }
  void progress(const record::StepRecord& step, int point, int points) override {
    observer_.progress(step, point, points);
  }
  void step_finished(const record::RunRecord& run, const record::StepRecord& step) override {
    store_.with([&](store::ResultStore& s) {
      s.finish_step(step);
      return 0;
    });
    observer_.step_finished(run, step);
  }
  void run_finished(const record::RunRecord& run) override {
    store_.with([&](store::ResultStore& s) {
      s.finish_run(run);
      return 0;
    });
    observer_.run_finished(run);
  }
  std::int64_t run_id() const { return run_id_; }

 private:
  UnitStore& store_;
  sequence::RunObserver& observer_;
  std::int64_t run_id_ = 0;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The database failed while recording: every step committed before stays; the run is
// marked ERROR if anything can still be written (else ABORTED on the next open).
std::string store_failed(const IoError& e, UnitStore& store, std::int64_t run_id) {
  const bool marked =
      run_id > 0 && store.with([&](store::ResultStore& s) { return s.mark_run_failed(run_id); });
  return std::string(e.what()) +
         (marked ? "; run marked ERROR, finished steps kept"
                 : "; finished steps kept, the run is marked ABORTED when the database is next "
                   "opened");
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
  } catch (const IoError& e) {
    out.store_error = store_failed(e, store, recorder.run_id());
  }
  if (bench.port)
    out.stimulus_s =
        static_cast<double>(bench.port->frames_played()) / bench.port->sample_rate_hz();
  out.wall_s = seconds_since(started);
  if (out.store_error.empty()) out.report_path = store.recorded(out.run);
  return out;
}

UnitOutcome test_unit(const sequence::SequencePlan& plan, const sequence::Station& station,
                      const std::function<sequence::Bench()>& open_bench,
                      const sequence::RunOptions& unit, plugs::OperatorIo& io,
                      sequence::RunObserver& observer, UnitStore& store) {
  std::optional<sequence::Bench> bench;
  try {
    bench.emplace(open_bench());
  } catch (const MeasurementError& e) {
    return unit_not_tested(plan, station, unit, e.what(), observer, store);
  }
  return test_unit_on(plan, station, *bench, unit, io, observer, store);
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
  } catch (const IoError& e) {
    out.store_error = store_failed(e, store, recorder.run_id());
    return out;
  }
  out.report_path = store.recorded(run);
  return out;
}

}  // namespace ampbench::session
