// sim: ripple on a power amplifier's supply reaching its output. The ripple r(t) is a sine
// (the bench's ripple generator through its coupling, SimChain::set_supply_ripple); what
// appears at the output terminals is k·(r[n] + (r[n] − r[n−1])·fs/(2π·fc)), k =
// 10^(−psrr_db/20), a backward difference for the 6 dB-an-octave rise above fc =
// psrr_corner_hz (flat when 0). So the model's PSRR, ripple over output ripple, is
// −20·log10|k·(1 + (1 − e^(−j2πf/fs))·fs/(2π·fc))|. Without ripple the block passes untouched.
#pragma once

#include "sim/models.hpp"
#include "sim/rising_coupling.hpp"
#include "sim/stage.hpp"
#include "sim/wiring.hpp"

namespace ampbench::sim {

class SupplyRippleStage : public Stage {
 public:
  explicit SupplyRippleStage(const PowerAmpModel& model);
  void prepare(double sample_rate_hz) override {
    sample_rate_hz_ = sample_rate_hz;
    coupling_.prepare(sample_rate_hz);
  }
  void process_block(std::span<double> v, const Block& block) override;
  void reset() override { coupling_.reset(); }
  // Off, or a new ripple from phase 0 at the next block.
  void set_ripple(const GeneratorOutput& ripple);

 private:
  RisingCoupling coupling_;
  double sample_rate_hz_ = 48000.0;
  GeneratorOutput ripple_;
  double phase_ = 0.0;  // radians
};

}  // namespace ampbench::sim
