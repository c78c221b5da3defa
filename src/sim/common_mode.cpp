#include "sim/common_mode.hpp"

namespace ampbench::sim {

CommonModeStage::CommonModeStage(const PreampModel& model)
    : mismatch_(model.cmrr_mismatch_pct / 100.0), stage_(model.cmrr_db, model.cmrr_corner_hz) {}

void CommonModeStage::process_block(std::span<double> v, const Block& block) {
  if (!block.common_mode) {
    if (!v.empty()) stage_.follow(v.back());
    return;
  }
  for (double& x : v) {
    const double in = x;
    x = (mismatch_ + block.source_mismatch) * in + stage_.leak(in);
  }
}

}  // namespace ampbench::sim
