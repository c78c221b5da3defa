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

namespace {

BiquadCoefficients shelf(double midpoint_hz, double gain_db, double sample_rate_hz, bool high) {
  const double a = std::pow(10.0, gain_db / 40.0);
  const double w0 = 2.0 * std::numbers::pi * midpoint_hz / sample_rate_hz;
  const double cw = std::cos(w0);
  const double alpha = std::sin(w0) / 2.0 * std::numbers::sqrt2;  // S = 1
  const double k = 2.0 * std::sqrt(a) * alpha;
  const double sign = high ? -1.0 : 1.0;  // the high shelf mirrors the low one
  const double b0 = a * ((a + 1) - sign * (a - 1) * cw + k);
  const double b1 = 2.0 * sign * a * ((a - 1) - sign * (a + 1) * cw);
  const double b2 = a * ((a + 1) - sign * (a - 1) * cw - k);
  const double a0 = (a + 1) + sign * (a - 1) * cw + k;
  const double a1 = -2.0 * sign * ((a - 1) + sign * (a + 1) * cw);
  const double a2 = (a + 1) + sign * (a - 1) * cw - k;
  return {b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
}

}  // namespace

BiquadCoefficients low_shelf(double midpoint_hz, double gain_db, double sample_rate_hz) {
  return shelf(midpoint_hz, gain_db, sample_rate_hz, false);
}

BiquadCoefficients high_shelf(double midpoint_hz, double gain_db, double sample_rate_hz) {
  return shelf(midpoint_hz, gain_db, sample_rate_hz, true);
}

}  // namespace ampbench::sim
