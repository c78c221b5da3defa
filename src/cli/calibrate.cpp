#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/command.hpp"
#include "cli/terminal_io.hpp"
#include "common/error.hpp"
#include "dsp/units.hpp"
#include "instruments/drivers.hpp"
#include "report/files.hpp"
#include "sequence/bench.hpp"
#include "sequence/calibration.hpp"
#include "sequence/station.hpp"

namespace ampbench::cli {
namespace {

struct CalibrateOptions {
  std::string station;
  sequence::CalibrationSettings settings;
  double reading_vrms = 0.0;
  bool dry_run = false;
};

void write_atomically(const std::string& path, const std::string& text) {
  // A half-written station file would stop the bench: write beside it, then replace.
  const std::string temp = path + ".tmp";
  report::write_text_file(temp, text);
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) throw IoError(path + ": cannot replace: " + ec.message());
}

int run_calibrate(const CalibrateOptions& o) {
  const auto station =
      sequence::load_station(o.station.empty() ? default_station_path() : o.station);
  TerminalIo io;
  std::unique_ptr<instruments::Dmm> dmm;
  if (o.reading_vrms <= 0.0 && station.dmm)
    dmm = std::make_unique<instruments::Dmm>(
        instruments::connect_instrument(station.dmm->visa, station.dmm->loaded, "dmm"),
        station.dmm->loaded);
  auto bench = sequence::open_calibration_bench(station);
  auto& port = bench.port;

  std::vector<sequence::ChannelCalibration> results;
  for (int c = 1; c <= station.channel_count(); ++c) {
    const int out = station.audio.outputs[static_cast<std::size_t>(c - 1)];
    const int in = station.audio.inputs[static_cast<std::size_t>(c - 1)];
    io.ask("Cable interface output " + std::to_string(out) + " to input " + std::to_string(in) +
               " (no DUT), DMM across output " + std::to_string(out) + "; Enter when ready",
           "");
    bench.probes->across_interface_output(c);
    const auto read = [&]() -> double {
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
    const auto r = sequence::calibrate_channel(*port, c, o.settings, read);
    std::printf(
        "channel %d: %.4f Vrms at %.2f dBFS out, captured %.3f dBFS → output %.5g Vrms/FS, "
        "input %.5g Vrms/FS\n",
        c, r.dmm_vrms, o.settings.level_dbfs, r.captured_dbfs, r.calibration.output_vrms_at_0dbfs,
        r.calibration.input_vrms_at_0dbfs);
    results.push_back(r);
  }
  audio::PortCalibration mean{0.0, 0.0};
  double out_min = 1e300, out_max = 0.0;
  for (const auto& r : results) {
    mean.output_vrms_at_0dbfs +=
        r.calibration.output_vrms_at_0dbfs / static_cast<double>(results.size());
    mean.input_vrms_at_0dbfs +=
        r.calibration.input_vrms_at_0dbfs / static_cast<double>(results.size());
    out_min = std::min(out_min, r.calibration.output_vrms_at_0dbfs);
    out_max = std::max(out_max, r.calibration.output_vrms_at_0dbfs);
  }
  const double spread_db = dsp::amplitude_ratio_to_db(out_max / out_min);
  if (spread_db > 0.1)
    std::fprintf(stderr,
                 "ampbench: warning: the channels' outputs differ by %.2f dB; the station keeps "
                 "one calibration (their mean)\n",
                 spread_db);
  std::printf("%s: output_vrms_at_0dbfs %.5g → %.5g, input_vrms_at_0dbfs %.5g → %.5g%s\n",
              station.path.c_str(), station.audio.calibration.output_vrms_at_0dbfs,
              mean.output_vrms_at_0dbfs, station.audio.calibration.input_vrms_at_0dbfs,
              mean.input_vrms_at_0dbfs, o.dry_run ? " (dry run: not written)" : "");
  if (!o.dry_run)
    write_atomically(station.path, sequence::with_calibration(station.text, station.path, mean));
  return 0;
}

}  // namespace

Subcommand add_calibrate_command(CLI::App& parent) {
  auto o = std::make_shared<CalibrateOptions>();
  CLI::App* app = parent.add_subcommand(
      "calibrate",
      "Measure the interface's Vrms per full scale (output and input) with the station's DMM "
      "or a typed reading, and write them into the station file");
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
  app->add_flag("--dry-run", o->dry_run, "Print the results, leave the station file alone");
  return {app, [o] {
            if (o->settings.settle_s >= o->settings.duration_s)
              throw UsageError("--settle must be shorter than --duration");
            return run_calibrate(*o);
          }};
}

}  // namespace ampbench::cli
