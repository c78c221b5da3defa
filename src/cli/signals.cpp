#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "cli/command.hpp"

namespace ampbench::cli {
namespace {

std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_stop_requested{false};

// The first signal asks the work to stop where it can stop cleanly (the step in hand ends
// ABORTED, cleanup steps run). A second one means now: the process ends at once, and the
// run it leaves RUNNING is marked ABORTED when the database is next opened (its pid is
// gone). Only async-signal-safe calls here.
extern "C" void on_stop_signal(int signal_number) {
  int none = 0;
  if (g_stop_signal.compare_exchange_strong(none, signal_number)) {
    g_stop_requested.store(true);
    return;
  }
  static const char kNow[] =
      "\nampbench: second interrupt: stopping now; the run is marked ABORTED when the "
      "database is next opened\n";
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, kNow, sizeof kNow - 1);
  ::_exit(128 + signal_number);
}

}  // namespace

const std::atomic<int>& stop_on_signals() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a read waiting on the operator's answer returns at once (EINTR).
  action.sa_flags = 0;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  return g_stop_signal;
}

const std::atomic<bool>& stop_flag_on_signals() {
  stop_on_signals();
  return g_stop_requested;
}

}  // namespace ampbench::cli
