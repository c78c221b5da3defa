// What an instrument command costs: one SCPI command with its error-queue check (write,
// SYST:ERR?, read), in this process (SIM::) and over a loopback TCP socket to a
// simulated instrument served from a thread — the fixed cost a generator step adds per
// setting, before any real instrument's own processing time.
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include "instruments/drivers.hpp"
#include "instruments/sim_server.hpp"
#include "instruments/tcp_transport.hpp"

using namespace ampbench::instruments;

namespace {
InstrumentProfile sim_fgen() {
  return load_profile("sim-fgen", {std::string(AMPBENCH_SOURCE_DIR) + "/instruments/profiles"});
}
}  // namespace

static void BM_ScpiCommandInProcess(benchmark::State& state) {
  const auto profile = sim_fgen();
  ScpiSession session(std::make_unique<SimTransport>(std::make_shared<SimInstrument>(profile), "b"),
                      "bench", Milliseconds(1000));
  for (auto _ : state) session.command("FREQ 1000");
}
BENCHMARK(BM_ScpiCommandInProcess)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

static void BM_ScpiCommandOverTcp(benchmark::State& state) {
  const auto profile = sim_fgen();
  SimInstrumentServer server("127.0.0.1", 0, std::make_shared<SimInstrument>(profile));
  std::atomic<bool> stop{false};
  std::thread serving([&] { server.serve(stop); });
  {
    ScpiSession session(
        std::make_unique<TcpTransport>("127.0.0.1", server.port(), Milliseconds(1000)), "bench",
        Milliseconds(1000));
    for (auto _ : state) session.command("FREQ 1000");
  }
  stop = true;
  serving.join();
}
BENCHMARK(BM_ScpiCommandOverTcp)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

BENCHMARK_MAIN();
