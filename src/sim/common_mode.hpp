// sim: a balanced input driven in common mode (both legs from the source, the bench's CMRR
// wiring). What reaches the difference stage as differential voltage from the common-mode
// voltage v: the mismatch's m·v, and the stage's own k·(v + (v[n] − v[n−1])·fs/(2π·fc)),
// k = 10^(−cmrr_db/20), a backward difference for the 6 dB-an-octave rise above fc. So
// CMRR(f) = −20·log10|m + k·(1 + (1 − e^(−j2πf/fs))·fs/(2π·fc))|, the rest of the preamp
// alike in both modes. A source with ΔR in one leg adds s = ΔR/(Z_leg + R_s + ΔR) to m
// (Block::source_mismatch, the chain's: each leg sees half the input's impedance). Driven
// normally, the block passes untouched.
#pragma once

#include "sim/models.hpp"
#include "sim/rising_coupling.hpp"
#include "sim/stage.hpp"

namespace ampbench::sim {

class CommonModeStage : public Stage {
 public:
  explicit CommonModeStage(const PreampModel& model);
  void prepare(double sample_rate_hz) override { stage_.prepare(sample_rate_hz); }
  void process_block(std::span<double> v, const Block& block) override;
  void reset() override { stage_.reset(); }

 private:
  double mismatch_;  // m
  RisingCoupling stage_;
};

}  // namespace ampbench::sim
