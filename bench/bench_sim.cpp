// Throughput of the simulated DUT chain: the default station's models (input buffer with
// noise and nonlinearity, power amp into 8 ohm, ADC noise, crosstalk), 2 channels at
// 48 kHz; and the preamp station's phono input (RIAA as a minimum-phase FIR by FFT) at
// 96 kHz. The counter real_time_x is seconds of audio per second of CPU.
#include <benchmark/benchmark.h>

#include "audio/sim_port.hpp"
#include "dsp/signal.hpp"
#include "sequence/bench.hpp"
#include "sequence/station.hpp"

using namespace ampbench;

static void BM_SimChainStereo48k(benchmark::State& state) {
  auto station =
      sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml");
  station.audio.sample_rate_hz = 48000.0;
  station.sim->preamp->lowpass_hz = 20000.0;
  auto port = sequence::open_audio_port(station, "BENCH");
  audio::AudioBuffer stimulus;
  stimulus.sample_rate_hz = 48000.0;
  const std::size_t frames = 48000;
  stimulus.channels.assign(2, dsp::generate_sine(1000.0, 0.05, 48000.0, frames));
  for (auto _ : state) benchmark::DoNotOptimize(port->play_and_capture(stimulus));
  state.counters["real_time_x"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimChainStereo48k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

static void BM_SimPhonoStereo96k(benchmark::State& state) {
  const auto station =
      sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-preamp.toml");
  auto port = sequence::open_audio_port(station, "BENCH");
  auto& chain = dynamic_cast<audio::SimPort&>(*port).chain();
  auto settings = chain.dut_settings();
  settings.input = "phono";
  chain.set_dut(settings);
  audio::AudioBuffer stimulus;
  stimulus.sample_rate_hz = 96000.0;
  stimulus.channels.assign(2, dsp::generate_sine(1000.0, 0.002, 96000.0, 96000));
  for (auto _ : state) benchmark::DoNotOptimize(port->play_and_capture(stimulus));
  state.counters["real_time_x"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimPhonoStereo96k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

BENCHMARK_MAIN();
