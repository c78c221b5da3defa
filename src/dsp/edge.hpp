// dsp: a square wave's edges, from one period of it averaged over many. The period's
// trigonometric interpolant (its DFT, every bin below Nyquist) is read 16 times finer than
// the samples, and so is its slope, exactly: the settled levels are the means of the middle
// fifth of each half-period; the rise time runs from 10 % to 90 % of the step on the rising
// edge; the steepest slope is of either edge; the overshoot is the rising edge's peak beyond
// the settled high, in % of the step.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace ampbench::dsp {

inline constexpr int kEdgeOversampling = 16;

struct EdgeFigures {
  double low = 0.0, high = 0.0;  // settled levels either side of the rising edge
  double rise_time_s = 0.0;
  double steepest_per_s = 0.0;  // units of the samples per second
  double overshoot_pct = 0.0;
  // The interpolated period from a quarter period before the rising edge, s and units.
  std::vector<double> t_s, v;
};

// The mean period of a block holding whole periods of `period` samples (a partial one at the
// end is left out).
std::vector<double> period_average(std::span<const double> block, std::size_t period);

// `period`: one period, at least 8 samples; a block with no rising edge (flat) has every
// figure 0 but its levels.
EdgeFigures analyze_edge(std::span<const double> period, double sample_rate_hz);

// A square wave of peak 1 band-limited to its odd harmonics below `band_hz`, each weighted by
// Lanczos's σ against Gibbs's overshoot: the harmonic numbers and their amplitudes.
struct SquareHarmonic {
  int number;
  double amplitude;
};
std::vector<SquareHarmonic> band_limited_square(double fundamental_hz, double band_hz);

}  // namespace ampbench::dsp
