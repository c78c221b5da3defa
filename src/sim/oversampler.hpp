// sim: a memoryless or stateful nonlinearity run at L times the sample rate (L·fs ≥ 768 kHz),
// so its harmonics up to L·fs − fs/2 are removed instead of folding back into the band: a
// 20 kHz tone's products fold into 20 kHz only from its 37th harmonic on (96 kHz). Between
// them a linear-phase Kaiser low-pass (100 dB, flat to 20.4 kHz or 0.4·fs) interpolates and
// decimates; the two delay the signal by delay_samples() at the base rate, which the chain's
// DAC delay line makes up (as for a network FIR).
#pragma once

#include <span>
#include <vector>

namespace ampbench::sim {

class Oversampler {
 public:
  explicit Oversampler(double sample_rate_hz = 48000.0);
  static int delay_samples(double sample_rate_hz);
  int factor() const { return factor_; }

  // `nonlinearity(v)` is called L times per sample, in order, at the high rate.
  template <typename F>
  void process(std::span<double> block, F&& nonlinearity) {
    upsample(block);
    for (std::size_t i = history_high_; i < high_.size(); ++i) high_[i] = nonlinearity(high_[i]);
    downsample(block);
  }
  void reset();

 private:
  void upsample(std::span<const double> block);
  void downsample(std::span<double> block);

  int factor_ = 1;
  std::vector<double> taps_;                 // the low-pass at the high rate, odd length
  std::vector<std::vector<double>> phases_;  // interpolation: L·taps_[j + m·L] for phase j
  std::size_t history_low_ = 0;              // base-rate samples the interpolator keeps
  std::size_t history_high_ = 0;             // high-rate samples the decimator keeps
  std::vector<double> low_;                  // history then the block, at the base rate
  std::vector<double> high_;                 // history then the block, at the high rate
};

}  // namespace ampbench::sim
