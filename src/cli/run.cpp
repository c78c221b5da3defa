#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/run_observers.hpp"
#include "cli/terminal_io.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "common/postgres_uri.hpp"
#include "record/point_words.hpp"
#include "report/export.hpp"
#include "report/files.hpp"
#include "report/html.hpp"
#include "report/junit.hpp"
#include "sequence/bench_meter.hpp"
#include "sequence/runner.hpp"
#include "sequence/slot_runs.hpp"
#include "sequence/slot_serials.hpp"
#include "session/calibrations.hpp"
#include "session/unit_session.hpp"
#include "store/forwarder.hpp"
#include "store/pending_run.hpp"
#include "store/postgres_store.hpp"
#include "store/result_store.hpp"

namespace ampbench::cli {
namespace {

struct RunOptionsCli {
  std::string sequence;
  std::string station;
  std::vector<std::string> serials;
  std::string db = "ampbench.db";
  std::vector<std::string> sets;
  std::string operator_name;
  bool json = false;
  bool quiet = false;
  std::string report_dir;
  std::string junit;
  bool freewheel = false;
  std::string captures_dir;
  std::string limits;
};

int exit_code_for(record::Verdict v) {
  switch (v) {
    case record::Verdict::pass:
      return 0;
    case record::Verdict::fail:
      return 1;
    case record::Verdict::aborted:
      return 3;
    default:
      return 2;
  }
}

// Fails before anything runs when an output cannot be written: found after measuring, it
// would cost the batch its reports.
void check_writable_dir(const std::filesystem::path& dir, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec))
    throw IoError(what + " " + dir.string() + " is a file, not a directory");
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(what + " " + dir.string() + ": cannot create it: " + ec.message());
  const auto probe = dir / (".ampbench-write-test-" + std::to_string(::getpid()));
  {
    std::ofstream out(probe);
    if (!out) throw IoError(what + " " + dir.string() + ": cannot write into it");
  }
  std::filesystem::remove(probe, ec);
}

void check_serial(const std::string& serial) {
  if (const auto problem = record::serial_problem(serial); !problem.empty())
    throw UsageError("--serial " + problem);
}

