#include "sequence/slot_runs.hpp"

#include <thread>

namespace ampbench::sequence {

std::vector<SlotUnitRun> run_slots(const SequencePlan& plan, SlotBenches& benches,
                                   const std::vector<RunOptions>& options,
                                   const std::vector<plugs::OperatorIo*>& ios,
                                   const std::vector<RunObserver*>& observers) {
  std::vector<SlotUnitRun> out(benches.benches.size());
  std::vector<std::thread> threads;
  for (std::size_t u = 0; u < benches.benches.size(); ++u) {
    threads.emplace_back([&, u] {
      Bench& bench = benches.benches[u];
      try {
        out[u].run =
            run_sequence(plan, benches.stations[u], bench, options[u], *ios[u], *observers[u]);
      } catch (...) {
        out[u].error = std::current_exception();
      }
      out[u].stimulus_s =
          static_cast<double>(bench.port->frames_played()) / bench.port->sample_rate_hz();
      // A finished unit leaves the shared transfers: the others no longer wait for it.
      bench.port.reset();
    });
  }
  for (auto& thread : threads) thread.join();
  return out;
}

}  // namespace ampbench::sequence
