// dsp: where each definition stops holding — a harmonic on the band's edge, noise under the
// excluded lobes of short captures, IMD captures too short to resolve their products, and
// signals with no tone at all — against closed forms. Tolerances are stated in dB.
#include <fftw3.h>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "common/error.hpp"
#include "dsp/dsp.hpp"

using namespace ampbench;
using namespace ampbench::dsp;

namespace {

// IEC 61672-1's A-weighting as a power gain, from its closed form (not the analyser's).
double a_weighting_power(double f) {
  const double f2 = f * f;
  const double ra = (12194.0 * 12194.0 * f2 * f2) /
                    ((f2 + 20.6 * 20.6) * std::sqrt((f2 + 107.7 * 107.7) * (f2 + 737.9 * 737.9)) *
                     (f2 + 12194.0 * 12194.0));
  const double a_1khz_db = 2.0;  // RA(1 kHz) is −2.00 dB: the A curve adds it back
  return ra * ra * std::pow(10.0, a_1khz_db / 10.0);
}

// White noise made of sines on the capture's own bin grid, one per bin up to half the sample
// rate, each with a complex-Gaussian amplitude (synthesised by FFTW's unnormalised inverse real
// DFT: a bin of magnitude a/2 is a sine of amplitude a): its power between 20 Hz and 20 kHz is
// exactly the sum of those sines' mean squares, and its A-weighted power the same sum with each
// sine's weighting.
struct GridNoise {
  std::vector<double> samples;
  double in_band_mean_square = 0.0;
  double a_weighted_mean_square = 0.0;
};

// Above `from_hz` only, where given (the bins below it empty): noise shaped out of the band.
GridNoise grid_noise(double fs, std::size_t n, double rms, std::mt19937& rng,
                     double from_hz = 0.0) {
  GridNoise noise;
  const double bin_hz = fs / static_cast<double>(n);
  const std::size_t bins = n / 2;
  const double per_bin = rms * rms / static_cast<double>(bins - 1);
  std::normal_distribution<double> gauss(0.0, 1.0);
  auto* spectrum = fftw_alloc_complex(bins + 1);
  noise.samples.assign(n, 0.0);
  for (std::size_t k = 0; k <= bins; ++k) spectrum[k][0] = spectrum[k][1] = 0.0;
  for (std::size_t k = 1; k < bins; ++k) {
    const double re = gauss(rng), im = gauss(rng);
    if (static_cast<double>(k) * bin_hz < from_hz) continue;
    const double ms = per_bin * 0.5 * (re * re + im * im);  // the sine's mean square
    const double scale = std::sqrt(2.0 * ms) / 2.0 / std::sqrt(re * re + im * im);
    spectrum[k][0] = re * scale;
    spectrum[k][1] = im * scale;
    const double f = static_cast<double>(k) * bin_hz;
    if (f >= 20.0 && f <= 20000.0) {
      noise.in_band_mean_square += ms;
      noise.a_weighted_mean_square += ms * a_weighting_power(f);
    }
  }
  fftw_plan plan =
      fftw_plan_dft_c2r_1d(static_cast<int>(n), spectrum, noise.samples.data(), FFTW_ESTIMATE);
  fftw_execute(plan);
  fftw_destroy_plan(plan);
  fftw_free(spectrum);
  return noise;
}

}  // namespace

