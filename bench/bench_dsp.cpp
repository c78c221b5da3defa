// Analysis of one 65536-sample 48 kHz block: spectrum, harmonics 2..10, THD+N, SINAD, SNR;
// a stereo multitone capture; a swept-sine response.
#include <benchmark/benchmark.h>

// With AMPBENCH_BENCH_WAV set, the block is that file's first channel (bench/compare_numpy.sh
// passes the WAV it also gives to numpy); otherwise a tone with harmonics and noise.
#include <cstdlib>

#include "audio/wav.hpp"
#include "dsp/dsp.hpp"

using namespace ampbench::dsp;

static std::vector<double> bench_block() {
  if (const char* path = std::getenv("AMPBENCH_BENCH_WAV")) {
    return ampbench::audio::read_wav(path).channels.at(0);
  }
  std::vector<Tone> tones = {{997.0, 0.5, 0.0}, {1994.0, 0.0005, 0.0}, {2991.0, 0.00005, 0.0}};
  auto x = generate_tones(tones, 48000.0, 65536);
  const auto noise = generate_white_noise(1e-5, 1, x.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += noise[i];
  return x;
}

static void BM_AnalyzeTone65536(benchmark::State& state) {
  const auto x = bench_block();
  analyze_tone(x, 48000.0);  // plan outside the timed loop
  for (auto _ : state) benchmark::DoNotOptimize(analyze_tone(x, 48000.0));
}
BENCHMARK(BM_AnalyzeTone65536)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(10)
    ->ReportAggregatesOnly(true);

// The same after `ampbench tune-fft` (measured plans from wisdom); the tuning runs once,
// outside the timing, as it does once per station PC.
static void BM_AnalyzeTone65536Tuned(benchmark::State& state) {
  ampbench::dsp::tune_fft(65536);
  BM_AnalyzeTone65536(state);
}
BENCHMARK(BM_AnalyzeTone65536Tuned)
    ->Unit(benchmark::kMicrosecond)
    ->Repetitions(10)
    ->ReportAggregatesOnly(true);

// The port's safety check on every transfer (dsp/true_peak): a 10 s 1 kHz tone and a 10 s
// 10 Hz–22 kHz sweep at 48 kHz, against the plain sample peak of the same tone.
static void BM_TruePeakTone10s48k(benchmark::State& state) {
  const auto x = generate_sine(1000.0, 0.5, 48000.0, 480000);
  for (auto _ : state) benchmark::DoNotOptimize(true_peak(x));
}
BENCHMARK(BM_TruePeakTone10s48k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

static void BM_TruePeakSweep10s48k(benchmark::State& state) {
  const auto sweep = SyncSweep::design(10.0, 22000.0, 10.0, 48000.0);
  const auto x = generate_sync_sweep(sweep, 0.5, 24000);
  for (auto _ : state) benchmark::DoNotOptimize(true_peak(x));
}
BENCHMARK(BM_TruePeakSweep10s48k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

static void BM_SamplePeakTone10s48k(benchmark::State& state) {
  const auto x = generate_sine(1000.0, 0.5, 48000.0, 480000);
  for (auto _ : state) {
    double peak = 0.0;
    for (double v : x) peak = std::max(peak, std::abs(v));
    benchmark::DoNotOptimize(peak);
  }
}
BENCHMARK(BM_SamplePeakTone10s48k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

// A sweep of about `seconds` at 48 kHz through a mild polynomial, analysed once outside the
// timing (its plans made), then in the timed loop.
static SyncSweep analyze_sweep_timed(benchmark::State& state, double seconds) {
  const auto sweep = SyncSweep::design(10.0, 22000.0, seconds, 48000.0);
  const auto x = generate_sync_sweep(sweep, 0.5, 24000);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    y[i] = 0.9 * x[i] + 0.01 * x[i] * x[i] + 0.003 * x[i] * x[i] * x[i];
  SweepAnalysisOptions options;
  options.latency_samples = 0.0;
  analyze_sync_sweep(y, x, sweep, options);
  for (auto _ : state) benchmark::DoNotOptimize(analyze_sync_sweep(y, x, sweep, options));
  return sweep;
}

// Deconvolution of a 10 s, 48 kHz synchronised sweep response into H1..H5 (issue 6).
static void BM_AnalyzeSweep10s48k(benchmark::State& state) {
  analyze_sweep_timed(state, 10.0);
}
BENCHMARK(BM_AnalyzeSweep10s48k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);

// Sweep analysis for 1 to 30 s of sweep at 48 kHz: the cost per second of sweep
// (per_sweep_s, in seconds) should stay about constant as the capture grows (issue 37).
static void BM_AnalyzeSweepBySeconds48k(benchmark::State& state) {
  const auto sweep = analyze_sweep_timed(state, static_cast<double>(state.range(0)));
  state.counters["per_sweep_s"] =
      benchmark::Counter(sweep.duration_s, benchmark::Counter::kIsIterationInvariantRate |
                                               benchmark::Counter::kInvert);
}
BENCHMARK(BM_AnalyzeSweepBySeconds48k)
    ->Arg(1)
    ->Arg(2)
    ->Arg(5)
    ->Arg(10)
    ->Arg(20)
    ->Arg(30)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

// One forward and one inverse transform at the size the analysis of that sweep uses
// (sync_sweep_transform_size), fresh data each time
// as the analysis gives it: what FFTW alone costs per second of sweep, against which the
// analysis's own growth with length is read.
static void BM_FftPairForSweepSeconds48k(benchmark::State& state) {
  const auto sweep = SyncSweep::design(10.0, 22000.0, static_cast<double>(state.range(0)), 48000.0);
  const std::size_t capture = sweep.frames() + 24000;
  const auto n = sync_sweep_transform_size(capture, sweep, SweepAnalysisOptions{}.max_order);
  const auto fft = RealFft::for_size(n);
  const auto captured = generate_sync_sweep(sweep, 0.5, 24000);
  AlignedBuffer<double> x(n);
  AlignedBuffer<std::complex<double>> spectrum(fft->spectrum_size());
  for (auto _ : state) {
    std::copy(captured.begin(), captured.end(), x.data());
    std::fill(x.data() + capture, x.data() + n, 0.0);
    fft->forward(x.data(), spectrum.data());
    fft->inverse(spectrum.data(), x.data());
    benchmark::DoNotOptimize(x.data());
  }
  state.counters["per_sweep_s"] =
      benchmark::Counter(sweep.duration_s, benchmark::Counter::kIsIterationInvariantRate |
                                               benchmark::Counter::kInvert);
}
BENCHMARK(BM_FftPairForSweepSeconds48k)
    ->Arg(1)
    ->Arg(2)
    ->Arg(5)
    ->Arg(10)
    ->Arg(20)
    ->Arg(30)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

// Designing a stereo multitone of 31 tones per channel at 96 kHz (32768 per period): what a
// process pays once per request before its first multitone step, or validate.
static void BM_DesignMultitoneStereo96k(benchmark::State& state) {
  MultitoneRequest request;
  request.sample_rate_hz = 96000.0;
  request.period_frames = 32768;
  request.channels = 2;
  design_multitone(request);
  for (auto _ : state) benchmark::DoNotOptimize(design_multitone(request));
}
BENCHMARK(BM_DesignMultitoneStereo96k)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

// One stereo multitone capture of 65536 samples at 96 kHz (two periods of 32768, 31 tones
// per channel): both channels analysed (tone phasors of both sets, power per bin) and
// their residuals (TD+N, noise). The design is made once per step, outside the timing.
static void BM_AnalyzeMultitoneStereo65536(benchmark::State& state) {
  MultitoneRequest request;
  request.sample_rate_hz = 96000.0;
  request.period_frames = 32768;
  request.channels = 2;
  const auto design = design_multitone(request);
  std::vector<std::vector<double>> capture;
  for (std::size_t c = 0; c < 2; ++c) {
    const auto period = multitone_period(design, c, 0.1);
    std::vector<double> x(65536);
    const auto noise = generate_white_noise(1e-5, c + 1, x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = period[i % period.size()] +
             1e-3 * period[i % period.size()] * period[i % period.size()] + noise[i];
    capture.push_back(std::move(x));
  }
  for (auto _ : state) {
    for (const auto& x : capture) {
      const auto spectrum = analyse_multitone(x, design);
      benchmark::DoNotOptimize(multitone_residual(spectrum, design, 20.0, 20000.0, 2));
    }
  }
}
BENCHMARK(BM_AnalyzeMultitoneStereo65536)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(10)
    ->ReportAggregatesOnly(true);

BENCHMARK_MAIN();
