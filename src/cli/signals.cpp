#include <atomic>
#include <csignal>

#include "cli/command.hpp"

namespace ampbench::cli {
namespace {

std::atomic<bool> g_stop_requested{false};
extern "C" void on_stop_signal(int) {
  g_stop_requested.store(true);
}

}  // namespace

const std::atomic<bool>& stop_on_signals() {
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  return g_stop_requested;
}

}  // namespace ampbench::cli
