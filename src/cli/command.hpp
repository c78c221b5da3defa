// cli: the ampbench binary. One file per subcommand; each adds itself to the CLI11 app and
// returns the function that runs it. Typed errors from the library become exit codes here.
#pragma once

#include <CLI/CLI.hpp>
#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sequence/plan.hpp"
#include "sequence/station.hpp"

namespace ampbench::cli {

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Subcommand add_analyze_command(CLI::App& parent);
Subcommand add_generate_command(CLI::App& parent);
Subcommand add_run_command(CLI::App& parent);
Subcommand add_validate_command(CLI::App& parent);
Subcommand add_results_command(CLI::App& parent);
Subcommand add_report_command(CLI::App& parent);
Subcommand add_sim_dut_command(CLI::App& parent);
Subcommand add_devices_command(CLI::App& parent);
Subcommand add_tune_fft_command(CLI::App& parent);
Subcommand add_sim_instrument_command(CLI::App& parent);
Subcommand add_scpi_command(CLI::App& parent);
Subcommand add_calibrate_command(CLI::App& parent);
Subcommand add_calibrations_command(CLI::App& parent);
Subcommand add_selftest_command(CLI::App& parent);
Subcommand add_sync_command(CLI::App& parent);
Subcommand add_stats_command(CLI::App& parent);
Subcommand add_serve_command(CLI::App& parent);
Subcommand add_limits_command(CLI::App& parent);

// From now on SIGINT and SIGTERM set the returned signal number (0: none yet) instead of
// ending the process: long work stops where it can stop cleanly. A second one ends the
// process at once. Interrupted reads return (no SA_RESTART).
const std::atomic<int>& stop_on_signals();
// The same as a flag, for servers that only need to know when to stop.
const std::atomic<bool>& stop_flag_on_signals();

// FFTW wisdom from `tune-fft`, loaded before any plan is made.
void load_fft_wisdom();

// The station file when --station is not given: ./instruments/sim-bench.toml, or the one
// in the source tree this binary was built from.
std::string default_station_path();

// Loads and checks sequence and station; prints every problem and throws on any.
// `limits_path`: a limits file layered on the sequence's limits (SPEC §16).
std::pair<sequence::SequencePlan, sequence::Station> load_checked(
    const std::string& sequence_path, const std::string& station_path,
    const std::vector<std::string>& sets, const std::string& limits_path = "");

}  // namespace ampbench::cli
