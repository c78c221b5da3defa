// dsp: a capture's lag behind its stimulus, from their cross-correlation — on the
// correlation's magnitude, so an inverting DUT is found at its true lag rather than half a
// period off, and with a measure of how unambiguous the peak is: a sweep or noise has one
// peak, a steady tone a comb of equal ones, of which none is the lag.
#pragma once

#include <span>

namespace ampbench::dsp {

struct LagEstimate {
  int lag = 0;           // at the largest |correlation|
  int positive_lag = 0;  // at the largest correlation (a tone's lag to a whole period)
  // The peak's |correlation| over the largest one more than `guard` samples from it; ≥ 2
  // is a lag to trust (kDistinctLag), about 1 a tone's comb.
  double distinctness = 0.0;
  bool negative = false;  // the peak is a negative correlation
};
inline constexpr double kDistinctLag = 2.0;

// Lag of y behind x, 0..max_lag.
LagEstimate estimate_lag(std::span<const double> x, std::span<const float> y, int max_lag,
                         int guard);

}  // namespace ampbench::dsp
