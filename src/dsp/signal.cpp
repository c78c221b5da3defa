#include "dsp/signal.hpp"

#include <cmath>
#include <numbers>
#include <random>

namespace ampbench::dsp {

double coherent_frequency_hz(double frequency_hz, double sample_rate_hz, std::size_t block_frames) {
  const double n = static_cast<double>(block_frames);
  return std::round(frequency_hz * n / sample_rate_hz) * sample_rate_hz / n;
}

std::vector<double> generate_tones(std::span<const Tone> tones, double sample_rate_hz,
                                   std::size_t frames) {
  std::vector<double> out(frames, 0.0);
  for (const Tone& tone : tones) {
    const double cycles_per_sample = tone.frequency_hz / sample_rate_hz;
    for (std::size_t i = 0; i < frames; ++i) {
      // Reducing to the fractional cycle keeps sin()'s argument small and exact.
      const double cycles = cycles_per_sample * static_cast<double>(i);
      const double frac = cycles - std::floor(cycles);
      out[i] += tone.amplitude_peak_fs * std::sin(2.0 * std::numbers::pi * frac + tone.phase_rad);
    }
  }
  return out;
}

std::vector<double> generate_sine(double frequency_hz, double amplitude_peak_fs,
                                  double sample_rate_hz, std::size_t frames, double phase_rad) {
  const Tone tone{frequency_hz, amplitude_peak_fs, phase_rad};
  return generate_tones(std::span(&tone, 1), sample_rate_hz, frames);
}

std::vector<double> generate_white_noise(double rms_fs, std::uint64_t seed, std::size_t frames) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<double> normal(0.0, rms_fs);
  std::vector<double> out(frames);
  for (double& v : out) v = normal(engine);
  return out;
}

}  // namespace ampbench::dsp
