// Second-order IIR sections (transposed direct form II) and their bilinear designs.
#pragma once

#include <complex>

namespace ampbench::sim {

struct BiquadCoefficients {
  double b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0;
  // H(e^{jω}) at this frequency, straight from the coefficients.
  std::complex<double> response(double frequency_hz, double sample_rate_hz) const;
};

// Bilinear transforms prewarped so the corner lands exactly at `corner_hz`.
BiquadCoefficients first_order_highpass(double corner_hz, double sample_rate_hz);
BiquadCoefficients second_order_lowpass(double corner_hz, double q, double sample_rate_hz);
// Shelves of the RBJ audio-EQ cookbook with slope S = 1: gain_db below (low) or above
// (high) the midpoint frequency, where the gain is half as many dB.
BiquadCoefficients low_shelf(double midpoint_hz, double gain_db, double sample_rate_hz);
BiquadCoefficients high_shelf(double midpoint_hz, double gain_db, double sample_rate_hz);

class Biquad {
 public:
  Biquad() = default;
  explicit Biquad(const BiquadCoefficients& c) : c_(c) {}
  double process(double x) {
    const double y = c_.b0 * x + z1_;
    z1_ = c_.b1 * x - c_.a1 * y + z2_;
    z2_ = c_.b2 * x - c_.a2 * y;
    return y;
  }
  void reset() { z1_ = z2_ = 0.0; }
  const BiquadCoefficients& coefficients() const { return c_; }

 private:
  BiquadCoefficients c_;
  double z1_ = 0.0, z2_ = 0.0;
};

}  // namespace ampbench::sim
