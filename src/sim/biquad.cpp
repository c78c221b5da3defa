#include "sim/biquad.hpp"

#include <cmath>
#include <numbers>

namespace ampbench::sim {

std::complex<double> BiquadCoefficients::response(double frequency_hz,
                                                  double sample_rate_hz) const {
  const std::complex<double> z1 =
      std::polar(1.0, -2.0 * std::numbers::pi * frequency_hz / sample_rate_hz);
  const std::complex<double> z2 = z1 * z1;
  return (b0 + b1 * z1 + b2 * z2) / (1.0 + a1 * z1 + a2 * z2);
}

BiquadCoefficients first_order_highpass(double corner_hz, double sample_rate_hz) {
  const double k = std::tan(std::numbers::pi * corner_hz / sample_rate_hz);
  BiquadCoefficients c;
  c.b0 = 1.0 / (1.0 + k);
  c.b1 = -c.b0;
  c.a1 = (k - 1.0) / (k + 1.0);
  return c;
}

BiquadCoefficients second_order_lowpass(double corner_hz, double q, double sample_rate_hz) {
  const double k = std::tan(std::numbers::pi * corner_hz / sample_rate_hz);
  const double norm = 1.0 / (1.0 + k / q + k * k);
  BiquadCoefficients c;
  c.b0 = k * k * norm;
  c.b1 = 2.0 * c.b0;
  c.b2 = c.b0;
  c.a1 = 2.0 * (k * k - 1.0) * norm;
  c.a2 = (1.0 - k / q + k * k) * norm;
  return c;
}

}  // namespace ampbench::sim
