#include "sim/input_stages.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ampbench::sim {

void GeneratorInputStage::set_output(const GeneratorOutput& output) {
  output_ = output;
  phase_ = 0.0;
}

void GeneratorInputStage::process_block(std::span<double> volts, const Block&) {
  const double two_pi = 2.0 * std::numbers::pi;
  const double step = two_pi * output_.frequency_hz / sample_rate_hz_;
  const double peak = output_.vrms * std::numbers::sqrt2;
  if (peak > 0.0)
    for (std::size_t i = 0; i < volts.size(); ++i)
      volts[i] += peak * std::sin(phase_ + step * static_cast<double>(i));
  phase_ = std::fmod(phase_ + step * static_cast<double>(volts.size()), two_pi);
}

void GainStage::process_block(std::span<double> volts, const Block&) {
  for (double& v : volts) v *= gain_;
}

void HumStage::process_block(std::span<double> volts, const Block& block) {
  const double two_pi = 2.0 * std::numbers::pi;
  for (std::size_t i = 0; i < volts.size(); ++i) {
    const double t = static_cast<double>(block.first_sample + i) / sample_rate_hz_;
    volts[i] += vrms_ * std::numbers::sqrt2 * std::sin(two_pi * frequency_hz_ * t);
  }
}

void DcOffsetStage::process_block(std::span<double> volts, const Block&) {
  for (double& v : volts) v += volts_;
}

void MuteStage::process_block(std::span<double> volts, const Block&) {
  std::fill(volts.begin(), volts.end(), 0.0);
}

}  // namespace ampbench::sim
