// The whole simulated bench for N channels: per channel a list of stages (stage.hpp), DAC →
// [generator] → unit gain → [hum] → [preamp] → [power amp → load] → [dead], then crosstalk
// between channels at the DUT output, then attenuator → ADC; the faults of the station (or
// of this serial number) applied.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/input_stages.hpp"
#include "sim/models.hpp"
#include "sim/stages.hpp"
#include "sim/wiring.hpp"

namespace ampbench::sim {

class SupplyRippleStage;

class SimChain {
 public:
  // loopback_reference: one more channel after the DUT's, wired from the interface's
  // output straight to its input (DAC → ADC, no DUT, no attenuator).
  SimChain(const SimConfig& config, const ConverterCalibration& calibration, double sample_rate_hz,
           int channels, const std::string& serial, bool loopback_reference = false);

  int channel_count() const { return static_cast<int>(channels_.size()); }
  double sample_rate_hz() const { return sample_rate_hz_; }
  int latency_samples() const { return latency_samples_; }
  void set_load_ohm(double load_ohm);
  // The preamp's front panel on every channel; throws std::invalid_argument (no preamp, an
  // input it lacks, a setting out of range).
  void set_dut(const DutSettings& settings);
  DutSettings dut_settings() const;
  // A resistor in series with the source (input impedance measurement, EIN termination).
  void set_series_ohm(double ohm) { series_ohm_ = ohm; }
  double source_ohm() const { return source_ohm_ + series_ohm_; }
  // The source on both legs of the preamp's balanced input (CMRR), or back to normal; throws
  // std::invalid_argument without a preamp.
  // `imbalance_ohm` in series with one leg of the source (IEC 60268-3's unbalanced source).
  void set_common_mode(bool on, double imbalance_ohm = 0.0);
  double phantom_v(int channel) const;
  // An external generator's sine on every DUT input (beside the DAC's output), from the
  // start of the next process() call; nullopt or off: none.
  void set_generator(const std::optional<GeneratorOutput>& output);
  // Ripple on the power amplifiers' supply (supply_ripple.hpp), from the start of the next
  // process() call; nullopt or off: none.
  void set_supply_ripple(const std::optional<GeneratorOutput>& ripple);
  double load_ohm() const { return load_ohm_; }
  Fault fault(int channel) const {
    return channels_.at(static_cast<std::size_t>(channel - 1)).fault;
  }
  // Channel `channel`'s stages from the DAC to the DUT output, in order (1-based): to
  // bypass one, or to see what the chain is made of.
  std::span<const std::unique_ptr<Stage>> stages(int channel) const {
    return channels_.at(static_cast<std::size_t>(channel - 1)).to_dut_output;
  }
  // Clears filter states and delay lines (the noise sequences continue).
  void reset();
  // The supply draw is averaged over frames [from, to) of the processing that follows
  // (the steady part of a transfer); until then, none.
  void watch_supply(std::size_t from_frame, std::size_t to_frame);
  // The current the power amplifiers draw from their supply over the watched frames, by the
  // model's supply class (models.hpp) into the resistive load; nullopt without a power amp
  // or before a watched frame has passed.
  std::optional<double> supply_current_a() const;
  // in[c] and out[c] hold `frames` samples in full-scale units, one per channel.
  void process(const std::vector<const double*>& in, const std::vector<double*>& out,
               std::size_t frames);

 private:
  struct Channel {
    Fault fault = Fault::none;
    bool reference = false;                             // the loopback: no DUT, no crosstalk
    std::vector<std::unique_ptr<Stage>> to_dut_output;  // DAC … DUT, in order
    AdcStage adc;
    // Stages of the list the chain's controls reach.
    GeneratorInputStage* generator = nullptr;
    PreampStage* preamp = nullptr;
    PowerAmpStage* power_amp = nullptr;
    SupplyRippleStage* supply_ripple = nullptr;
  };
  double source_mismatch() const;
  template <typename S>
  static S* append(Channel& channel, std::unique_ptr<S> stage, double sample_rate_hz);
  double sample_rate_hz_;
  int latency_samples_;
  double crosstalk_;
  double load_ohm_;
  double source_ohm_;
  double series_ohm_ = 0.0;
  bool common_mode_ = false;
  double imbalance_ohm_ = 0.0;
  std::uint64_t samples_processed_ = 0;
  std::vector<Channel> channels_;
  std::vector<std::vector<double>> dut_out_;
  struct SupplyWatch {
    std::size_t from = 0, to = 0, at = 0, frames = 0;
    std::vector<double> abs_sum, square_sum;  // of the DUT output volts, by channel
  } supply_;
};

}  // namespace ampbench::sim
