#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "cli/command.hpp"
#include "cli/terminal_io.hpp"
#include "common/error.hpp"
#include "dsp/units.hpp"
#include "instruments/drivers.hpp"
#include "record/calibration.hpp"
#include "sequence/bench.hpp"
#include "sequence/calibration.hpp"
#include "sequence/station.hpp"
#include "store/result_store.hpp"

namespace ampbench::cli {
namespace {

struct CalibrateOptions {
  std::string station;
  std::string db = "ampbench.db";
  sequence::CalibrationSettings settings;
  double reading_vrms = 0.0;
  bool dry_run = false;
  std::string operator_name;
  std::optional<double> temperature_c;
  std::string reference_due;
};

// The budget of a record's standard uncertainty (docs/calibration.md): the reference's
// accuracy, ± a % of the reading read as a rectangular distribution (a/√3); the
// repeatability of the readings (their standard deviation over √n); for an output, the
// divider of its source impedance and the lowest DUT input impedance it drives (rectangular,
// 0 to the divider's loss); the interface's flatness over the band (± dB, rectangular).
struct Budget {
  double u_reference_db = 0.0;
  double u_repeatability_db = 0.0;
  double u_source_db = 0.0;
  double u_flatness_db = 0.0;
  double u_db(bool output) const {
    return std::sqrt(u_reference_db * u_reference_db + u_repeatability_db * u_repeatability_db +
                     (output ? u_source_db * u_source_db : 0.0) + u_flatness_db * u_flatness_db);
  }
};

Budget budget_of(const std::vector<double>& readings,
                 const sequence::Station::CalibrationPolicy& policy) {
  Budget b;
  b.u_reference_db =
      dsp::amplitude_ratio_to_db(1.0 + policy.reference_accuracy_pct / 100.0 / std::sqrt(3.0));
  // The loss lies anywhere from 0 (an open input) to the divider at the lowest impedance:
  // half that width over √3.
  if (policy.output_impedance_ohm > 0.0)
    b.u_source_db =
        dsp::amplitude_ratio_to_db(1.0 + policy.output_impedance_ohm / policy.min_dut_input_ohm) /
        2.0 / std::sqrt(3.0);
  b.u_flatness_db = policy.flatness_db / std::sqrt(3.0);
  if (readings.size() > 1) {
    double mean = 0.0, ss = 0.0;
    for (double v : readings) mean += dsp::amplitude_ratio_to_db(v) / double(readings.size());
    for (double v : readings) ss += std::pow(dsp::amplitude_ratio_to_db(v) - mean, 2);
    b.u_repeatability_db =
        std::sqrt(ss / double(readings.size() - 1)) / std::sqrt(double(readings.size()));
  }
  return b;
}

int run_calibrate(const CalibrateOptions& o) {
  const auto station =
      sequence::load_station(o.station.empty() ? default_station_path() : o.station);
  const auto& policy = station.calibration_policy;
  TerminalIo io;
  std::unique_ptr<instruments::Dmm> dmm;
  if (o.reading_vrms <= 0.0 && station.dmm)
    dmm = std::make_unique<instruments::Dmm>(
        instruments::connect_instrument(station.dmm->visa, station.dmm->loaded, "dmm"),
        station.dmm->loaded);
  const std::string reference_idn = dmm ? dmm->session().identify() : "typed reading";
  std::unique_ptr<store::ResultStore> db;
  if (!o.dry_run) db = store::ResultStore::open(o.db);
  auto bench = sequence::open_calibration_bench(station);
  auto& port = bench.port;
  const char* user = std::getenv("USER");
  const std::string operator_name = !o.operator_name.empty() ? o.operator_name : (user ? user : "");

  for (int c = 1; c <= station.channel_count(); ++c) {
    const int out = station.audio.outputs[static_cast<std::size_t>(c - 1)];
    const int in = station.audio.inputs[static_cast<std::size_t>(c - 1)];
    io.ask("Cable interface output " + std::to_string(out) + " to input " + std::to_string(in) +
               " (no DUT), DMM across output " + std::to_string(out) + "; Enter when ready",
           "");
    bench.probes->across_interface_output(c);
    std::vector<double> readings;
    const auto read_once = [&]() -> double {
      if (o.reading_vrms > 0.0) return o.reading_vrms;
      if (dmm) return dmm->read_ac_vrms();
      const std::string typed =
          io.ask("DMM reading across output " + std::to_string(out) + " in Vrms:", "");
      if (typed.empty())
        throw UsageError("no DMM in the station and nobody to type a reading: give --reading VRMS");
      try {
        return std::stod(typed);
      } catch (const std::exception&) {
        throw UsageError("'" + typed + "' is not a reading in volts");
      }
    };
    // A typed reading is one reading; a DMM's are `readings` of them, for repeatability.
    const int count = dmm ? policy.readings : 1;
    const auto read = [&]() -> double {
      double sum = 0.0;
      for (int k = 0; k < count; ++k) {
        readings.push_back(read_once());
        sum += readings.back();
      }
      return sum / count;
    };
    const auto r = sequence::calibrate_channel(*port, c, o.settings, read);
    const Budget budget = budget_of(readings, policy);
    const nlohmann::json terms = {{"reference_accuracy_pct", policy.reference_accuracy_pct},
                                  {"u_reference_db", budget.u_reference_db},
                                  {"u_repeatability_db", budget.u_repeatability_db},
                                  {"flatness_db", policy.flatness_db},
                                  {"u_flatness_db", budget.u_flatness_db}};
    for (const bool output : {true, false}) {
      record::CalibrationRecord record;
      record.station_name = station.name;
      record.channel = output ? out : in;
      record.direction = output ? "output" : "input";
      record.sample_rate_hz = station.audio.sample_rate_hz;
      record.vrms_at_0dbfs =
          output ? r.calibration.output_vrms_at_0dbfs : r.calibration.input_vrms_at_0dbfs;
      record.u_db = budget.u_db(output);
      record.coverage_k = 2.0;
      record.created_at = record::utc_now_iso8601();
      if (policy.max_age_days)
        record.valid_until = record::utc_iso8601_in(
            std::chrono::milliseconds(static_cast<std::int64_t>(*policy.max_age_days * 86400e3)));
      record.operator_name = operator_name;
      record.reference_idn = reference_idn;
      record.reference_due = o.reference_due;
      record.temperature_c = o.temperature_c;
      record.readings = {{"dmm_vrms", readings},
                         {"level_dbfs", o.settings.level_dbfs},
                         {"frequency_hz", o.settings.frequency_hz},
                         {"captured_dbfs", r.captured_dbfs},
                         {"budget", terms}};
      if (output) {
        record.readings["budget"]["output_impedance_ohm"] = policy.output_impedance_ohm;
        record.readings["budget"]["min_dut_input_ohm"] = policy.min_dut_input_ohm;
        record.readings["budget"]["u_source_db"] = budget.u_source_db;
      }
      if (db) db->add_calibration(record);
      std::printf("%s %d: %.5g Vrms at 0 dBFS, u %.4f dB (U %.4f dB, k = 2)%s\n",
                  record.direction.c_str(), record.channel, record.vrms_at_0dbfs, record.u_db,
                  2.0 * record.u_db,
                  db ? (", record " + record.uuid.substr(0, 8)).c_str() : " (dry run: not stored)");
    }
  }
  if (db)
    std::printf("%s: calibration records of station '%s' at %g Hz stored\n", o.db.c_str(),
                station.name.c_str(), station.audio.sample_rate_hz);
  return 0;
}

}  // namespace

Subcommand add_calibrate_command(CLI::App& parent) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* app = parent.add_subcommand(
      "calibrate",
      "Measure each interface channel's Vrms per full scale (output and input) with the "
      "station's DMM or a typed reading; store them as calibration records");
  app->add_option("--station", o->station, "Station file (default instruments/sim-bench.toml)");
  app->add_option("--level", o->settings.level_dbfs, "Tone level in dBFS (default -20)")
      ->check(CLI::Range(-60.0, -1.0));
  app->add_option("--frequency", o->settings.frequency_hz, "Tone frequency in Hz (default 1000)")
      ->check(CLI::Range(20.0, 20000.0));
  app->add_option("--duration", o->settings.duration_s, "Tone length in s (default 3)")
      ->check(CLI::Range(0.5, 600.0));
  app->add_option("--settle", o->settings.settle_s,
                  "Seconds into the tone before the reading (default 1)")
      ->check(CLI::Range(0.0, 60.0));
  app->add_option("--reading", o->reading_vrms, "The DMM's reading in Vrms, measured by hand")
      ->check(CLI::PositiveNumber);
  app->add_option("--db", o->db, "Results database the records go to (default ampbench.db)");
  app->add_option("--operator", o->operator_name, "Who calibrates (default $USER)");
  app->add_option("--temperature", o->temperature_c, "Room temperature in °C, for the record");
  app->add_option("--reference-due", o->reference_due,
                  "When the DMM's own calibration is due (YYYY-MM-DD), for the record");
  app->add_flag("--dry-run", o->dry_run, "Print the results, store nothing");
  return {app, [o] {
            if (o->settings.settle_s >= o->settings.duration_s)
              throw UsageError("--settle must be shorter than --duration");
            return run_calibrate(*o);
          }};
}

}  // namespace ampbench::cli
