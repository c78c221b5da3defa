// The `sim` AudioPort backend: the stimulus goes through the simulated DUT chain offline,
// as fast as the CPU allows, deterministic for a seed. Processes in blocks like a sound
// card, so input clipping stops the stimulus at the block where it happens.
#pragma once

#include "audio/audio_port.hpp"
#include "sim/chain.hpp"

namespace ampbench::audio {

class SimPort : public AudioPort {
 public:
  SimPort(SafetyLimits safety, PortCalibration calibration, sim::SimChain chain);

  double sample_rate_hz() const override { return chain_.sample_rate_hz(); }
  int output_count() const override { return chain_.channel_count(); }
  int input_count() const override { return chain_.channel_count(); }
  std::string describe() const override;

  sim::SimChain& chain() { return chain_; }
  // Frames the last transfer ran through the chain before it finished or stopped.
  std::size_t last_transfer_frames() const { return last_transfer_frames_; }
  const sim::SimChain& chain() const { return chain_; }

  static constexpr std::size_t kBlockFrames = 4096;

 protected:
  Capture transfer(const AudioBuffer& stimulus, double clip_threshold_fs) override;
  // Offline, silence takes no time: the port's clock alone advances.
  void idle(double) override {}

 private:
  sim::SimChain chain_;
  std::size_t last_transfer_frames_ = 0;
};

}  // namespace ampbench::audio
