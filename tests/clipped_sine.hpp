// Tests' truth for clipping, from the model alone: a sine of amplitude A clipped at ±Vc, its
// Fourier series by a naive DFT of one period (20 000 points), A found by bisection where the
// harmonics up to `harmonics` (those the analysis sees) make `thdn_pct` of the total.
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace ampbench::testing {

struct ClippedSine {
  double amplitude = 0.0;    // the unclipped sine's peak
  double fundamental = 0.0;  // the clipped output's fundamental, peak
};

// The Fourier series of a sine of peak `amplitude` clipped at ±vc: b[k], k = 1 … harmonics.
inline std::vector<double> clipped_sine_series(double vc, double amplitude, int harmonics) {
  const int n = 20000;
  std::vector<double> b(static_cast<std::size_t>(harmonics) + 1, 0.0);
  for (int i = 0; i < n; ++i) {
    const double th = 2.0 * std::numbers::pi * i / n;
    const double y = std::clamp(amplitude * std::sin(th), -vc, vc);
    for (int k = 1; k <= harmonics; ++k)
      b[static_cast<std::size_t>(k)] += 2.0 / n * y * std::sin(k * th);
  }
  return b;
}

// Its THD+N in % with the harmonics up to `harmonics`.
inline double clipped_sine_thdn_pct(double vc, double amplitude, int harmonics) {
  const auto b = clipped_sine_series(vc, amplitude, harmonics);
  double total = 0.0;
  for (int k = 1; k <= harmonics; ++k)
    total += b[static_cast<std::size_t>(k)] * b[static_cast<std::size_t>(k)];
  return 100.0 * std::sqrt((total - b[1] * b[1]) / total);
}

inline ClippedSine clipped_sine_at_thdn(double vc, double thdn_pct, int harmonics) {
  double lo = vc, hi = 3.0 * vc;
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    (clipped_sine_thdn_pct(vc, mid, harmonics) < thdn_pct ? lo : hi) = mid;
  }
  return {lo, clipped_sine_series(vc, lo, harmonics)[1]};
}

}  // namespace ampbench::testing
