// Synchronised exponential swept sine (Novak et al. 2015, after Farina): x(t) = sin(2π f1 L
// e^{t/L}) with L = k/f1 for a whole k, so the n-th harmonic of the sweep is the sweep itself
// advanced by L·ln(n). Deconvolving the response by the sweep puts the linear impulse response
// at t = 0 and harmonic n's at -L·ln(n), where windows separate them.
#pragma once

#include <complex>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ampbench::dsp {

struct SyncSweep {
  double start_hz = 20.0;
  double end_hz = 20000.0;
  double sample_rate_hz = 48000.0;
  int k = 0;                // round(f1·T̃ / ln(f2/f1))
  double rate_s = 0.0;      // L = k / f1
  double duration_s = 0.0;  // T = L·ln(f2/f1)

  // Throws UsageError for f1 ≤ 0, f2 ≤ f1, f2 ≥ fs/2 or a sweep too short for k ≥ 1.
  static SyncSweep design(double start_hz, double end_hz, double approx_duration_s,
                          double sample_rate_hz);
  // "ampbench-sync-sweep f1=20 f2=20000 k=29 fs=48000", and back (nullopt if not one).
  std::string describe() const;
  static std::optional<SyncSweep> from_description(const std::string& text);
  std::size_t frames() const;
  double harmonic_advance_s(int order) const;  // L·ln(n)
};

// The sweep of peak amplitude `amplitude_peak_fs`, then `tail_frames` of silence so the
// response's tail is captured. fade_s > 0 fades in over that time (half Hann); the end
// always fades out, over max(fade_s, 5 ms).
std::vector<double> generate_sync_sweep(const SyncSweep& sweep, double amplitude_peak_fs,
                                        std::size_t tail_frames = 0, double fade_s = 0.0);

struct SweepAnalysisOptions {
  int max_order = 5;
  // Interface latency between stimulus and response; estimated from the impulse-response
  // peak when empty.
  std::optional<double> latency_samples;
  // Where to evaluate; default: 1/24-octave steps from 2·f1 to f2·2^(-1/12), where the
  // figures are exact (the band's tapers lie outside): sweep wider than what you report.
  std::vector<double> frequencies_hz;
  // A loopback capture of the same sweep: H1 is divided by its response, removing the
  // interface's own response and latency.
  std::span<const double> reference;
};

struct SweepResponse {
  std::vector<double> frequency_hz;
  std::vector<std::complex<double>> h1;  // output/stimulus (or re the reference), no latency
  // fundamental[i]: amplitude of the output at frequency_hz[i] re the sweep amplitude, as
  // captured (never divided by a reference): what harmonics are relative to.
  std::vector<double> fundamental;
  // harmonic[n-2][i]: amplitude of harmonic n re the sweep amplitude at frequency_hz[i],
  // NaN where n·f lies outside the sweep's flat band (below f1, or in its top taper).
  std::vector<std::vector<double>> harmonic;
  double latency_samples = 0.0;
  // The sign of the linear impulse response at its largest magnitude (re the reference's
  // when there is one): −1 for an inverting DUT. Taken on the magnitude, so an inverted
  // response is never aligned to a side lobe.
  int polarity = 1;

  double h1_db(std::size_t i) const;
  double h1_phase_deg(std::size_t i) const;
  double harmonic_db(int order, std::size_t i) const;
  // THD_F at frequency_hz[i] from the harmonics available there (NaN when none is).
  double thd_ratio(std::size_t i) const;
};

// The length of the analysis's transforms for a capture (or stimulus) of `frames`: the
// capture plus the highest order's advance, to FFTW's next fast size.
std::size_t sync_sweep_transform_size(std::size_t frames, const SyncSweep& sweep, int max_order);

// `response` is the captured output (at least as long as the sweep, ideally with a tail);
// `stimulus` the sweep as played (amplitude included). Throws MeasurementError when the
// response is shorter than the sweep or silent.
SweepResponse analyze_sync_sweep(std::span<const double> response, std::span<const double> stimulus,
                                 const SyncSweep& sweep, const SweepAnalysisOptions& options = {});

}  // namespace ampbench::dsp
