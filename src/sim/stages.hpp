// The stages of the simulated chain: converters, preamp and power amp. Each keeps its own
// state and documents its model so tests can compute the truth independently; each also
// converts one sample at a time for those tests.
#pragma once

#include <complex>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "sim/biquad.hpp"
#include "sim/fir.hpp"
#include "sim/gaussian.hpp"
#include "sim/models.hpp"
#include "sim/oversampler.hpp"
#include "sim/slew.hpp"
#include "sim/stage.hpp"

namespace ampbench::sim {

// Seeded white Gaussian noise; a zero rms draws nothing (and stays bit-identical).
class NoiseSource {
 public:
  NoiseSource(double rms, std::uint64_t seed) : rms_(rms), gaussian_(seed) {}
  double next() { return rms_ > 0.0 ? rms_ * gaussian_.next() : 0.0; }

 private:
  double rms_;
  GaussianSource gaussian_;
};

// Full scale to volts at the DUT input: a 0 dBFS sine (peak 1.0) gives vrms_at_0dbfs.
// Carries the whole converter round-trip latency as a delay line.
class DacStage : public Stage {
 public:
  // lowpass_hz > 0: the interface's own roll-off, a 2nd-order Butterworth (bilinear).
  DacStage(double vrms_at_0dbfs, int latency_samples, double lowpass_hz = 0.0,
           double sample_rate_hz = 48000.0);
  double process(double sample_fs);
  void process_block(std::span<double> samples, const Block& block) override;
  void reset() override;

 private:
  double volts_per_fs_;
  Biquad lowpass_;
  std::vector<double> delay_;
  std::size_t position_ = 0;
};

// The source (open-circuit voltage, resistance R_s) meets the selected input's impedance
// Z_in: v = v_s·Z_in/(Z_in + R_s), plus the input's noise e_n and the source's thermal noise
// √(4kTR_s) (divided alike), plus hum. Then the input's gain G_in (and the RIAA curve on a
// phono input, a minimum-phase FIR), the gain control G_c, the tone shelves, G = gain_db;
// y = v + a2·v² + a3·v³; clipped to ±clip_vpeak; then a 1st-order high-pass and a
// 2nd-order low-pass (bilinear, prewarped to the corners).
class PreampStage : public Stage {
 public:
  PreampStage(const PreampModel& model, double sample_rate_hz, std::uint64_t seed,
              Fault fault = Fault::none);
  PreampStage(PreampStage&&) noexcept;
  PreampStage& operator=(PreampStage&&) noexcept;
  ~PreampStage();

  // In place: source volts in, output volts out.
  void process_block(std::span<double> v, double source_ohm);
  void process_block(std::span<double> v, const Block& block) override {
    process_block(v, block.source_ohm);
  }
  double process(double v_in, double source_ohm = 0.0);
  void reset() override;
  // Throws std::invalid_argument naming the setting and what it may be.
  void apply(const DutSettings& settings);
  const DutSettings& settings() const { return settings_; }
  const PreampModel& model() const { return model_; }
  const PreampInputModel& input() const;  // the selected one
  double input_impedance_ohm() const;     // +inf without inputs
  // The selected input's impedance at this frequency (+inf without inputs).
  std::complex<double> input_impedance(double frequency_hz) const;
  // Samples of delay a reactive input's network FIR adds (0 when no input is reactive;
  // otherwise every input is delayed alike, so switching inputs keeps the timing).
  static int lead_samples(const PreampModel& model);
  double phantom_v() const;  // on the selected input's pins
  // The linear part's response at this frequency, from the source's open-circuit voltage.
  std::complex<double> linear_response(double frequency_hz, double source_ohm = 0.0) const;

 private:
  struct Filters;
  void configure();
  void apply_input_network(std::span<double> block, double source_ohm);
  PreampModel model_;
  double sample_rate_hz_;
  Fault fault_;
  DutSettings settings_;
  GaussianSource noise_;
  std::unique_ptr<Filters> filters_;
  std::uint64_t sample_index_ = 0;
  bool networked_ = false;  // some input is reactive: every input goes through a network FIR
};

// An amplifier of gain G driving the load through Z_out. Its internal voltage e = G·v passes
// the crossover (crossover.hpp), then the slew limit (slew.hpp), then is hard-limited to
// ±E_max with E_max = min(rail·(R_L+Z)/(R_L+Z+R_s), I_max·(R_L+Z)): the rail
// sags by the peak current through the supply's source resistance, and the peak current
// cannot exceed the limit. The load sees e·R_L/(R_L+Z).
// With a reactive output network or a loudspeaker among the loads, the load sees
// e·output_transfer(network, Z_L) instead (impedance.hpp), through a network FIR that
// delays by kNetworkLeadTaps; R_L for the clip level is then the load's resistance (a
// loudspeaker's Re).
class PowerAmpStage : public Stage {
 public:
  explicit PowerAmpStage(const PowerAmpModel& model, double sample_rate_hz = 48000.0,
                         std::optional<LoudspeakerModel> loudspeaker = std::nullopt);
  void prepare(double sample_rate_hz) override;
  void set_load_ohm(double load_ohm);
  // One sample through the resistive model at the sample rate, as its equations define it
  // (no network FIR, no oversampling: what tests compare with).
  double process(double v_in);
  // What the chain plays: the nonlinear part oversampled (oversampler.hpp), then the
  // divider or the network FIR.
  void process_block(std::span<double> v, const Block& block) override;
  void reset() override;
  const PowerAmpModel& model() const { return model_; }
  // Peak voltage across the load at which clipping starts.
  double clip_peak_v(double load_ohm) const;
  // Samples of delay the output network's FIR adds (0 without one).
  static int lead_samples(const PowerAmpModel& model,
                          const std::optional<LoudspeakerModel>& loudspeaker,
                          double sample_rate_hz);

 private:
  bool networked() const { return model_.network().reactive() || loudspeaker_; }
  bool connects_loudspeaker(double load_ohm) const;
  // e: gain, crossover, slew limit, clip (before the divider or network).
  double internal_volts(double v_in, SlewLimiter& slew) const;
  void design_network();
  PowerAmpModel model_;
  std::optional<LoudspeakerModel> loudspeaker_;
  double sample_rate_hz_;
  double gain_;
  SlewLimiter slew_;  // process(), at the sample rate
  Oversampler oversampler_;
  SlewLimiter slew_high_;  // process_block(), at the oversampled rate
  double load_ohm_;
  double e_max_ = 0.0;
  double divider_ = 1.0;
  std::optional<Fir> network_;
  double network_load_ohm_ = 0.0;                       // the load network_ was made for
  std::map<double, std::vector<double>> network_taps_;  // by load: designs are kept
};

// DUT output volts → attenuator → full scale, plus the ADC's own noise; clips at ±1.0.
class AdcStage : public Stage {
 public:
  AdcStage(double vrms_at_0dbfs, double attenuator_gain_db, double noise_dbfs, std::uint64_t seed);
  double process(double v_dut_out);
  void process_block(std::span<double> samples, const Block& block) override;

 private:
  double fs_per_volt_;
  NoiseSource noise_;
};

}  // namespace ampbench::sim
