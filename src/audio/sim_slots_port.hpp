// The `sim` backend of a station with slots (SPEC §11): one simulated interface whose
// channels carry several slots, each slot its own simulated DUT (its own serial number's
// faults, its own load and controls) on its own interface channels. Between slots the
// interface leaks a little: every input also hears the captures of the other slots' inputs
// at the same position within their slot, `crosstalk_db` down (docs/simulation.md).
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "audio/sim_port.hpp"

namespace ampbench::audio {

class SimSlotsPort : public AudioPort {
 public:
  struct SlotSim {
    std::unique_ptr<SimPort> port;  // the slot's DUT (none: an empty slot, silent)
    std::vector<int> outputs;       // 0-based interface outputs, in the slot's order
    std::vector<int> inputs;        // likewise inputs
  };
  SimSlotsPort(SafetyLimits safety, PortCalibration calibration, double sample_rate_hz,
               int channels, std::vector<SlotSim> slots, double crosstalk_db);

  double sample_rate_hz() const override { return sample_rate_hz_; }
  int output_count() const override { return channels_; }
  int input_count() const override { return channels_; }
  std::string describe() const override;
  bool plays_in_real_time() const override { return false; }
  // Puts another unit into slot `slot` (0-based, in the constructor's order): its DUT from
  // the next transfer on. The slot must not be taking part in transfers meanwhile.
  void set_unit(std::size_t slot, std::unique_ptr<SimPort> port);

 protected:
  Capture transfer(const AudioBuffer& stimulus, double clip_threshold_fs) override;
  void idle(double) override {}

 private:
  double sample_rate_hz_;
  int channels_;
  std::mutex mutex_;  // slots_ between a transfer and set_unit
  std::vector<SlotSim> slots_;
  double crosstalk_;
};

}  // namespace ampbench::audio
