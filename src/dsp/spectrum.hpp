// Windowed one-sided power spectra, scaled so that summing bins gives mean square: a
// tone's bins (its main lobe) sum to A²/2, and white noise's bins sum to its variance.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "dsp/window.hpp"

namespace ampbench::dsp {

struct PowerSpectrum {
  double sample_rate_hz = 0.0;
  std::size_t fft_size = 0;
  WindowKind window = WindowKind::blackman_harris_7;
  int main_lobe_half_width_bins = 0;
  std::vector<double> bin_mean_square;  // fft_size/2 + 1 bins, DC to Nyquist

  double bin_width_hz() const { return sample_rate_hz / static_cast<double>(fft_size); }
  double bin_frequency_hz(std::size_t bin) const {
    return static_cast<double>(bin) * bin_width_hz();
  }
};

// Fills `out` (reusing its storage) with the spectrum of all of `samples`.
void compute_power_spectrum(std::span<const double> samples, double sample_rate_hz,
                            WindowKind window, PowerSpectrum& out);
PowerSpectrum power_spectrum(std::span<const double> samples, double sample_rate_hz,
                             WindowKind window = WindowKind::blackman_harris_7);

}  // namespace ampbench::dsp
