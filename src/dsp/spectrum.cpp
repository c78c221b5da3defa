#include "dsp/spectrum.hpp"

#include <complex>

#include "dsp/fft.hpp"

namespace ampbench::dsp {

void compute_power_spectrum(std::span<const double> samples, double sample_rate_hz,
                            WindowKind window_kind, PowerSpectrum& out, DcLevel dc_level) {
  const std::size_t n = samples.size();
  const auto fft = RealFft::for_size(n);
  const auto window = cached_window(window_kind, n);

  thread_local AlignedBuffer<double> windowed;
  thread_local AlignedBuffer<std::complex<double>> spectrum;
  windowed.ensure_size(n);
  spectrum.ensure_size(n / 2 + 1);
  // The window-weighted mean: a tone contributes to it only through the window's
  // sidelobes, so it reads the DC under a tone (a plain mean of a partial cycle would not).
  double weighted_sum = 0.0;
  for (std::size_t i = 0; i < n; ++i) weighted_sum += samples[i] * window->samples[i];
  const double dc = weighted_sum / window->sum;
  const double removed = dc_level == DcLevel::remove ? dc : 0.0;
  for (std::size_t i = 0; i < n; ++i) windowed[i] = (samples[i] - removed) * window->samples[i];
  fft->forward(windowed.data(), spectrum.data());

  out.sample_rate_hz = sample_rate_hz;
  out.fft_size = n;
  out.window = window_kind;
  out.main_lobe_half_width_bins = window->main_lobe_half_width_bins;
  out.dc_fs = dc;
  const std::size_t bins = n / 2 + 1;
  out.bin_mean_square.resize(bins);
  // Parseval with the window's energy: Σ|X_k|² (two-sided) / (N·Σw²) is the mean square.
  const double one_sided = 2.0 / (static_cast<double>(n) * window->sum_of_squares);
  // Not std::norm: libstdc++ computes it through hypot() unless built with fast-math.
  for (std::size_t k = 0; k < bins; ++k) {
    const double re = spectrum[k].real(), im = spectrum[k].imag();
    out.bin_mean_square[k] = (re * re + im * im) * one_sided;
  }
  out.bin_mean_square[0] *= 0.5;
  if (n % 2 == 0) out.bin_mean_square[bins - 1] *= 0.5;
}

PowerSpectrum power_spectrum(std::span<const double> samples, double sample_rate_hz,
                             WindowKind window, DcLevel dc) {
  PowerSpectrum out;
  compute_power_spectrum(samples, sample_rate_hz, window, out, dc);
  return out;
}

double noise_density_fs(const PowerSpectrum& spectrum, double from_hz, double to_hz) {
  double sum = 0.0;
  std::size_t bins = 0;
  for (std::size_t k = 1; k < spectrum.bin_mean_square.size(); ++k) {
    const double f = spectrum.bin_frequency_hz(k);
    if (f < from_hz || f >= to_hz) continue;
    sum += spectrum.bin_mean_square[k];
    ++bins;
  }
  if (bins == 0) return std::nan("");
  return std::sqrt(sum / static_cast<double>(bins) / spectrum.bin_width_hz());
}

}  // namespace ampbench::dsp
