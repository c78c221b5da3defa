// dsp/multitone: the design's bins and crest factor, and the analysis against a signal
// built here sample by sample with std::sin (not the design's inverse FFT): known gains and
// phases per tone, a harmonic of known level, white noise of known variance.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <set>
#include <vector>

#include "common/error.hpp"
#include "dsp/multitone.hpp"
#include "dsp/multitone_search.hpp"
#include "dsp/units.hpp"

using namespace ampbench::dsp;

namespace {

MultitoneRequest stereo_request() {
  MultitoneRequest r;
  r.sample_rate_hz = 96000.0;
  r.period_frames = 32768;
  r.tones_per_channel = 31;
  r.channels = 2;
  return r;
}

}  // namespace

TEST(Multitone, DesignPutsEachChannelsTonesOnItsOwnOddBinsOffLowHarmonics) {
  const auto d = design_multitone(stereo_request());
  ASSERT_EQ(d.bins.size(), 2u);
  std::set<std::size_t> all;
  for (const auto& bins : d.bins) {
    EXPECT_EQ(bins.size(), 31u);
    for (std::size_t b : bins) {
      EXPECT_EQ(b % 2, 1u) << b;
      EXPECT_TRUE(all.insert(b).second) << "bin " << b << " is used twice";
    }
  }
  for (std::size_t a : all)
    for (std::size_t h : {3u, 5u}) EXPECT_EQ(all.count(h * a), 0u) << h << " x bin " << a;
  for (std::size_t c = 0; c < 2; ++c) {
    EXPECT_GE(d.frequency_hz(c, 0), 20.0 - d.bin_hz());
    EXPECT_LE(d.frequency_hz(c, 30), 20000.0);
    // Interleaved: between two tones of one channel lies a tone of the other.
    EXPECT_LT(d.bins[0][c], d.bins[1][c]);
    EXPECT_NEAR(std::log(d.frequency_hz(c, d.reference[c]) / 1000.0), 0.0, 0.12);
    // A low crest factor: Newman's phases give 3.9 for these sparse tones, random ones 3.5.
    EXPECT_LT(d.crest_factor[c], 3.4) << c;
    const auto x = multitone_period(d, c, 0.1);
    double ms = 0.0;
    for (double v : x) ms += v * v;
    EXPECT_NEAR(std::sqrt(ms / double(x.size())), 0.1, 1e-12);
    // The crest factor is the waveform's (between samples too, as a DAC puts it out): the
    // design's formula, unit tones A·sin(2π·b·t/N + φ), evaluated 32 times per sample.
    const double n = static_cast<double>(d.period_frames);
    const double unit_rms = std::sqrt(static_cast<double>(d.bins[c].size()) / 2.0);
    double peak = 0.0;
    for (std::size_t i = 0; i < d.period_frames * 32; ++i) {
      const double t = static_cast<double>(i) / 32.0;
      double v = 0.0;
      for (std::size_t k = 0; k < d.bins[c].size(); ++k)
        v += std::sin(2.0 * M_PI * static_cast<double>(d.bins[c][k]) * t / n + d.phases_rad[c][k]);
      peak = std::max(peak, std::abs(v));
    }
    EXPECT_NEAR(peak / unit_rms / d.crest_factor[c], 1.0, 1e-3) << c;
  }
  EXPECT_THROW(design_multitone({96000.0, 1024, 20.0, 20000.0, 400, 2, 1000.0}),
               std::invalid_argument);
  // 3 per octave over the 9.97 octaves from 20 Hz to 20 kHz: 30 steps, 31 tones.
  EXPECT_EQ(tones_for_octaves(3.0, 20.0, 20000.0), 31);
  EXPECT_EQ(tones_for_octaves(1.0, 100.0, 800.0), 4);
}

