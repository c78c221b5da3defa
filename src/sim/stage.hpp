// sim: one stage of a simulated channel. The chain (chain.hpp) runs each channel's stages
// in order over every block, in place: full-scale samples into the DAC, volts through the
// DUT, full scale out of the ADC. A new model of something real (a crossover, a reactive
// load) is a stage in a file of its own, added to the chain's list.
#pragma once

#include <cstdint>
#include <span>

namespace ampbench::sim {

// What a stage sees of the block beyond its samples.
struct Block {
  std::uint64_t first_sample = 0;  // counted from the chain's construction
  double source_ohm = 0.0;         // the resistance the DUT input is driven through
  bool common_mode = false;        // the source drives both legs of a balanced input
  // In common mode, the difference the source's imbalance makes between the legs, re the
  // common-mode voltage: ΔR/(Z_leg + R_s + ΔR) (common_mode.hpp).
  double source_mismatch = 0.0;
};

class Stage {
 public:
  virtual ~Stage() = default;
  // Before the first block, and again if the sample rate changes.
  virtual void prepare(double /*sample_rate_hz*/) {}
  virtual void process_block(std::span<double> samples, const Block& block) = 0;
  // Clears filter states and delay lines (noise sequences continue).
  virtual void reset() {}
  // A bypassed stage passes its block through untouched.
  void set_bypassed(bool bypassed) { bypassed_ = bypassed; }
  bool bypassed() const { return bypassed_; }

 private:
  bool bypassed_ = false;
};

}  // namespace ampbench::sim
