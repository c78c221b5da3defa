// The `sim` AudioPort backend: the stimulus goes through the simulated DUT chain offline,
// as fast as the CPU allows, deterministic for a seed. Processes in blocks like a sound
// card, so input clipping stops the stimulus at the block where it happens.
#pragma once

#include <memory>

#include "audio/audio_port.hpp"
#include "sim/chain.hpp"
#include "sim/wiring.hpp"

namespace ampbench::audio {

// The simulated interface itself, between the stimulus and the chain (SPEC §15).
struct SimInterface {
  double clock_ppm = 0.0;     // the DAC's clock against the ADC's
  double resampler_hz = 0.0;  // an OS mixer's rate the playback goes through; 0: none
  // A digital loopback (S/PDIF, ADAT, a driver's own): the samples come back as 24-bit words,
  // with no converter, no chain and no noise; the faults above still apply.
  bool digital = false;
  int buffer_frames = 0;  // the stream's period (sim.buffer_frames): what a transfer waits
};

class SimPort : public AudioPort {
 public:
  // `wiring`: external instruments on the simulated bench (generator, relay box, DMM).
  SimPort(SafetyLimits safety, PortCalibration calibration, sim::SimChain chain,
          std::shared_ptr<sim::SimWiring> wiring = nullptr,
          std::vector<double> true_output_vrms_at_0dbfs = {});

  double sample_rate_hz() const override { return chain_.sample_rate_hz(); }
  int output_count() const override { return chain_.channel_count(); }
  int input_count() const override { return chain_.channel_count(); }
  std::string describe() const override;
  bool plays_in_real_time() const override { return false; }

  sim::SimChain& chain() { return chain_; }
  void set_interface(const SimInterface& interface) { interface_ = interface; }
  // Frames the last transfer ran through the chain before it finished or stopped.
  std::size_t last_transfer_frames() const { return last_transfer_frames_; }
  const sim::SimChain& chain() const { return chain_; }
  const std::shared_ptr<sim::SimWiring>& wiring() const { return wiring_; }

  static constexpr std::size_t kBlockFrames = 4096;
  // One transfer without the port's safety checks, for a port that made them (SimSlotsPort).
  Capture transfer_checked(const AudioBuffer& stimulus, double clip_threshold_fs) {
    return transfer(stimulus, clip_threshold_fs);
  }

 protected:
  Capture transfer(const AudioBuffer& stimulus, double clip_threshold_fs) override;
  void follow_wiring(const AudioBuffer& stimulus);
  // Offline, silence takes no time: the port's clock alone advances.
  void idle(double) override {}
  double period_wait_s() const override {
    return 0.5 * interface_.buffer_frames / chain_.sample_rate_hz();
  }

 private:
  sim::SimChain chain_;
  std::shared_ptr<sim::SimWiring> wiring_;
  std::vector<double> true_output_vrms_at_0dbfs_;  // per port channel; empty: as claimed
  SimInterface interface_;
  std::size_t last_transfer_frames_ = 0;
};

}  // namespace ampbench::audio