TEST(Multitone, AnalysisRecoversGainsPhasesDistortionAndNoise) {
  const auto d = design_multitone(stereo_request());
  const std::size_t n = d.period_frames, periods = 2;
  const double amplitude = 0.05;  // each tone's peak
  const double harmonic = 1e-4;   // 2nd harmonic of channel 0's reference tone
  const double sigma = 1e-6;      // white noise
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, sigma);
  std::vector<double> y(n * periods);
  // Channel 0's tones with a gain falling 0.1 dB per tone and a phase of −2° per tone;
  // channel 1's at −80 dB (crosstalk).
  const auto gain = [](std::size_t k) { return std::pow(10.0, -0.1 * double(k) / 20.0); };
  const auto shift = [](std::size_t k) { return -2.0 * double(k) * std::numbers::pi / 180.0; };
  const double two_pi = 2.0 * std::numbers::pi;
  const std::size_t ref_bin = d.bins[0][d.reference[0]];
  for (std::size_t i = 0; i < y.size(); ++i) {
    const double t = double(i % n) / double(n);
    double v = noise(rng);
    for (std::size_t k = 0; k < d.bins[0].size(); ++k)
      v += amplitude * gain(k) *
           std::sin(two_pi * double(d.bins[0][k]) * t + d.phases_rad[0][k] + shift(k));
    for (std::size_t k = 0; k < d.bins[1].size(); ++k)
      v += amplitude * 1e-4 * std::sin(two_pi * double(d.bins[1][k]) * t + d.phases_rad[1][k]);
    v += harmonic * std::sin(two_pi * double(2 * ref_bin) * t);
    y[i] = v;
  }
  const auto s = analyse_multitone(y, d);
  for (std::size_t k = 0; k < d.bins[0].size(); ++k) {
    const auto expected = std::polar(amplitude * gain(k), d.phases_rad[0][k] + shift(k));
    EXPECT_LT(std::abs(s.tones[0][k] - expected) / std::abs(expected), 1e-3) << k;  // 0.01 dB
  }
  for (std::size_t k = 0; k < d.bins[1].size(); ++k)
    EXPECT_NEAR(20.0 * std::log10(std::abs(s.tones[1][k]) / amplitude), -80.0, 0.05) << k;

  const auto r = multitone_residual(s, d, 20.0, 20000.0, periods);
  const double bin_hz = d.bin_hz();
  const auto band_bins = std::floor(20000.0 / bin_hz) - std::ceil(20.0 / bin_hz) + 1.0;
  // Noise: σ² spread evenly over N/2 bins, of which band_bins are in the band.
  const double noise_in_band = sigma * sigma * band_bins / double(n / 2);
  EXPECT_NEAR(10.0 * std::log10(r.noise_ms / noise_in_band), 0.0, 0.5);
  // The residual: the harmonic, and the noise outside the tones' bins ±1 (of 62 tones).
  const double residual =
      harmonic * harmonic / 2.0 + noise_in_band * (band_bins - 62.0 * 3.0) / band_bins;
  EXPECT_NEAR(10.0 * std::log10(r.residual_ms / residual), 0.0, 0.1);
  double tones_ms = harmonic * harmonic / 2.0 + noise_in_band;
  for (std::size_t k = 0; k < d.bins[0].size(); ++k)
    tones_ms += std::pow(amplitude * gain(k), 2) / 2.0;
  for (std::size_t k = 0; k < d.bins[1].size(); ++k)
    tones_ms += std::pow(amplitude * 1e-4, 2) / 2.0;
  EXPECT_NEAR(10.0 * std::log10(r.total_ms / tones_ms), 0.0, 0.01);
}

// analyze --multitone without --design: the period and every channel's tones found in the
// outputs alone — each output its own set and the other's at −70 dB (crosstalk), through a
// closed-form one-pole low-pass at 10 kHz, with noise and a settling transient in front.
TEST(Multitone, FoundFromTheCaptureAloneWithItsSteadyPeriods) {
  const auto d = design_multitone(stereo_request());
  const std::size_t n = d.period_frames, periods = 3;
  const double two_pi = 2.0 * std::numbers::pi, fs = d.sample_rate_hz;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 1e-6);
  const auto low_pass = [&](double f) { return std::complex<double>(1.0, f / 10000.0); };
  std::vector<std::vector<double>> out(2, std::vector<double>(n * periods));
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t i = 0; i < n * periods; ++i) {
      const double t = double(i % n) / double(n);
      double v = noise(rng);
      for (std::size_t set = 0; set < 2; ++set)
        for (std::size_t k = 0; k < d.bins[set].size(); ++k) {
          const auto h = 1.0 / low_pass(d.frequency_hz(set, k));
          v += (set == c ? 0.05 : 0.05 * 3.16e-4) * std::abs(h) *
               std::sin(two_pi * double(d.bins[set][k]) * t + d.phases_rad[set][k] + std::arg(h));
        }
      // A coupling capacitor's settling in the first period only: 0.01 FS decaying in 20 ms.
      if (i < n) v += 0.01 * std::exp(-double(i) / (0.02 * fs));
      out[c][i] = v;
    }
  const auto found = find_multitone({out[0], out[1]}, fs);
  EXPECT_EQ(found.period_frames, n);
  EXPECT_EQ(found.bins, d.bins);
  EXPECT_EQ(found.reference, d.reference);
  EXPECT_EQ(steady_periods(out[0], n), 2u);  // the first period is settling
  const auto s = analyse_multitone(std::span(out[0]).subspan(n), found);
  const std::size_t ref = d.reference[0];
  for (std::size_t k = 0; k < d.bins[0].size(); ++k) {
    const double expected_db = 20.0 * std::log10(std::abs(low_pass(d.frequency_hz(0, ref))) /
                                                 std::abs(low_pass(d.frequency_hz(0, k))));
    EXPECT_NEAR(20.0 * std::log10(std::abs(s.tones[0][k]) / std::abs(s.tones[0][ref])), expected_db,
                0.001)
        << k;
  }
  // Noise, a sine and a few tones between bins are no designed multitone.
  std::vector<double> other(n * 2);
  for (double& v : other) v = noise(rng);
  EXPECT_THROW(find_multitone({other}, fs), ampbench::MeasurementError);
  for (std::size_t i = 0; i < other.size(); ++i)
    other[i] = 0.5 * std::sin(two_pi * 997.0 * double(i) / fs) +
               0.1 * std::sin(two_pi * 3001.0 * double(i) / fs) +
               0.1 * std::sin(two_pi * 7919.0 * double(i) / fs);
  EXPECT_THROW(find_multitone({other}, fs), ampbench::MeasurementError);
}
