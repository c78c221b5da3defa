// sim: slew-rate limiting. An amplifier's output can change by at most S volts per second:
// each sample moves towards its target by no more than S/fs. A sine of peak A at f needs
// 2π·f·A; above that the output turns into a triangle and THD rises, first at high
// frequencies and high levels.
#pragma once

#include <algorithm>

namespace ampbench::sim {

class SlewLimiter {
 public:
  SlewLimiter() = default;
  // slew_v_per_us ≤ 0: unlimited.
  SlewLimiter(double slew_v_per_us, double sample_rate_hz)
      : max_step_v_(slew_v_per_us > 0.0 ? slew_v_per_us * 1e6 / sample_rate_hz : 0.0) {}
  double process(double target_v) {
    if (max_step_v_ <= 0.0) return target_v;
    last_v_ += std::clamp(target_v - last_v_, -max_step_v_, max_step_v_);
    return last_v_;
  }
  void reset() { last_v_ = 0.0; }

 private:
  double max_step_v_ = 0.0;
  double last_v_ = 0.0;
};

}  // namespace ampbench::sim
