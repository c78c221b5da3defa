// Windowed one-sided power spectra, scaled so that summing bins gives mean square: a
// tone's bins (its main lobe) sum to A²/2, and white noise's bins sum to its variance.
// The block's DC level (its window-weighted mean) is always reported; for analysis it is
// taken out before the transform, so a DUT's offset never leaks into the low bins of a
// short capture.
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
  double dc_fs = 0.0;                   // the block's DC level, Σw·x / Σw, in full scale

  double bin_width_hz() const { return sample_rate_hz / static_cast<double>(fft_size); }
  double bin_frequency_hz(std::size_t bin) const {
    return static_cast<double>(bin) * bin_width_hz();
  }
};

// keep: the spectrum of the block as it is; remove: of the block less its DC level.
enum class DcLevel { keep, remove };

// Fills `out` (reusing its storage) with the spectrum of all of `samples`.
void compute_power_spectrum(std::span<const double> samples, double sample_rate_hz,
                            WindowKind window, PowerSpectrum& out, DcLevel dc = DcLevel::keep);
PowerSpectrum power_spectrum(std::span<const double> samples, double sample_rate_hz,
                             WindowKind window = WindowKind::blackman_harris_7,
                             DcLevel dc = DcLevel::keep);

// The noise density over [from_hz, to_hz): the mean of those bins' mean squares per hertz of
// bin spacing, its square root, in full scale per √Hz. Every window alike: its bins already
// sum to the variance (its equivalent noise bandwidth is in the scaling). NaN without a bin.
double noise_density_fs(const PowerSpectrum& spectrum, double from_hz, double to_hz);

}  // namespace ampbench::dsp