// A harmonic whose centre lies on the band's high edge counts whole in THD and THD+N alike:
// 10 kHz with H2 at −60 dBc on a 20 kHz edge reads THD 0.100 % and THD+N no lower.
TEST(BandEdge, AHarmonicOnTheEdgeCountsWholeInThdAndThdn) {
  for (const double fs : {48000.0, 96000.0}) {
    const std::size_t n = static_cast<std::size_t>(fs);
    const auto x = generate_tones(
        std::vector<Tone>{{10000.0, 0.5, 0.2}, {20000.0, 0.5 * db_to_amplitude_ratio(-60.0), 1.1}},
        fs, n);
    ToneAnalysisOptions o;
    o.band = {20.0, 20000.0};
    const auto a = analyze_tone(x, fs, o);
    ASSERT_EQ(a.harmonics.size(), 1u) << fs;
    EXPECT_NEAR(a.thd_db(), -60.0, 0.001) << fs;
    EXPECT_GE(a.thdn_ratio, a.thd_r_ratio) << fs;  // THD+N and THD_R share a reference
    EXPECT_NEAR(a.thdn_db(), -60.0, 0.01) << fs;   // no noise: THD+N is the harmonic alone
    EXPECT_NEAR(a.sinad_db, 60.0, 0.01) << fs;
  }
  // Just above the edge it counts in neither: no harmonic in band, and THD+N holds only what
  // of its lobe reaches into the band.
  const double fs = 96000.0;
  const auto x = generate_tones(
      std::vector<Tone>{{10100.0, 0.5, 0.2}, {20200.0, 0.5 * db_to_amplitude_ratio(-60.0), 1.1}},
      fs, 96000);
  ToneAnalysisOptions o;
  o.band = {20.0, 20000.0};
  const auto a = analyze_tone(x, fs, o);
  EXPECT_TRUE(a.harmonics.empty());
  EXPECT_FALSE(a.no_harmonic.empty());
  EXPECT_LT(a.thdn_db(), -100.0);
}

// SNR of a tone in white noise is unbiased on short captures: the noise under the tone's and
// harmonics' lobes is estimated from the density around them. Mean error over 32 draws of the
// noise, against the closed form of each draw.
TEST(ShortCaptures, SnrIsUnbiasedOverNoiseDraws) {
  struct Case {
    double fs;
    double seconds;
    Weighting weighting;
  };
  for (const Case c : {Case{48000.0, 0.1, Weighting::none}, Case{96000.0, 0.25, Weighting::none},
                       Case{48000.0, 0.25, Weighting::a}, Case{96000.0, 0.1, Weighting::a}}) {
    std::mt19937 rng(2026);
    const auto n = static_cast<std::size_t>(c.fs * c.seconds);
    double sum_error_db = 0.0, sum_sinad_error_db = 0.0;
    constexpr int kDraws = 32;
    for (int draw = 0; draw < kDraws; ++draw) {
      auto noise = grid_noise(c.fs, n, db_to_amplitude_ratio(-70.0), rng);
      auto x = generate_tones(
          std::vector<Tone>{{997.0, db_to_amplitude_ratio(-6.0) * std::sqrt(2.0), 0.4}}, c.fs, n);
      for (std::size_t i = 0; i < n; ++i) x[i] += noise.samples[i];
      ToneAnalysisOptions o;
      o.band = {20.0, 20000.0};
      o.weighting = c.weighting;
      const auto a = analyze_tone(x, c.fs, o);
      const double tone_ms = db_to_power_ratio(-6.0);
      const double noise_ms =
          c.weighting == Weighting::a ? noise.a_weighted_mean_square : noise.in_band_mean_square;
      const double truth_db = power_ratio_to_db(tone_ms / noise_ms);
      sum_error_db += a.snr_db - truth_db;
      sum_sinad_error_db += a.sinad_db - truth_db;
    }
    EXPECT_NEAR(sum_error_db / kDraws, 0.0, 0.02) << c.fs << " Hz, " << c.seconds << " s";
    // SINAD counts the same noise (there is no distortion here).
    EXPECT_NEAR(sum_sinad_error_db / kDraws, 0.0, 0.02) << c.fs << " Hz, " << c.seconds << " s";
  }
}

