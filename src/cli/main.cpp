#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"

int main(int argc, char** argv) {
  using namespace ampbench;
  CLI::App app{"ampbench: automated amplifier test bench"};
  app.set_version_flag("--version", AMPBENCH_VERSION);
  app.require_subcommand(1);
  const std::vector<cli::Subcommand> subcommands = {
      cli::add_analyze_command(app),  cli::add_generate_command(app),
      cli::add_run_command(app),      cli::add_validate_command(app),
      cli::add_results_command(app),  cli::add_report_command(app),
      cli::add_sim_dut_command(app),  cli::add_devices_command(app),
      cli::add_tune_fft_command(app), cli::add_sim_instrument_command(app),
      cli::add_scpi_command(app),     cli::add_calibrate_command(app),
      cli::add_sync_command(app),     cli::add_stats_command(app),
      cli::add_serve_command(app),    cli::add_calibrations_command(app),
      cli::add_selftest_command(app), cli::add_limits_command(app),
  };
  // A first word that names no subcommand is named back, with the ones there are (CLI11
  // would only say that a subcommand is required).
  const auto known = [&](const std::string& word) {
    for (const auto& subcommand : subcommands)
      if (subcommand.app->check_name(word)) return true;
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !known(argv[1])) {
    std::string names;
    for (const auto& subcommand : subcommands)
      names += (names.empty() ? "" : ", ") + subcommand.app->get_name();
    std::cerr << "ampbench: unknown subcommand '" << argv[1] << "' (expected one of: " << names
              << ")\n";
    return static_cast<int>(ExitCode::usage);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "ampbench: " << e.what() << "\n";
    return static_cast<int>(ExitCode::usage);
  }
  cli::load_fft_wisdom();
  for (const auto& subcommand : subcommands) {
    if (!subcommand.app->parsed()) continue;
    try {
      const int code = subcommand.run();
      finish_standard_output();
      return code;
    } catch (const InputErrorsReported& e) {
      return static_cast<int>(e.exit_code());
    } catch (const Error& e) {
      std::cerr << "ampbench: " << e.what() << "\n";
      return static_cast<int>(e.exit_code());
    } catch (const std::exception& e) {
      std::cerr << "ampbench: internal error: " << e.what() << "\n";
      return static_cast<int>(ExitCode::error);
    }
  }
  return static_cast<int>(ExitCode::usage);
}
