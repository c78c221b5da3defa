// sim: class-B crossover distortion. An output stage biased too little hands the signal
// from one transistor to the other with a gain dip around zero volts: the incremental gain
// is 1 − d·sech²(e/V_x), so the transfer curve is y = e − d·V_x·tanh(e/V_x). Far above
// V_x this is a fixed step of d·V_x at each zero crossing, whose harmonics fall as 1/level:
// THD+N rises towards low power, the left arm of every amplifier's U-shaped curve.
#pragma once

#include <cmath>

namespace ampbench::sim {

inline double crossover(double e_volts, double crossover_v, double depth) {
  if (crossover_v <= 0.0 || depth <= 0.0) return e_volts;
  const double x = e_volts / crossover_v;
  // Beyond 19.5, tanh is 1 to double precision: most samples of a signal of volts skip it
  // (the oversampled power amp evaluates this several times per sample).
  if (std::abs(x) > 19.5) return e_volts - depth * crossover_v * (x > 0.0 ? 1.0 : -1.0);
  return e_volts - depth * crossover_v * std::tanh(x);
}

}  // namespace ampbench::sim
