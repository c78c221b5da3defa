#include "sim/oversampler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ampbench::sim {
namespace {

constexpr double kHighRateHz = 768000.0;
constexpr double kStopbandDb = 100.0;
constexpr double kAudioBandHz = 20400.0;

int factor_for(double fs) {
  int factor = 1;
  while (factor * fs < kHighRateHz) factor *= 2;
  return factor;
}

// Half the transition band, centred on fs/2: flat to 0.4·fs, or to 20.4 kHz where fs/2 lies
// closer to the audio band (48 kHz: 20.4 to 27.6 kHz).
double half_transition_hz(double fs) {
  return std::clamp(fs / 2.0 - kAudioBandHz, 0.05 * fs, 0.1 * fs);
}

// Kaiser's estimate of the length for the attenuation over the transition, to the nearest
// odd 2·M + 1 whose two filters together delay by whole base-rate samples (2·M/L).
std::size_t half_length(double fs, int factor) {
  const double transition = 2.0 * half_transition_hz(fs) / (factor * fs);  // cycles per sample
  const double length = (kStopbandDb - 8.0) / (2.285 * 2.0 * std::numbers::pi * transition);
  const double step = std::max(factor / 2, 1);
  return static_cast<std::size_t>(std::max(1.0, std::round(length / 2.0 / step)) * step);
}

// Σ taps[k]·newest[−k], in four sums: independent additions pipeline (the filters are most of
// the simulator's time).
double dot_backwards(const std::vector<double>& taps, const double* newest) {
  double sum[4] = {0.0, 0.0, 0.0, 0.0};
  const std::size_t n = taps.size();
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4)
    for (std::size_t j = 0; j < 4; ++j) sum[j] += taps[k + j] * newest[-static_cast<long>(k + j)];
  for (; k < n; ++k) sum[0] += taps[k] * newest[-static_cast<long>(k)];
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

}  // namespace

int Oversampler::delay_samples(double fs) {
  const int factor = factor_for(fs);
  return factor == 1 ? 0 : static_cast<int>(2 * half_length(fs, factor)) / factor;
}

Oversampler::Oversampler(double fs) : factor_(factor_for(fs)) {
  if (factor_ == 1) return;
  const std::size_t m = half_length(fs, factor_);
  const double cutoff = 0.5 / factor_;  // fs/2 at the high rate, in cycles per sample
  const double beta = 0.1102 * (kStopbandDb - 8.7);
  const double i0_beta = std::cyl_bessel_i(0.0, beta);
  taps_.resize(2 * m + 1);
  double sum = 0.0;
  for (std::size_t k = 0; k < taps_.size(); ++k) {
    const double t = static_cast<double>(k) - static_cast<double>(m);
    const double sinc =
        t == 0.0 ? 2.0 * cutoff
                 : std::sin(2.0 * std::numbers::pi * cutoff * t) / (std::numbers::pi * t);
    const double r = t / static_cast<double>(m);
    taps_[k] = sinc * std::cyl_bessel_i(0.0, beta * std::sqrt(1.0 - r * r)) / i0_beta;
    sum += taps_[k];
  }
  for (double& h : taps_) h /= sum;  // DC passes at exactly unity
  phases_.resize(static_cast<std::size_t>(factor_));
  const auto l = static_cast<std::size_t>(factor_);
  for (std::size_t j = 0; j < l; ++j) {
    for (std::size_t k = j; k < taps_.size(); k += l) phases_[j].push_back(taps_[k] * factor_);
    history_low_ = std::max(history_low_, phases_[j].size() - 1);
  }
  history_high_ = taps_.size() - 1;
  reset();
}

void Oversampler::reset() {
  low_.assign(history_low_, 0.0);
  high_.assign(history_high_, 0.0);
}

void Oversampler::upsample(std::span<const double> block) {
  low_.resize(history_low_);
  low_.insert(low_.end(), block.begin(), block.end());
  high_.resize(history_high_ + block.size() * static_cast<std::size_t>(factor_));
  if (factor_ == 1) {
    std::copy(block.begin(), block.end(), high_.begin() + static_cast<long>(history_high_));
    return;
  }
  double* out = high_.data() + history_high_;
  for (std::size_t n = 0; n < block.size(); ++n) {
    const double* newest = low_.data() + history_low_ + n;
    for (const auto& phase : phases_) {
      double sum = 0.0;
      for (std::size_t m = 0; m < phase.size(); ++m)
        sum += phase[m] * newest[-static_cast<long>(m)];
      *out++ = sum;
    }
  }
  low_.erase(low_.begin(), low_.end() - static_cast<long>(history_low_));
}

void Oversampler::downsample(std::span<double> block) {
  if (factor_ == 1) {
    std::copy(high_.begin(), high_.end(), block.begin());
    high_.clear();
    return;
  }
  const auto l = static_cast<std::size_t>(factor_);
  for (std::size_t n = 0; n < block.size(); ++n) {
    // Base sample n sits where its zero-stuffed self did: the first of its L.
    block[n] = dot_backwards(taps_, high_.data() + history_high_ + n * l);
  }
  high_.erase(high_.begin(), high_.end() - static_cast<long>(history_high_));
}

}  // namespace ampbench::sim
