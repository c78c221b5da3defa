#include "sequence/runner.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <optional>

#include "common/error.hpp"
#include "sequence/bench_meter.hpp"
#include "sequence/points.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

std::string skipped_text(std::size_t skipped) {
  return ", " + std::to_string(skipped) + " higher point" + (skipped == 1 ? "" : "s") + " skipped";
}

// Each point's DUT settings, then the kind's measurement of it; after the last point,
// what the kind draws over all of them, and the curves judged against their masks.
void run_step(StepContext& context) {
  const StepPlan& step = context.step();
  const auto points = expand_points(step);
  std::optional<nlohmann::json> ended_condition;
  std::size_t skipped = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points.size() > 1) context.progress(static_cast<int>(i), static_cast<int>(points.size()));
    const Point& p = points[i];
    if (ended_condition && level_condition(p.coordinates) == *ended_condition) {
      ++skipped;
      context.begin_point(p);
      if (!context.ended_by_rule())
        context.add_unmeasured(p, "not measured: " + context.ended_reason(),
                               context.ended_by_bench());
      continue;
    }
    if (skipped) context.record().message += skipped_text(skipped);
    skipped = 0;
    ended_condition.reset();
    if (!p.dut.empty()) {
      auto& dut = context.bench().dut;
      if (!dut) throw MeasurementError("this bench cannot set the DUT's controls");
      dut->apply(p.dut);
      context.bench().dut_settings.update(p.dut);
    }
    context.begin_point(p);
    step.kind->run_point(context, p, i, points.size());
    if (context.condition_ended()) ended_condition = level_condition(p.coordinates);
  }
  if (skipped) context.record().message += skipped_text(skipped);
  step.kind->finish(context, points);
  context.judge_curves();
}

// What the step's results depend on beyond their points (SPEC §17): the kind's analysis
// settings, the load and the DUT's controls as the run has set them; what the step sweeps is
// in each point instead.
nlohmann::json step_conditions(const StepPlan& step, const Bench& bench) {
  auto conditions = step.kind->conditions(step);
  if (!step.kind->analyses_capture()) return conditions;
  if (step.load_ohm && !step.sweeps_over(record::Dimension::load)) {
    char load[48];
    std::snprintf(load, sizeof load, "into %g Ω", *step.load_ohm);
    conditions["load"] = load;
  }
  auto dut = bench.dut_settings;
  dut.update(step.dut);
  using record::Dimension;
  if (step.sweeps_over(Dimension::dut_input)) dut.input.reset();
  if (step.sweeps_over(Dimension::dut_gain)) dut.gain_db.reset();
  if (step.sweeps_over(Dimension::dut_bass)) dut.bass_db.reset();
  if (step.sweeps_over(Dimension::dut_treble)) dut.treble_db.reset();
  if (!dut.empty()) conditions["dut"] = dut.describe();
  return conditions;
}

}  // namespace

record::RunRecord new_run_record(const SequencePlan& plan, const Station& station,
                                 const std::string& serial, const std::string& operator_name) {
  record::RunRecord run;
  run.sequence_name = plan.name;
  run.sequence_sha256 = record::sha256_hex(plan.text);
  run.sequence_text = plan.text;
  run.station_name = station.name;
  run.line = station.line;
  run.station_text = station.text;
  run.serial = serial;
  run.operator_name = operator_name;
  run.software_version = AMPBENCH_VERSION;
  run.started_at = record::utc_now_iso8601();
  run.calibration_uuids = station.calibration_records.uuids;
  if (!plan.limits_text.empty()) {
    run.limits_sha256 = record::sha256_hex(plan.limits_text);
    run.limits_text = plan.limits_text;
  }
  return run;
}

record::RunRecord run_sequence(const SequencePlan& plan, const Station& station, Bench& bench,
                               const RunOptions& options, plugs::OperatorIo& io,
                               RunObserver& observer) {
  record::RunRecord run = new_run_record(plan, station, options.serial, options.operator_name);
  run.slot = options.slot;
  observer.run_started(run);
  const BenchMeter meter(bench.port.get());

  bool skipping = false;
  bool aborted = false;
  // An observer that fails (the database is full) ends the run's measuring, never its
  // cleanup: the cleanup steps still run, and the first failure is rethrown at the end.
  std::exception_ptr observer_failure;
  const auto observe = [&](const auto& call) {
    try {
      call();
    } catch (const std::exception&) {
      if (!observer_failure) observer_failure = std::current_exception();
      skipping = true;
    }
  };
  record::Verdict verdict = record::Verdict::pass;
  int ordinal = 0;
  for (const auto& step : plan.steps) {
    if (options.stop_signal && options.stop_signal->load() != 0) aborted = true;
    if ((skipping || aborted) && !step.cleanup) continue;
    record::StepRecord record;
    record.ordinal = ++ordinal;
    record.step_id = step.id;
    record.kind = std::string(step.kind_name());
    record.params = step.params;
    if (auto conditions = step_conditions(step, bench); !conditions.empty())
      record.params["conditions"] = std::move(conditions);
    record.started_at = record::utc_now_iso8601();
    record.verdict = record::Verdict::pass;
    observe([&] { observer.step_started(run, record); });
    try {
      std::optional<audio::SharedPort::Exclusive> alone;
      if (bench.shared && step.kind->needs_station_alone(step, station))
        alone.emplace(*bench.shared, bench.slot);
      StepContext context(plan, station, bench, options, io, observer, step, record);
      const auto retried_before = bench.port ? bench.port->xrun_retried_transfers() : 0;
      run_step(context);
      // Measured from clean transfers only, but a host that loses audio is worth knowing of.
      if (const auto retried =
              bench.port ? bench.port->xrun_retried_transfers() - retried_before : 0)
        record.message += std::string(record.message.empty() ? "" : "; ") +
                          std::to_string(retried) + " transfer(s) played again after an xrun";
      for (const auto& m : record.measurements)
        record.verdict = record::worst(record.verdict, m.verdict);
      // A limit judges a value: one that judged nothing at all cannot be passed.
      if (const auto unjudged = context.unjudged_limits(); !unjudged.empty()) {
        record.message += std::string(record.message.empty() ? "" : "; ") +
                          "nothing measured for " + unjudged + ", which the step's limits judge";
        record.verdict = record::worst(record.verdict, record::Verdict::error);
      }
    } catch (const AbortedError& e) {
      record.verdict = record::Verdict::aborted;
      record.message = e.what();
      aborted = true;
    } catch (const MeasurementError& e) {
      record.verdict = record::Verdict::error;
      record.message = e.what();
    } catch (const IoError& e) {  // a capture kept for analysis could not be written
      record.verdict = record::Verdict::error;
      record.message = e.what();
    } catch (const std::exception& e) {
      record.verdict = record::Verdict::error;
      record.message = std::string("internal error: ") + e.what();
    }
    record.finished_at = record::utc_now_iso8601();
    verdict = record::worst(verdict, record.verdict);
    if (plan.stop_on_fail && record.verdict != record::Verdict::pass) skipping = true;
    observe([&] { observer.step_finished(run, record); });
    run.steps.push_back(std::move(record));
  }
  // A run its observers could not follow (its record is incomplete) is an ERROR at best.
  if (observer_failure) verdict = record::worst(verdict, record::Verdict::error);
  run.verdict = aborted ? record::Verdict::aborted : verdict;
  run.finished_at = record::utc_now_iso8601();
  run.bench_time = meter.read();
  observe([&] { observer.run_finished(run); });
  if (observer_failure) std::rethrow_exception(observer_failure);
  return run;
}

}  // namespace ampbench::sequence
