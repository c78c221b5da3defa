#include "sim/common_mode.hpp"

#include <numbers>

#include "dsp/units.hpp"

namespace ampbench::sim {

CommonModeStage::CommonModeStage(const PreampModel& model)
    : mismatch_(model.cmrr_mismatch_pct / 100.0),
      stage_(model.cmrr_db >= 300.0 ? 0.0 : dsp::db_to_amplitude_ratio(-model.cmrr_db)),
      corner_hz_(model.cmrr_corner_hz) {}

void CommonModeStage::process_block(std::span<double> v, const Block& block) {
  if (!block.common_mode) {
    if (!v.empty()) previous_ = v.back();
    return;
  }
  const double rise =
      corner_hz_ > 0.0 ? sample_rate_hz_ / (2.0 * std::numbers::pi * corner_hz_) : 0.0;
  for (double& x : v) {
    const double in = x;
    x = (mismatch_ + block.source_mismatch) * in + stage_ * (in + (in - previous_) * rise);
    previous_ = in;
  }
}

}  // namespace ampbench::sim
