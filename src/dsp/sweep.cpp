#include "dsp/sweep.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "dsp/fft.hpp"
#include "dsp/units.hpp"

namespace ampbench::dsp {
namespace {

constexpr double kPi = std::numbers::pi;

struct WindowSpectrum {
  AlignedBuffer<std::complex<double>> bins;
  std::size_t m = 0;
  double fraction = 0.0;  // of a sample, by which the true centre follows the window's
};

struct ImpulseResponse {
  AlignedBuffer<double> h;
  std::size_t n = 0;
};

// The buffers of an analysis, kept by each thread from one call to the next: a long sweep's
// transforms are megabytes, and allocated afresh on every call they cost more in page
// faults than the transforms themselves.
// The inverse filter W/X of the last stimulus, kept with an exact copy of that stimulus: a
// sequence analyses every channel, and the loopback reference, against the same sweep.
struct InverseFilter {
  AlignedBuffer<std::complex<double>> bins;
  std::vector<double> stimulus;
  std::size_t n = 0;
  double start_hz = 0.0, end_hz = 0.0, sample_rate_hz = 0.0;
};

struct SweepWorkspace {
  AlignedBuffer<double> padded;
  AlignedBuffer<std::complex<double>> response;
  InverseFilter filter;
  AlignedBuffer<double> segment;
  std::vector<double> weights;
  ImpulseResponse ir, reference_ir;
  WindowSpectrum window, reference_window;
};

SweepWorkspace& workspace() {
  thread_local SweepWorkspace w;
  return w;
}

// Spectrum of `x` zero-padded to n points.
void spectrum_of(std::span<const double> x, std::size_t n,
                 AlignedBuffer<std::complex<double>>& out) {
  auto& padded = workspace().padded;
  padded.ensure_size(n);
  const std::size_t used = std::min(x.size(), n);
  std::copy(x.begin(), x.begin() + static_cast<long>(used), padded.data());
  std::fill(padded.data() + used, padded.data() + n, 0.0);
  out.ensure_size(n / 2 + 1);
  RealFft::for_size(n)->forward(padded.data(), out.data());
}

// a / b without the library's guarded complex division, which cost more than the transforms
// of a long sweep: b is never infinite here and a zero b is tested before.
std::complex<double> divided(std::complex<double> a, std::complex<double> b) {
  return a * std::conj(b) / std::norm(b);
}

// The window's weights: raised-cosine tapers over the outer quarter of each side, so the
// response's peak at the centre is never attenuated. Weight at offset i from the centre is
// at index i + before. The cosines come from a rotation, not a cos() per sample (a short
// sweep's window is nearly as long as its transform): over a 24 000-sample taper the
// rotation drifts from cos() by under 1e-11.
void fill_window(long before, long after, std::vector<double>& weights) {
  weights.assign(static_cast<std::size_t>(before + after + 1), 1.0);
  // d samples in from a side's end (its first weight at `end`, the next `inward` of it):
  // 0.5 - 0.5·cos(π·d/taper). The centre belongs to the side after it.
  const auto taper_side = [&](long side, long samples, long end, long inward) {
    const long taper = std::max(1L, side / 4);
    const std::complex<double> step = std::polar(1.0, kPi / static_cast<double>(taper));
    std::complex<double> turn = 1.0;
    for (long d = 0; d < std::min(taper, samples); ++d, turn *= step)
      weights[static_cast<std::size_t>(end + d * inward)] = 0.5 - 0.5 * turn.real();
  };
  taper_side(before, before, 0, 1);
  taper_side(after, after + 1, before + after, -1);
}

// FFT of the window [centre - before, centre + after] of the circular impulse response h,
// with `centre` moved to index 0, zero-padded to twice the window (bins fine enough for
// linear interpolation of a response this short).
void windowed_spectrum(const double* h, std::size_t n, double centre, long before, long after,
                       WindowSpectrum& w) {
  const std::size_t m = std::max<std::size_t>(
      4096, fast_fft_size(static_cast<std::size_t>(2 * (before + after + 1))));
  w.m = m;
  auto& out = w.bins;
  auto& segment = workspace().segment;
  segment.ensure_size(m);
  std::fill(segment.data(), segment.data() + m, 0.0);
  const long c = std::lround(centre);
  const auto wrapped = [](long i, std::size_t length) {
    const auto l = static_cast<long>(length);
    return static_cast<std::size_t>(((i % l) + l) % l);
  };
  // Both indices walk forward, wrapping at their buffers' ends: copied in the runs between
  // wraps, which vectorise.
  std::size_t source = wrapped(c - before, n);
  std::size_t target = wrapped(-before, m);
  auto& weights = workspace().weights;
  fill_window(before, after, weights);
  for (std::size_t done = 0; done < weights.size();) {
    const std::size_t run = std::min({weights.size() - done, n - source, m - target});
    for (std::size_t j = 0; j < run; ++j) segment[target + j] = h[source + j] * weights[done + j];
    done += run;
    source = (source + run) % n;
    target = (target + run) % m;
  }
  out.ensure_size(m / 2 + 1);
  RealFft::for_size(m)->forward(segment.data(), out.data());
  w.fraction = centre - static_cast<double>(c);
}

// Linear interpolation of a window's spectrum at frequency f.
std::complex<double> at_frequency(const WindowSpectrum& w, double f, double fs) {
  const auto& s = w.bins;
  const std::size_t m = w.m;
  const double bin = f * static_cast<double>(m) / fs;
  const auto k = static_cast<std::size_t>(std::floor(bin));
  if (k + 1 > m / 2) return s[m / 2];
  const double u = bin - static_cast<double>(k);
  // The window sat on a whole sample; the fractional rest of its centre is a pure delay.
  return (s[k] * (1.0 - u) + s[k + 1] * u) * std::polar(1.0, 2.0 * kPi * f * w.fraction / fs);
}

// Where the linear response has its largest magnitude: positive times only (the harmonic
// responses sit at negative times, at the end of the circular buffer), on the magnitude so
// an inverting DUT is found at its peak, not a side lobe.
std::size_t largest_at_positive_time(const ImpulseResponse& ir) {
  std::size_t peak = 0;
  for (std::size_t i = 0; i < ir.n / 2; ++i)
    if (std::abs(ir.h[i]) > std::abs(ir.h[peak])) peak = i;
  return peak;
}

// Weight of the deconvolution band. At the top, a raised-cosine taper over the highest 1/12
// octave (it rings for about a millisecond). At the bottom, a 4th-order Butterworth
// high-pass at f1: minimum phase, so its long low-frequency ringing lies after the
// response's peak, inside the linear window, instead of before it where the second
// harmonic's response sits; its known response is divided out again afterwards.
std::complex<double> low_edge(double f, const SyncSweep& s) {
  const std::complex<double> u(0.0, f / s.start_hz);  // s/ωc
  const std::complex<double> u2 = u * u;
  return divided(u2 * u2, u2 * u2 + 2.6131259297527530 * u2 * u + 3.4142135623730950 * u2 +
                              2.6131259297527530 * u + 1.0);
}

double high_edge(double f, const SyncSweep& s) {
  if (f >= s.end_hz) return 0.0;
  const double high_start = s.end_hz * std::pow(2.0, -1.0 / 12.0);
  if (f > high_start)
    return 0.5 + 0.5 * std::cos(kPi * std::log(f / high_start) / std::log(s.end_hz / high_start));
  return 1.0;
}

std::size_t transform_size(std::span<const double> response, std::span<const double> stimulus,
                           const SyncSweep& sweep, int max_order) {
  return sync_sweep_transform_size(std::max(response.size(), stimulus.size()), sweep, max_order);
}

// W/(n·X) over the sweep's band at transform size n, X the stimulus's spectrum; computed again
// only when the stimulus, the sweep's band or n differ from the last call's.
const AlignedBuffer<std::complex<double>>& inverse_filter(std::span<const double> stimulus,
                                                          const SyncSweep& sweep, std::size_t n) {
  auto& filter = workspace().filter;
  if (filter.n == n && filter.start_hz == sweep.start_hz && filter.end_hz == sweep.end_hz &&
      filter.sample_rate_hz == sweep.sample_rate_hz && filter.stimulus.size() == stimulus.size() &&
      std::memcmp(stimulus.data(), filter.stimulus.data(), stimulus.size_bytes()) == 0)
    return filter.bins;
  spectrum_of(stimulus, n, filter.bins);
  const double bin_hz = sweep.sample_rate_hz / static_cast<double>(n);
  for (std::size_t k = 0; k <= n / 2; ++k) {
    const double f = static_cast<double>(k) * bin_hz;
    const double w = high_edge(f, sweep);
    const std::complex<double> x = filter.bins[k];
    // 1/n, the inverse transform's scale, rides on the filter: one pass fewer over h.
    filter.bins[k] = (k > 0 && w > 0.0 && std::norm(x) > 0.0)
                         ? divided(low_edge(f, sweep) * (w / static_cast<double>(n)), x)
                         : 0.0;
  }
  filter.stimulus.assign(stimulus.begin(), stimulus.end());
  filter.n = n;
  filter.start_hz = sweep.start_hz;
  filter.end_hz = sweep.end_hz;
  filter.sample_rate_hz = sweep.sample_rate_hz;
  return filter.bins;
}

// h = IFFT(Y·W/X), scaled.
void deconvolve(std::span<const double> response, std::span<const double> stimulus,
                const SyncSweep& sweep, ImpulseResponse& ir) {
  const auto& filter = inverse_filter(stimulus, sweep, ir.n);
  auto& y = workspace().response;
  spectrum_of(response, ir.n, y);
  // In real arithmetic: std::complex's product checks for infinities and NaNs at every bin
  // and does not vectorise (a tenth of a long sweep's analysis); neither factor holds either.
  auto* yr = reinterpret_cast<double*>(y.data());
  const auto* fr = reinterpret_cast<const double*>(filter.data());
  for (std::size_t k = 0; k <= ir.n / 2; ++k) {
    const double re = yr[2 * k] * fr[2 * k] - yr[2 * k + 1] * fr[2 * k + 1];
    const double im = yr[2 * k] * fr[2 * k + 1] + yr[2 * k + 1] * fr[2 * k];
    yr[2 * k] = re;
    yr[2 * k + 1] = im;
  }
  ir.h.ensure_size(ir.n);
  RealFft::for_size(ir.n)->inverse(y.data(), ir.h.data());
}

}  // namespace

// The transform holds the response and, before it wraps into the linear response, the
// harmonics' responses, which the deconvolution moves up to the highest order's advance
// before t = 0: a transform only as long as the capture leaves their starts folded onto
// its end (0.2 dB of H2 at 20 Hz). Sized to FFTW's fast lengths, not powers of two, the
// cost grows with the sweep's length instead of doubling in steps.
std::size_t sync_sweep_transform_size(std::size_t frames, const SyncSweep& sweep, int max_order) {
  const auto advance = static_cast<std::size_t>(
      std::ceil(sweep.harmonic_advance_s(std::max(max_order, 2)) * sweep.sample_rate_hz));
  return fast_fft_size(frames + advance + 1);
}

SyncSweep SyncSweep::design(double start_hz, double end_hz, double approx_duration_s,
                            double sample_rate_hz) {
  if (!(start_hz > 0.0)) throw UsageError("sweep start frequency must be positive");
  if (!(end_hz > start_hz)) throw UsageError("sweep end frequency must be above its start");
  if (end_hz >= sample_rate_hz / 2.0)
    throw UsageError("sweep end frequency must be below half the sample rate");
  SyncSweep s;
  s.start_hz = start_hz;
  s.end_hz = end_hz;
  s.sample_rate_hz = sample_rate_hz;
  s.k = static_cast<int>(std::lround(start_hz * approx_duration_s / std::log(end_hz / start_hz)));
  if (s.k < 1) throw UsageError("sweep too short for its start frequency: lengthen the duration");
  s.rate_s = s.k / start_hz;
  s.duration_s = s.rate_s * std::log(end_hz / start_hz);
  return s;
}

std::string SyncSweep::describe() const {
  char b[160];
  std::snprintf(b, sizeof b, "ampbench-sync-sweep f1=%.17g f2=%.17g k=%d fs=%.17g", start_hz,
                end_hz, k, sample_rate_hz);
  return b;
}

std::optional<SyncSweep> SyncSweep::from_description(const std::string& text) {
  SyncSweep s;
  if (std::sscanf(text.c_str(), "ampbench-sync-sweep f1=%lf f2=%lf k=%d fs=%lf", &s.start_hz,
                  &s.end_hz, &s.k, &s.sample_rate_hz) != 4 ||
      !(s.start_hz > 0.0) || !(s.end_hz > s.start_hz) || s.k < 1 || !(s.sample_rate_hz > 0.0))
    return std::nullopt;
  s.rate_s = s.k / s.start_hz;
  s.duration_s = s.rate_s * std::log(s.end_hz / s.start_hz);
  return s;
}

std::size_t SyncSweep::frames() const {
  return static_cast<std::size_t>(std::ceil(duration_s * sample_rate_hz));
}

double SyncSweep::harmonic_advance_s(int order) const {
  return rate_s * std::log(static_cast<double>(order));
}

std::vector<double> generate_sync_sweep(const SyncSweep& s, double amplitude_peak_fs,
                                        std::size_t tail_frames, double fade_s) {
  const std::size_t n = s.frames();
  std::vector<double> x(n + tail_frames, 0.0);
  const double cycles_scale = s.start_hz * s.rate_s;  // = k, a whole number
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / s.sample_rate_hz;
    // Whole cycles removed before sin(): the phase reaches 2π·k·f2/f1.
    const double cycles = cycles_scale * std::exp(t / s.rate_s);
    x[i] = amplitude_peak_fs * std::sin(2.0 * kPi * (cycles - std::floor(cycles)));
  }
  // The sampled sweep cannot stop exactly on its last zero crossing; an abrupt stop spreads
  // the DUT's distortion across the band (-98 dB re a -46 dB H3), so the end always fades
  // out, over at least 5 ms, which lies within the top band taper where nothing is reported.
  const auto fade_in = std::min(static_cast<std::size_t>(fade_s * s.sample_rate_hz), n / 2);
  const auto fade_out =
      std::min(static_cast<std::size_t>(std::max(fade_s, 0.005) * s.sample_rate_hz), n / 2);
  const auto half_hann = [](std::size_t i, std::size_t length) {
    return 0.5 - 0.5 * std::cos(kPi * static_cast<double>(i) / static_cast<double>(length));
  };
  for (std::size_t i = 0; i < fade_in; ++i) x[i] *= half_hann(i, fade_in);
  for (std::size_t i = 0; i < fade_out; ++i) x[n - 1 - i] *= half_hann(i, fade_out);
  return x;
}

