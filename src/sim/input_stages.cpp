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

double Hum::volts_at(double t_s) const {
  const double w = 2.0 * std::numbers::pi * frequency_hz * t_s;
  double v = std::sin(w);
  for (std::size_t k = 0; k < harmonics_db.size(); ++k)
    v += std::pow(10.0, harmonics_db[k] / 20.0) * std::sin(static_cast<double>(k + 2) * w);
  return vrms * std::numbers::sqrt2 * v;
}

void HumStage::process_block(std::span<double> volts, const Block& block) {
  for (std::size_t i = 0; i < volts.size(); ++i)
    volts[i] += hum_.volts_at(static_cast<double>(block.first_sample + i) / sample_rate_hz_);
}

void DcOffsetStage::process_block(std::span<double> volts, const Block&) {
  for (double& v : volts) v += volts_;
}

void MuteStage::process_block(std::span<double> volts, const Block&) {
  std::fill(volts.begin(), volts.end(), 0.0);
}

}  // namespace ampbench::sim