// SMPTE IMD from its closed form: sidebands at f2 ± f1 of 0.5 % of the upper tone each give
// d2 = 1 %. A capture that cannot keep the products 60 Hz apart is refused with the length it
// needs (0.25 s with the 7-term Blackman-Harris window); one that can reads the truth.
TEST(ShortCaptures, SmpteImdRefusesWhatItCannotResolveAndReadsTheTruthOtherwise) {
  const double fs = 48000.0;
  const auto signal = ImdSignal::smpte();
  const auto two_tone = [&](double seconds) {
    const auto n = static_cast<std::size_t>(seconds * fs);
    const double a2 = 0.15, a1 = 4.0 * a2;
    return generate_tones(std::vector<Tone>{{60.0, a1, 0.0},
                                            {7000.0, a2, 0.3},
                                            {6940.0, 0.005 * a2, 1.0},
                                            {7060.0, 0.005 * a2, 2.0}},
                          fs, n);
  };
  for (const double seconds : {0.1, 0.17}) {
    try {
      analyze_imd(two_tone(seconds), fs, signal);
      ADD_FAILURE() << seconds << " s was not refused";
    } catch (const MeasurementError& e) {
      EXPECT_NE(std::string(e.what()).find("it needs 0.25 s"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(frames_resolving_imd(signal, fs), 12000u);
  for (const double seconds : {0.25, 1.0}) {
    const auto r = analyze_imd(two_tone(seconds), fs, signal);
    EXPECT_NEAR(r.imd_db(), -40.0, 0.01) << seconds;
  }
}

// Noise holds no test tones, so it has no IMD and no THD: refused, with or without a
// fundamental to look at.
TEST(NoTone, NoiseHasNeitherImdNorATone) {
  const double fs = 48000.0;
  std::mt19937 rng(7);
  std::normal_distribution<double> gauss(0.0, 0.1);
  std::vector<double> noise(48000);
  for (auto& v : noise) v = gauss(rng);
  for (const auto& signal : {ImdSignal::smpte(), ImdSignal::ccif()})
    EXPECT_THROW(analyze_imd(noise, fs, signal), MeasurementError);
  EXPECT_THROW(analyze_tone(noise, fs), MeasurementError);
  ToneAnalysisOptions at_1k;
  at_1k.fundamental_hz = 1000.0;
  const auto a = analyze_tone(noise, fs, at_1k);
  EXPECT_FALSE(a.tone_present());  // the step's figures say "no tone"; analyze refuses
}

// A searched fundamental is the tone meant: a stronger tone outside the band (a 22 kHz pilot
// over a −60 dBFS 1 kHz tone; a 23.99 kHz tone whose in-band content is its own rounding
// spurs, 170 dB down) is an error naming it, where naming the fundamental or widening the
// band measures it; noise above the band (30 to 48 kHz at 96 kHz, its largest bins 16 dB over
// the −90 dBFS tone's) is no tone and changes nothing; DC alone is said to be DC.
TEST(NoTone, AStrongerToneOutsideTheBandIsNamedNotAnInBandSpur) {
  const double fs = 48000.0;
  const std::size_t n = 48000;
  std::vector<double> x(n), spur_only(n), dc(n, 0.5);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / fs;
    x[i] = 0.001 * std::sin(2 * std::numbers::pi * 1000.0 * t) +
           0.1 * std::sin(2 * std::numbers::pi * 22000.0 * t);
    spur_only[i] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 23990.0 * t));
  }
  ToneAnalysisOptions band_20k;
  band_20k.band = {20.0, 20000.0};
  for (const auto* signal : {&x, &spur_only}) {
    try {
      analyze_tone(*signal, fs, band_20k);
      ADD_FAILURE() << "a tone outside the band went unnamed";
    } catch (const MeasurementError& e) {
      EXPECT_NE(std::string(e.what()).find("lies outside the measurement band"), std::string::npos)
          << e.what();
    }
  }
  ToneAnalysisOptions named = band_20k;
  named.fundamental_hz = 1000.0;
  EXPECT_NEAR(analyze_tone(x, fs, named).level_dbfs, -60.0, 0.01);
  ToneAnalysisOptions wide;
  wide.band = FrequencyBand::full();
  const auto full = analyze_tone(x, fs, wide);
  EXPECT_NEAR(full.frequency_hz, 22000.0, 0.01);
  EXPECT_NEAR(full.level_dbfs, -20.0, 0.01);
  std::mt19937 rng(3);
  auto shaped = grid_noise(2.0 * fs, 2 * n, 0.01, rng, 30000.0).samples;
  for (std::size_t i = 0; i < shaped.size(); ++i)
    shaped[i] += std::pow(10.0, -90.0 / 20.0) *
                 std::sin(2 * std::numbers::pi * 1000.0 * static_cast<double>(i) / (2.0 * fs));
  const auto under_noise = analyze_tone(shaped, 2.0 * fs, band_20k);
  EXPECT_NEAR(under_noise.frequency_hz, 1000.0, 0.01);
  EXPECT_NEAR(under_noise.level_dbfs, -90.0, 0.001);
  try {
    analyze_tone(dc, fs, band_20k);
    ADD_FAILURE() << "DC read as a tone";
  } catch (const MeasurementError& e) {
    EXPECT_NE(std::string(e.what()).find("only DC (0.5 FS)"), std::string::npos) << e.what();
  }
}