double SweepResponse::h1_db(std::size_t i) const {
  return amplitude_ratio_to_db(std::abs(h1[i]));
}
double SweepResponse::h1_phase_deg(std::size_t i) const {
  return std::arg(h1[i]) * 180.0 / kPi;
}
double SweepResponse::harmonic_db(int order, std::size_t i) const {
  const double v = harmonic.at(static_cast<std::size_t>(order - 2))[i];
  return std::isnan(v) ? v : amplitude_ratio_to_db(v);
}
double SweepResponse::thd_ratio(std::size_t i) const {
  double sum = 0.0;
  bool any = false;
  for (const auto& h : harmonic) {
    if (std::isnan(h[i])) continue;
    sum += h[i] * h[i];
    any = true;
  }
  // Both from the same capture: a loopback reference, which divides H1, would leave the
  // harmonics re the interface's other calibration.
  return any ? std::sqrt(sum) / fundamental[i] : std::numeric_limits<double>::quiet_NaN();
}

SweepResponse analyze_sync_sweep(std::span<const double> response, std::span<const double> stimulus,
                                 const SyncSweep& sweep, const SweepAnalysisOptions& options) {
  if (response.size() < sweep.frames())
    throw MeasurementError("response of " + std::to_string(response.size()) +
                           " samples is shorter than the sweep (" + std::to_string(sweep.frames()) +
                           ")");
  const double fs = sweep.sample_rate_hz;
  auto& work = workspace();
  auto& ir = work.ir;
  ir.n = transform_size(response, stimulus, sweep, options.max_order);
  deconvolve(response, stimulus, sweep, ir);
  const std::size_t n = ir.n;

  SweepResponse out;
  // Latency and polarity: the linear response's peak.
  const std::size_t peak = largest_at_positive_time(ir);
  if (options.latency_samples) {
    out.latency_samples = *options.latency_samples;
  } else {
    if (!(std::abs(ir.h[peak]) > 0.0)) throw MeasurementError("the sweep response is silent");
    out.latency_samples = static_cast<double>(peak);
  }
  out.polarity = ir.h[peak] < 0.0 ? -1 : 1;
  out.frequency_hz = options.frequencies_hz;
  if (out.frequency_hz.empty()) {
    const double top = sweep.end_hz * std::pow(2.0, -1.0 / 12.0);
    for (double f = 2.0 * sweep.start_hz; f <= top * (1 + 1e-12); f *= std::pow(2.0, 1.0 / 24.0))
      out.frequency_hz.push_back(f);
  }

  const auto advance = [&](int order) { return sweep.harmonic_advance_s(order) * fs; };
  const long gap2 = static_cast<long>(advance(2));
  const long before = std::min(gap2 / 2, static_cast<long>(0.25 * fs));
  // Positive times hold nothing but the linear response until the harmonics' wrapped
  // responses at the end of the buffer: 2 s keeps the tail of a 2 Hz high-pass (τ = 80 ms).
  const long after =
      std::min(static_cast<long>(n / 2) - gap2, std::max(static_cast<long>(2.0 * fs), gap2 / 2));

  const WindowSpectrum* reference_spectrum = nullptr;
  double centre = out.latency_samples;
  if (!options.reference.empty()) {
    auto& ref = work.reference_ir;
    ref.n = transform_size(options.reference, stimulus, sweep, options.max_order);
    deconvolve(options.reference, stimulus, sweep, ref);
    const std::size_t ref_peak = largest_at_positive_time(ref);
    windowed_spectrum(ref.h.data(), ref.n, static_cast<double>(ref_peak), before, after,
                      work.reference_window);
    reference_spectrum = &work.reference_window;
    // The reference carries the interface's latency: the DUT's phase is re the reference.
    centre = static_cast<double>(ref_peak);
    if (ref.h[ref_peak] < 0.0) out.polarity = -out.polarity;
  }
  WindowSpectrum& spectrum = work.window;
  windowed_spectrum(ir.h.data(), n, centre, before, after, spectrum);
  for (double f : out.frequency_hz) {
    std::complex<double> h = at_frequency(spectrum, f, fs) / low_edge(f, sweep);
    out.fundamental.push_back(std::abs(h));
    if (reference_spectrum) h /= at_frequency(*reference_spectrum, f, fs) / low_edge(f, sweep);
    out.h1.push_back(h);
  }

  for (int order = 2; order <= options.max_order; ++order) {
    const double centre = out.latency_samples - advance(order);
    const double previous = order == 2 ? 0.0 : advance(order - 1);
    const double next = advance(order + 1);
    const long reach_before = static_cast<long>((next - advance(order)) / 2.0);
    const long reach_after = static_cast<long>((advance(order) - previous) / 2.0);
    windowed_spectrum(ir.h.data(), n, centre, reach_before, reach_after, spectrum);
    std::vector<double> amplitudes;
    for (double f : out.frequency_hz) {
      const double harmonic_hz = f * order;
      // Valid where the harmonic lies inside the swept band's flat part: in the top taper
      // the deconvolution has already attenuated it (to nothing at f2).
      if (f < sweep.start_hz || high_edge(harmonic_hz, sweep) < 1.0) {
        amplitudes.push_back(std::numeric_limits<double>::quiet_NaN());
      } else {
        amplitudes.push_back(
            std::abs(at_frequency(spectrum, harmonic_hz, fs) / low_edge(harmonic_hz, sweep)));
      }
    }
    out.harmonic.push_back(std::move(amplitudes));
  }
  return out;
}

}  // namespace ampbench::dsp
