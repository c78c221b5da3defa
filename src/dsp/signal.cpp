#include "dsp/signal.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <random>

namespace ampbench::dsp {

double coherent_frequency_hz(double frequency_hz, double sample_rate_hz, std::size_t block_frames) {
  const double n = static_cast<double>(block_frames);
  return std::round(frequency_hz * n / sample_rate_hz) * sample_rate_hz / n;
}

std::vector<double> generate_tones(std::span<const Tone> tones, double sample_rate_hz,
                                   std::size_t frames) {
  // A rotating phasor, re-seeded from exact sin/cos every block: per-sample sin() cost most
  // of a simulated run, and 1024 rotations drift by about 1e-13 (-260 dB).
  constexpr std::size_t kBlock = 1024;
  std::vector<double> out(frames, 0.0);
  for (const Tone& tone : tones) {
    const double cycles_per_sample = tone.frequency_hz / sample_rate_hz;
    const std::complex<double> step = std::polar(1.0, 2.0 * std::numbers::pi * cycles_per_sample);
    for (std::size_t start = 0; start < frames; start += kBlock) {
      // Reducing to the fractional cycle keeps the argument small and exact.
      const double cycles = cycles_per_sample * static_cast<double>(start);
      std::complex<double> z =
          std::polar(tone.amplitude_peak_fs,
                     2.0 * std::numbers::pi * (cycles - std::floor(cycles)) + tone.phase_rad);
      const std::size_t end = std::min(frames, start + kBlock);
      double re = z.real(), im = z.imag();
      const double c = step.real(), d = step.imag();
      for (std::size_t i = start; i < end; ++i) {
        out[i] += im;
        // By hand: std::complex's operator* checks for NaN/inf through __muldc3.
        const double next_re = re * c - im * d;
        im = re * d + im * c;
        re = next_re;
      }
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

double ac_rms(std::span<const double> block) {
  if (block.empty()) return 0.0;
  const auto n = static_cast<double>(block.size());
  double mean = 0.0, square = 0.0;
  for (double x : block) mean += x / n;
  for (double x : block) square += (x - mean) * (x - mean) / n;
  return std::sqrt(square);
}

void fade_in(std::vector<double>& signal, std::size_t frames) {
  frames = std::min(frames, signal.size());
  for (std::size_t i = 0; i < frames; ++i)
    signal[i] *= 0.5 - 0.5 * std::cos(std::numbers::pi * double(i) / double(frames));
}

}  // namespace ampbench::dsp
