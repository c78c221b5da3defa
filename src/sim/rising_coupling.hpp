// sim: a leak that rises 6 dB an octave above a corner, as an amplifier's rejection of
// common-mode or supply signals falls with frequency: k·(x[n] + (x[n] − x[n−1])·fs/(2π·fc)),
// k = 10^(−rejection_db/20), a backward difference (flat when fc is 0; none at 300 dB and
// above). Its magnitude is |k·(1 + (1 − e^(−j2πf/fs))·fs/(2π·fc))|.
#pragma once

#include <numbers>

#include "dsp/units.hpp"

namespace ampbench::sim {

class RisingCoupling {
 public:
  RisingCoupling(double rejection_db, double corner_hz, double sample_rate_hz = 48000.0)
      : k_(rejection_db >= 300.0 ? 0.0 : dsp::db_to_amplitude_ratio(-rejection_db)),
        corner_hz_(corner_hz) {
    prepare(sample_rate_hz);
  }
  void prepare(double sample_rate_hz) {
    rise_ = corner_hz_ > 0.0 ? sample_rate_hz / (2.0 * std::numbers::pi * corner_hz_) : 0.0;
  }
  bool leaks() const { return k_ != 0.0; }
  // What leaks of x[n]; x[n] is then the previous sample.
  double leak(double x) {
    const double out = k_ * (x + (x - previous_) * rise_);
    previous_ = x;
    return out;
  }
  // A sample that passes unleaked still counts as the previous one.
  void follow(double x) { previous_ = x; }
  void reset() { previous_ = 0.0; }

 private:
  double k_;
  double corner_hz_;
  double rise_ = 0.0;
  double previous_ = 0.0;
};

}  // namespace ampbench::sim
