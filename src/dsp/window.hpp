// Analysis windows (periodic, DFT-even). The 7-term Blackman-Harris is the default for
// tone analysis: its side lobes sit near -180 dB, so a non-coherent tone does not leak
// into the residual of a THD+N measurement.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

namespace ampbench::dsp {

enum class WindowKind { rectangular, hann, flat_top, blackman_harris_7 };

struct Window {
  WindowKind kind;
  std::vector<double> samples;
  double sum_of_squares;  // Σw², for power normalisation
  double sum;             // Σw, for the window-weighted mean (the DC level)
  // Half-width of the main lobe in bins; a tone's energy lies within ±this of its bin.
  int main_lobe_half_width_bins;
};

std::vector<double> make_window_samples(WindowKind kind, std::size_t size);
int main_lobe_half_width_bins(WindowKind kind);

// The same window object for every caller asking for this kind and size (thread-safe).
std::shared_ptr<const Window> cached_window(WindowKind kind, std::size_t size);

}  // namespace ampbench::dsp