int run_run(const RunOptionsCli& o) {
  for (const auto& serial : o.serials) check_serial(serial);
  auto loaded =
      load_checked(o.sequence, o.station.empty() ? default_station_path() : o.station, o.sets,
                   o.limits);
  // Named, not bound: the lambdas below capture them.
  const sequence::SequencePlan& plan = loaded.first;
  sequence::Station& station = loaded.second;
  if (o.freewheel) {
    if (!station.jack) throw UsageError("--freewheel needs a JACK station (a [jack] table)");
    station.jack->freewheel = true;
  }
  // Without --serial: refused on a production line's station (a unit with no number is
  // lost data there), said plainly anywhere else.
  if (o.serials.empty() && !station.line.empty())
    throw UsageError("station '" + station.name + "' is on production line '" + station.line +
                     "': every unit needs its --serial");
  if (o.serials.empty() && !o.quiet)
    std::fprintf(stderr, "ampbench: no --serial given: this run is recorded as serial 'unnamed'\n");
  auto db = store::ResultStore::open(o.db);
  db->set_busy_timeout(
      std::chrono::milliseconds(std::llround(station.results_busy_timeout_s * 1000.0)));
  if (db->imported_runs() > 0 && !o.quiet)
    std::fprintf(stderr, "%s: stored %d run(s) kept in %s while the database could not take them\n",
                 o.db.c_str(), db->imported_runs(), store::pending_dir(o.db).c_str());
  if (db->recovered_runs() > 0 && !o.quiet)
    std::fprintf(stderr, "%s: marked %d run(s) left RUNNING by a dead process as ABORTED\n",
                 o.db.c_str(), db->recovered_runs());
  // Without [calibration] required, channels without a record use the station file's
  // nominal values, and the run says so.
  if (const auto nominal = session::attach_calibrations(station, *db); !nominal.empty() && !o.quiet)
    std::fprintf(stderr, "ampbench: %s\n", nominal.c_str());

  const std::atomic<int>& stop_signal = stop_on_signals();
  TerminalIo io;
  ProgressPrinter printer(o.quiet, plan.steps.size(), std::max<std::size_t>(o.serials.size(), 1));
  const char* user = std::getenv("USER");
  const std::string operator_name = !o.operator_name.empty() ? o.operator_name : (user ? user : "");

  // Finished runs go to the line's central store in the background while the next unit is
  // tested; the run's verdict never waits on, or depends on, the network.
  std::optional<store::ForwardWorker> forwarder;
  if (station.forward_uri) forwarder.emplace(o.db, *station.forward_uri, std::chrono::seconds(5));

  if (!o.report_dir.empty()) check_writable_dir(o.report_dir, "--report-dir");
  if (!o.junit.empty())
    check_writable_dir(std::filesystem::absolute(o.junit).parent_path(), "--junit's folder");
  if (!o.captures_dir.empty()) check_writable_dir(o.captures_dir, "--captures");
  session::UnitStore unit_store(*db, forwarder ? &*forwarder : nullptr, o.report_dir);
  std::optional<report::JunitFile> junit;
  if (!o.junit.empty()) junit.emplace(o.junit);
  record::Verdict worst = record::Verdict::pass;
  nlohmann::json summary = {{"runs", nlohmann::json::array()}};
  std::optional<std::string> store_error;
  // A unit's verdict and summary entry, whichever way it was tested.
  const auto finish_unit = [&](const session::UnitOutcome& outcome, double wall_s) {
    if (!outcome.store_error.empty()) {
      if (!store_error) store_error = outcome.store_error;
      return;
    }
    const auto& run = outcome.run;
    worst = record::worst(worst, run.verdict);
    auto unit = report::run_to_json(run, false);
    if (!outcome.tested) {
      unit["error"] = run.steps.front().message;
    } else {
      // The bench's opening and this run's own wall time (its bench time is the run's).
      unit["open_s"] = outcome.open_s;
      unit["wall_s"] = wall_s;
    }
    if (!outcome.report_path.empty()) {
      unit["report"] = outcome.report_path;
      if (!o.quiet)
        std::fprintf(stderr, "%s: report %s\n", run.serial.c_str(), outcome.report_path.c_str());
    }
    // Kept only for the outputs that need every unit at the end, and only what they show:
    // a shift of units in one command must not grow without bound.
    if (o.json) summary["runs"].push_back(std::move(unit));
    if (junit) junit->add(run);
  };
  const auto options_for = [&](const sequence::SlotUnit& unit) {
    return sequence::RunOptions{unit.serial, operator_name, &stop_signal,
                                unit.slot ? unit.slot->name : "", o.captures_dir};
  };
  const auto units = sequence::assign_serials(
      station, o.serials.empty() ? std::vector<std::string>{"unnamed"} : o.serials);
  if (!station.slots.empty()) {
    // Every slot's unit at once, each in its own thread; transfers shared (SPEC §11).
    std::mutex terminal_mutex;
    std::optional<sequence::SlotBenches> benches;
    try {
      benches.emplace(sequence::open_slot_benches(station, units, io));
    } catch (const MeasurementError& e) {
      for (const auto& unit : units)
        finish_unit(session::unit_not_tested(plan, sequence::station_for_slot(station, *unit.slot),
                                             options_for(unit), e.what(), printer, unit_store),
                    0.0);
    }
    if (benches) {
      std::vector<std::unique_ptr<ProgressPrinter>> printers;
      std::vector<std::unique_ptr<SerialisedObserver>> observers;
      std::vector<std::unique_ptr<SlotIo>> slot_ios;
      for (const auto& unit : units) {
        printers.push_back(
            std::make_unique<ProgressPrinter>(o.quiet, plan.steps.size(), 1, unit.slot->name));
        observers.push_back(std::make_unique<SerialisedObserver>(*printers.back(), terminal_mutex));
        slot_ios.push_back(std::make_unique<SlotIo>(io, terminal_mutex, unit.slot->name));
      }
      std::vector<session::UnitOutcome> outcomes(units.size());
      const auto started = std::chrono::steady_clock::now();
      // The interface's clock and whatever the round spent outside it (the slots' analysis
      // and settling between shared transfers), as a unit's bench time is counted.
      const sequence::BenchMeter round_meter(&benches->shared->port());
      const auto errors = sequence::run_slots(*benches, [&](std::size_t u, sequence::Bench& bench) {
        outcomes[u] =
            session::test_unit_on(plan, benches->stations[u], bench, options_for(units[u]),
                                  *slot_ios[u], *observers[u], unit_store);
      });
      const double wall_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      const double round_unit_s = round_meter.read().unit_s;
      for (const auto& error : errors)
        if (error) std::rethrow_exception(error);
      for (const auto& outcome : outcomes) finish_unit(outcome, wall_s);  // the round's time
      if (!o.quiet) {
        // The round at a glance, once every slot has finished: what the operator acts on.
        std::fprintf(stderr, "round of %zu slot(s), %.1f s:\n", units.size(), wall_s);
        for (std::size_t u = 0; u < outcomes.size(); ++u)
          std::fprintf(stderr, "  %-8s %-24s %s\n", units[u].slot->name.c_str(),
                       units[u].serial.c_str(),
                       outcomes[u].store_error.empty()
                           ? std::string(record::verdict_name(outcomes[u].run.verdict)).c_str()
                           : "ERROR (not recorded)");
      }
      summary["round"] = {
          {"slots", units.size()},
          {"stimulus_s", static_cast<double>(benches->shared->port().frames_played()) /
                             benches->shared->port().sample_rate_hz()},
          {"unit_s", round_unit_s},
          {"wall_s", wall_s},
          {"transfers", benches->shared->shared_transfers()},
          {"xrun_transfers", benches->shared->xrun_transfers()}};
    }
  }
  for (const auto& unit : station.slots.empty() ? units : std::vector<sequence::SlotUnit>{}) {
    if (stop_signal.load() != 0 || store_error) break;
    const auto outcome = session::test_unit(
        plan, station, [&] { return sequence::open_bench(station, unit.serial, io); },
        options_for(unit), io, printer, unit_store);
    finish_unit(outcome, outcome.wall_s);
    // An instrument that cannot be reached ends this unit (ERROR), not the batch.
    if (!outcome.tested && plan.stop_on_fail) break;
  }
  if (store_error) throw IoError(*store_error);
  if (junit) junit->finish();
  summary["verdict"] = record::verdict_name(worst);
  summary["database"] = o.db;
  if (forwarder) {
    const auto sent = forwarder->finish();
    const std::string target = redacted_uri(*station.forward_uri);
    summary["forward"] = {{"target", target},
                          {"sent", sent.sent + sent.already},
                          {"queued", sent.queued},
                          {"set_aside", sent.refused.size()},
                          {"error", sent.error}};
    if (!sent.refused.empty()) {
      std::string which;
      for (std::size_t i = 0; i < sent.refused.size() && i < 5; ++i)
        which += (which.empty() ? "" : "; ") + sent.refused[i].serial + " (run " +
                 sent.refused[i].uuid.substr(0, 8) + ")";
      if (sent.refused.size() > 5)
        which += " and " + std::to_string(sent.refused.size() - 5) + " more";
      std::fprintf(stderr,
                   "ampbench: warning: %s refused %zu run(s), set aside: %s — %s; once the cause "
                   "is fixed: ampbench sync --db %s --station %s --retry --all\n",
                   target.c_str(), sent.refused.size(), which.c_str(),
                   sent.refused.front().error.c_str(), o.db.c_str(), station.path.c_str());
    }
    if (!sent.error.empty())
      std::fprintf(stderr,
                   "ampbench: warning: results not forwarded: %s; %d run(s) queued in %s, sent "
                   "by the next run or `ampbench sync --db %s --station %s`\n",
                   sent.error.c_str(), sent.queued, o.db.c_str(), o.db.c_str(),
                   station.path.c_str());
  }
  if (o.json) std::cout << summary.dump(2) << "\n";
  return exit_code_for(worst);
}

}  // namespace

