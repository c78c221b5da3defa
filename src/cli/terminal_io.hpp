// cli: the operator's terminal as the runner's OperatorIo — asks on stderr and reads a
// line from stdin; without a terminal (CI, a pipe) it takes the fallback and says so.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "sequence/runner.hpp"

namespace ampbench::cli {

class TerminalIo : public plugs::OperatorIo {
 public:
  std::string ask(const std::string& message, const std::string& fallback) override {
    if (!::isatty(STDIN_FILENO)) {
      std::fprintf(stderr, "  prompt: %s -> '%s' (no terminal)\n", message.c_str(),
                   fallback.c_str());
      return fallback;
    }
    std::fprintf(stderr, "\n  %s%s ", message.c_str(),
                 fallback.empty() ? "" : (" [" + fallback + "]").c_str());
    std::string line;
    if (!std::getline(std::cin, line)) {
      std::cin.clear();
      // Ctrl-C interrupts the read itself (signals.cpp installs no SA_RESTART): the step
      // stops now, not after the operator presses Enter.
      if (stop_flag_on_signals().load())
        throw AbortedError("stopped by the operator at the prompt");
      return fallback;
    }
    return line.empty() ? fallback : line;
  }
  bool present() const override { return ::isatty(STDIN_FILENO); }
};

}  // namespace ampbench::cli
