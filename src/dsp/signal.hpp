// Test-signal generation in full-scale units (peak 1.0 = 0 dBFS sine).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace ampbench::dsp {

struct Tone {
  double frequency_hz = 1000.0;
  double amplitude_peak_fs = 1.0;
  double phase_rad = 0.0;
};

// The nearest frequency with a whole number of cycles in `block_frames`: f = round(f·N/fs)·fs/N.
double coherent_frequency_hz(double frequency_hz, double sample_rate_hz, std::size_t block_frames);

// Sum of sines, each A·sin(2π·f·n/fs + φ): a phasor rotated per sample and re-seeded from
// the exact phase every 1024 samples (drift below -260 dB).
std::vector<double> generate_tones(std::span<const Tone> tones, double sample_rate_hz,
                                   std::size_t frames);
std::vector<double> generate_sine(double frequency_hz, double amplitude_peak_fs,
                                  double sample_rate_hz, std::size_t frames,
                                  double phase_rad = 0.0);
// A raised-cosine fade-in over the first `frames` samples (at most the signal's length).
void fade_in(std::vector<double>& signal, std::size_t frames);
// The block's rms about its mean (its DC left out).
double ac_rms(std::span<const double> block);
// Gaussian white noise of the given rms, reproducible for a seed.
std::vector<double> generate_white_noise(double rms_fs, std::uint64_t seed, std::size_t frames);

}  // namespace ampbench::dsp