// Loads and checks sequence and station; prints every problem and throws on any.
std::pair<sequence::SequencePlan, sequence::Station> load_checked(
    const std::string& sequence_path, const std::string& station_path,
    const std::vector<std::string>& sets, const std::string& limits_path) {
  std::vector<sequence::Override> overrides;
  for (const auto& s : sets) overrides.push_back(sequence::parse_override(s));
  sequence::Station station = sequence::load_station(station_path);
  std::vector<std::string> errors;
  sequence::SequencePlan parsed;
  auto plan = sequence::load_sequence(sequence_path, overrides, errors, &parsed, limits_path);
  // The steps that parsed are checked against the station even when others did not.
  for (auto& e : sequence::check_plan(plan ? *plan : parsed, station))
    errors.push_back(std::move(e));
  if (!errors.empty()) {
    for (const auto& e : errors) std::cerr << "ampbench: " << e << "\n";
    throw InputErrorsReported(errors.size());
  }
  return {std::move(*plan), std::move(station)};
}

std::string default_station_path() {
  const std::string local = "instruments/sim-bench.toml";
  std::error_code ec;
  if (std::filesystem::exists(local, ec)) return local;
  return std::string(AMPBENCH_SOURCE_DIR) + "/" + local;
}

Subcommand add_run_command(CLI::App& parent) {
  auto o = std::make_shared<RunOptionsCli>();
  CLI::App* app =
      parent.add_subcommand("run", "Run a sequence on a station, once per serial number");
  app->add_option("sequence", o->sequence, "Sequence file (TOML)")->required();
  app->add_option("--station", o->station, "Station file (default instruments/sim-bench.toml)");
  app->add_option("--serial", o->serials,
                  "Serial number of the unit under test (repeat for several units)");
  app->add_option("--db", o->db, "Results database (default ampbench.db)");
  app->add_option("--set", o->sets,
                  "Override a sequence field: KEY=VALUE (e.g. stimulus.level=\"-10 dBV\")");
  app->add_option("--limits", o->limits,
                  "A limits file (`ampbench limits derive`) whose limits replace the "
                  "sequence's of the same step and name; stored with each run");
  app->add_option("--operator", o->operator_name, "Operator name (default $USER)");
  app->add_flag("--json", o->json, "Print the run summary as JSON");
  app->add_flag("--quiet", o->quiet, "No progress output");
  app->add_option("--report-dir", o->report_dir,
                  "Write an HTML report per unit into this directory");
  app->add_option("--junit", o->junit, "Write JUnit XML for all units to this file");
  app->add_flag("--freewheel", o->freewheel,
                "JACK stations: run the graph faster than real time (CI)");
  app->add_option("--captures", o->captures_dir,
                  "Also write every capture as a WAV into this directory (SERIAL-STEP-N.wav), "
                  "for `analyze`");
  return {app, [o] { return run_run(*o); }};
}

Subcommand add_validate_command(CLI::App& parent) {
  struct Options {
    std::string sequence, station, limits;
    std::vector<std::string> sets;
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "validate", "Parse and check a sequence against a station; run nothing");
  app->add_option("sequence", o->sequence, "Sequence file (TOML)")->required();
  app->add_option("--station", o->station, "Station file (default instruments/sim-bench.toml)");
  app->add_option("--set", o->sets, "Override a sequence field: KEY=VALUE");
  app->add_option("--limits", o->limits, "A limits file layered on the sequence's limits");
  return {app, [o] {
            const auto [plan, station] =
                load_checked(o->sequence, o->station.empty() ? default_station_path() : o->station,
                             o->sets, o->limits);
            std::printf("%s: OK, %zu steps, %zu channels, station %s\n", o->sequence.c_str(),
                        plan.steps.size(), plan.channels.size(), station.name.c_str());
            return 0;
          }};
}

}  // namespace ampbench::cli
