// cli: the ampbench binary. One file per subcommand; each adds itself to the CLI11 app and
// returns the function that runs it. Typed errors from the library become exit codes here.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace ampbench::cli {

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

Subcommand add_analyze_command(CLI::App& parent);
Subcommand add_generate_command(CLI::App& parent);

}  // namespace ampbench::cli
