#include "sequence/slot_runs.hpp"

#include <thread>

namespace ampbench::sequence {

std::vector<std::exception_ptr> run_slots(SlotBenches& benches,
                                          const std::function<void(std::size_t, Bench&)>& test) {
  std::vector<std::exception_ptr> errors(benches.benches.size());
  std::vector<std::thread> threads;
  for (std::size_t u = 0; u < benches.benches.size(); ++u) {
    threads.emplace_back([&, u] {
      Bench& bench = benches.benches[u];
      try {
        test(u, bench);
      } catch (...) {
        errors[u] = std::current_exception();
      }
      bench.port.reset();
    });
  }
  for (auto& thread : threads) thread.join();
  return errors;
}

}  // namespace ampbench::sequence
