#include "sim/supply_ripple.hpp"

#include <cmath>
#include <numbers>

namespace ampbench::sim {

SupplyRippleStage::SupplyRippleStage(const PowerAmpModel& model)
    : coupling_(model.psrr_db, model.psrr_corner_hz) {}

void SupplyRippleStage::set_ripple(const GeneratorOutput& ripple) {
  ripple_ = ripple;
  phase_ = 0.0;
  coupling_.reset();
}

void SupplyRippleStage::process_block(std::span<double> v, const Block&) {
  if (!ripple_.on || !(ripple_.vrms > 0.0) || !coupling_.leaks()) return;
  const double two_pi = 2.0 * std::numbers::pi;
  const double step = two_pi * ripple_.frequency_hz / sample_rate_hz_;
  const double peak = ripple_.vrms * std::numbers::sqrt2;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double r = peak * std::sin(phase_ + step * static_cast<double>(i));
    v[i] += coupling_.leak(r);
  }
  phase_ = std::fmod(phase_ + step * static_cast<double>(v.size()), two_pi);
}

}  // namespace ampbench::sim
