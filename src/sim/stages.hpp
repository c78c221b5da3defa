// The stages of the simulated chain. Each converts one sample at a time, keeps its own
// state, and documents its model so tests can compute the truth independently.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/biquad.hpp"
#include "sim/gaussian.hpp"
#include "sim/models.hpp"

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
class DacStage {
 public:
  // lowpass_hz > 0: the interface's own roll-off, a 2nd-order Butterworth (bilinear).
  DacStage(double vrms_at_0dbfs, int latency_samples, double lowpass_hz = 0.0,
           double sample_rate_hz = 48000.0);
  double process(double sample_fs);
  void reset();

 private:
  double volts_per_fs_;
  Biquad lowpass_;
  std::vector<double> delay_;
  std::size_t position_ = 0;
};

// v = G·(input + noise + hum); y = v + a2·v² + a3·v³; clipped to ±clip_vpeak; then a
// 1st-order high-pass and a 2nd-order low-pass (bilinear, prewarped to the corners).
class PreampStage {
 public:
  PreampStage(const PreampModel& model, double sample_rate_hz, std::uint64_t seed);
  double process(double v_in);
  void reset();
  const PreampModel& model() const { return model_; }
  // The linear part's response: G·H_hp·H_lp at this frequency.
  std::complex<double> linear_response(double frequency_hz) const;

 private:
  PreampModel model_;
  double sample_rate_hz_;
  double gain_;
  NoiseSource noise_;
  Biquad highpass_, lowpass_;
  std::uint64_t sample_index_ = 0;
};

// An ideal amplifier of gain G driving the load through Z_out. Its internal voltage e is
// hard-limited to ±E_max with E_max = min(rail·(R_L+Z)/(R_L+Z+R_s), I_max·(R_L+Z)): the rail
// sags by the peak current through the supply's source resistance, and the peak current
// cannot exceed the limit. The load sees e·R_L/(R_L+Z).
class PowerAmpStage {
 public:
  explicit PowerAmpStage(const PowerAmpModel& model);
  void set_load_ohm(double load_ohm);
  double process(double v_in) const;
  const PowerAmpModel& model() const { return model_; }
  // Peak voltage across the load at which clipping starts.
  double clip_peak_v(double load_ohm) const;

 private:
  PowerAmpModel model_;
  double gain_;
  double e_max_ = 0.0;
  double divider_ = 1.0;
};

// DUT output volts → attenuator → full scale, plus the ADC's own noise; clips at ±1.0.
class AdcStage {
 public:
  AdcStage(double vrms_at_0dbfs, double attenuator_gain_db, double noise_dbfs, std::uint64_t seed);
  double process(double v_dut_out);

 private:
  double fs_per_volt_;
  NoiseSource noise_;
};

}  // namespace ampbench::sim
