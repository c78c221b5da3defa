#include "common/bench_clock.hpp"

#include <chrono>
#include <thread>

namespace ampbench {
namespace {

thread_local double waits_s = 0.0;

}  // namespace

void hold_bench_for(double seconds) {
  if (seconds <= 0.0) return;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  waits_s += seconds;
}

double bench_waits_s() { return waits_s; }

}  // namespace ampbench
