// `ampbench selftest`: the bench's loopback self-test (SPEC §15), stored in `selftests`;
// exit 0 when every check holds, 1 when one fails.
#include "selftest/selftest.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "common/text.hpp"
#include "sequence/bench.hpp"
#include "sequence/station.hpp"
#include "session/calibrations.hpp"
#include "store/result_store.hpp"

namespace ampbench::cli {
namespace {

struct SelftestOptions {
  std::string station;
  std::string db = "ampbench.db";
  bool json = false;
  bool dry_run = false;
};

std::string figure(const std::optional<double>& v, const char* format) {
  return v ? fmt(format, *v) : std::string("—");
}

void print(const selftest::Result& r, const std::string& calibration) {
  std::printf("self-test of station '%s' at %g Hz: %g Hz tone at %.1f dBFS, %s path; %s\n",
              r.station_name.c_str(), r.sample_rate_hz, r.frequency_hz, r.level_dbfs,
              r.digital ? "digital" : "analogue", calibration.c_str());
  for (const auto& c : r.channels) {
    std::printf(
        "  output %d → input %d: THD+N %s dB, noise %s, level %s dB, latency %s, "
        "polarity %s, clock %s ppm, band probe %s dB%s\n",
        c.output, c.input, figure(c.residual_thdn_db, "%.1f").c_str(),
        c.residual_noise_dbv ? fmt("%.1f dBV", *c.residual_noise_dbv).c_str()
                             : figure(c.residual_noise_dbfs, "%.1f dBFS").c_str(),
        figure(c.level_error_db, "%+.3f").c_str(),
        c.latency_samples ? fmt("%d samples", *c.latency_samples).c_str() : "—",
        c.polarity.empty() ? "—" : c.polarity.c_str(), figure(c.clock_ppm, "%+.2f").c_str(),
        figure(c.band_probe_db, "%.1f").c_str(),
        c.bit_transparent ? (*c.bit_transparent ? ", bit-transparent" : ", NOT bit-transparent")
                          : "");
  }
  std::printf("  interface: clock %s ppm, resampling %s, bit-transparent %s\n",
              figure(r.clock_ppm, "%+.2f").c_str(), r.resampling ? "YES" : "no",
              r.bit_transparent ? (*r.bit_transparent ? "yes" : "NO") : "n/a (analogue path)");
  for (const auto& f : r.failures) std::printf("  FAIL %s\n", f.c_str());
  std::printf("%s\n", r.passed() ? "PASS" : "FAIL");
}

int run_selftest(const SelftestOptions& o) {
  auto station = sequence::load_station(o.station.empty() ? default_station_path() : o.station);
  std::unique_ptr<store::ResultStore> db;
  if (!o.dry_run) db = store::ResultStore::open(o.db);
  // The self-test checks the bench as calibrated, but must also run on one that is not yet.
  std::string calibration = "nominal calibration from the station file";
  if (db && !station.selftest.digital) {
    auto policy = station.calibration_policy;
    station.calibration_policy.required = false;
    const auto nominal = session::attach_calibrations(station, *db);
    station.calibration_policy = policy;
    if (!station.calibration_records.uuids.empty())
      calibration = nominal.empty() ? "calibration records in force" : nominal;
  }
  auto bench = sequence::open_calibration_bench(station);
  if (!station.selftest.digital) sequence::apply_channel_trims(station, *bench.port);
  const auto result = selftest::run_selftest(*bench.port, station, [&](const std::string& what) {
    if (!o.json) std::fprintf(stderr, "  %s\n", what.c_str());
  });
  const auto json = selftest::to_json(result);
  if (db) db->add_selftest(json);
  if (o.json)
    std::cout << json.dump(2) << "\n";
  else
    print(result, calibration);
  if (db && !o.json)
    std::printf("%s: self-test %s stored\n", o.db.c_str(), result.uuid.substr(0, 8).c_str());
  return result.passed() ? 0 : 1;
}

}  // namespace

Subcommand add_selftest_command(CLI::App& parent) {
  auto o = std::make_shared<SelftestOptions>();
  CLI::App* app = parent.add_subcommand(
      "selftest",
      "Check the bench through a cable from each output to its input (no DUT): residual "
      "THD+N and noise, level against calibration, latency, polarity, clock offset, "
      "resampling, bit-transparency; exit 1 when a check fails");
  app->add_option("--station", o->station, "Station file (default instruments/sim-bench.toml)");
  app->add_option("--db", o->db, "Results database the self-test goes to (default ampbench.db)");
  app->add_flag("--json", o->json, "Print the result as JSON");
  app->add_flag("--dry-run", o->dry_run, "Store nothing (and use no calibration records)");
  return {app, [o] { return run_selftest(*o); }};
}

}  // namespace ampbench::cli
