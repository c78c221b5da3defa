// dsp: tone analysis, weighting and spectra against analytic truth and the public vectors
// of docs/measurements.md. Tolerances are stated in dB.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "dsp/sweep.hpp"

using namespace ampbench;
using namespace ampbench::dsp;

namespace {

std::vector<double> tone_with_harmonics(double f, double level_dbfs, const std::vector<double>& dbc,
                                        double fs, std::size_t n) {
  std::vector<Tone> tones = {{f, db_to_amplitude_ratio(level_dbfs), 0.3}};
  for (std::size_t i = 0; i < dbc.size(); ++i) {
    tones.push_back({f * static_cast<double>(i + 2),
                     tones[0].amplitude_peak_fs * db_to_amplitude_ratio(dbc[i]),
                     0.7 * static_cast<double>(i)});
  }
  return generate_tones(tones, fs, n);
}

}  // namespace

TEST(Units, Conversions) {
  EXPECT_NEAR(dbu_to_vrms(0.0), 0.7746, 1e-4);
  EXPECT_NEAR(vrms_to_dbv(2.0), 6.0206, 1e-4);
  EXPECT_NEAR(mean_square_to_dbfs(0.5), 0.0, 1e-12);  // full-scale sine
}

TEST(Window, BlackmanHarrisCoefficientsAndCache) {
  const auto w = make_window_samples(WindowKind::blackman_harris_7, 1024);
  EXPECT_NEAR(w[0],
              0.27105140069342 - 0.43329793923448 + 0.21812299954311 - 0.06592544638803 +
                  0.01081174209837 - 0.00077658482522 + 0.00001388721735,
              1e-15);
  EXPECT_NEAR(w[512], 1.0, 1e-12);  // all terms add at the centre
  EXPECT_EQ(cached_window(WindowKind::hann, 4096).get(),
            cached_window(WindowKind::hann, 4096).get());
}

TEST(Spectrum, MatchesNaiveDft) {
  const std::size_t n = 4096;
  const double fs = 48000.0;
  auto x = generate_white_noise(0.1, 7, n);
  const auto fast = power_spectrum(x, fs, WindowKind::hann);
  const auto w = make_window_samples(WindowKind::hann, n);
  double sum_w2 = 0.0;
  for (double v : w) sum_w2 += v * v;
  for (std::size_t k : {0u, 1u, 17u, 1000u, 2047u, 2048u}) {
    std::complex<double> acc = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      acc += x[i] * w[i] *
             std::polar(1.0, -2.0 * std::numbers::pi * double(k) * double(i) / double(n));
    }
    const double scale = (k == 0 || k == n / 2) ? 1.0 : 2.0;
    EXPECT_NEAR(fast.bin_mean_square[k], std::norm(acc) * scale / (double(n) * sum_w2),
                1e-12 * (1.0 + fast.bin_mean_square[k]))
        << "bin " << k;
  }
}

TEST(Spectrum, SineSumsToHalfSquaredAmplitude) {
  const auto x = generate_sine(1234.5, 0.5, 48000.0, 16384);
  const auto s = power_spectrum(x, 48000.0);
  double sum = 0.0;
  for (double v : s.bin_mean_square) sum += v;
  EXPECT_NEAR(power_ratio_to_db(sum / 0.125), 0.0, 1e-6);
}

// MEASUREMENT.md public vector 1.
TEST(ToneAnalysis, PublicVector1) {
  const double fs = 100000.0;
  const std::vector<Tone> tones = {{1000.0, 1.0, 0.0}, {2000.0, 0.1, 0.0}};
  const auto x = generate_tones(tones, fs, 100000);
  ToneAnalysisOptions options;
  options.band = FrequencyBand::full();
  const auto a = analyze_tone(x, fs, options);
  EXPECT_NEAR(a.thd_db(), -20.00, 0.01);
  EXPECT_NEAR(a.thdn_ratio, 0.0995, 0.0005);
  EXPECT_NEAR(a.thd_r_ratio, 0.1 / std::sqrt(1.01), 1e-6);
  EXPECT_NEAR(a.frequency_hz, 1000.0, 1e-6);
}

TEST(ToneAnalysis, PureFloat64SineIsBelowMinus150Db) {
  const auto x = generate_sine(997.0, db_to_amplitude_ratio(-1.0), 48000.0, 65536);
  const auto a = analyze_tone(x, 48000.0);
  EXPECT_LE(a.thdn_db(), -150.0);
  EXPECT_NEAR(a.level_dbfs, -1.0, 0.001);
  EXPECT_NEAR(a.frequency_hz, 997.0, 0.005);
}

TEST(ToneAnalysis, ACleanSineIsAtTheFloorAndSaysSoNeverThousandsOfDb) {
  const auto x = generate_sine(1000.0, db_to_amplitude_ratio(-1.0), 48000.0, 48000);
  const auto a = analyze_tone(x, 48000.0);
  EXPECT_TRUE(a.at_floor);
  EXPECT_EQ(a.snr_db, kAnalysisFloorDb);
  EXPECT_EQ(a.sinad_db, kAnalysisFloorDb);
  EXPECT_NEAR(a.thdn_db(), -kAnalysisFloorDb, 1e-9);
}

TEST(ToneAnalysis, AHarmonicInsideTheFundamentalsLobeMakesDistortionUnmeasurable) {
  // The case: 20 Hz with H2 at −60 dBc in 16384 samples at 48 kHz (6.8 periods).
  const auto short_block = tone_with_harmonics(20.0, -3.0, {-60.0}, 48000.0, 16384);
  const auto a = analyze_tone(short_block, 48000.0, {20.0});
  EXPECT_NE(a.unresolved.find("H2 at 40 Hz"), std::string::npos) << a.unresolved;
  EXPECT_NE(a.unresolved.find("0.85 s"), std::string::npos) << a.unresolved;
  EXPECT_TRUE(std::isnan(a.thd_ratio));
  EXPECT_TRUE(std::isnan(a.thdn_ratio));
  EXPECT_NEAR(a.level_dbfs, -3.0, 0.01);  // the level still stands
  // With the length it asks for, H2 reads its −60 dBc.
  const auto n = frames_resolving_harmonics(20.0, 48000.0);
  EXPECT_EQ(n, 40800u);
  const auto b =
      analyze_tone(tone_with_harmonics(20.0, -3.0, {-60.0}, 48000.0, n), 48000.0, {20.0});
  EXPECT_TRUE(b.unresolved.empty());
  EXPECT_NEAR(b.thd_db(), -60.0, 0.05);
}

class HarmonicLevels : public ::testing::TestWithParam<double> {};

TEST_P(HarmonicLevels, KnownAmplitudesWithin5Hundredths) {
  const double f = GetParam();
  const double fs = 48000.0;
  const std::vector<double> dbc = {-60.0, -80.0, -100.0, -120.0};
  const auto x = tone_with_harmonics(f, -3.0, dbc, fs, 65536);
  const auto a = analyze_tone(x, fs);
  ASSERT_GE(a.harmonics.size(), 4u);
  for (std::size_t i = 0; i < dbc.size(); ++i) {
    EXPECT_EQ(a.harmonics[i].order, int(i) + 2);
    EXPECT_NEAR(a.harmonics[i].level_dbc, dbc[i], 0.05) << "order " << i + 2;
    EXPECT_NEAR(a.harmonics[i].frequency_hz, f * double(i + 2), 0.05);
  }
  const double thd = std::sqrt(1e-6 + 1e-8 + 1e-10 + 1e-12);
  EXPECT_NEAR(a.thd_db(), amplitude_ratio_to_db(thd), 0.01);
  EXPECT_NEAR(a.level_dbfs, -3.0, 0.005);
}

INSTANTIATE_TEST_SUITE_P(CoherentAndNot, HarmonicLevels,
                         ::testing::Values(coherent_frequency_hz(1000.0, 48000.0, 65536), 1000.3,
                                           997.0));

class LevelAcrossBand : public ::testing::TestWithParam<double> {};

TEST_P(LevelAcrossBand, MinusTwentyDbfsReadsWithinFiveThousandths) {
  const auto x = generate_sine(GetParam(), db_to_amplitude_ratio(-20.0), 48000.0, 65536, 1.1);
  const auto a = analyze_tone(x, 48000.0);
  EXPECT_NEAR(a.level_dbfs, -20.0, 0.005);
}

INSTANTIATE_TEST_SUITE_P(Frequencies, LevelAcrossBand,
                         ::testing::Values(20.0, 1000.0, 19000.0, 20.37));

class SampleRates : public ::testing::TestWithParam<double> {};

TEST_P(SampleRates, ThirdHarmonicAndLevel) {
  const double fs = GetParam();
  const auto x = tone_with_harmonics(1000.7, -6.0, {-200.0, -80.0}, fs, 16384);
  ToneAnalysisOptions options;
  options.band = FrequencyBand::full();
  const auto a = analyze_tone(x, fs, options);
  EXPECT_NEAR(a.level_dbfs, -6.0, 0.005);
  ASSERT_GE(a.harmonics.size(), 2u);
  EXPECT_NEAR(a.harmonics[1].level_dbc, -80.0, 0.05);
}

INSTANTIATE_TEST_SUITE_P(From8kTo384k, SampleRates,
                         ::testing::Values(8000.0, 44100.0, 48000.0, 96000.0, 192000.0, 384000.0));

TEST(ToneAnalysis, SinadIsComputedFromPowersAtHeavyDistortion) {
  const auto x = tone_with_harmonics(1000.0, -6.0, {amplitude_ratio_to_db(0.4)}, 48000.0, 65536);
  const auto a = analyze_tone(x, 48000.0);
  EXPECT_NEAR(a.sinad_db, amplitude_ratio_to_db(1.0 / 0.4), 0.01);                // 7.96 dB
  EXPECT_NEAR(-a.thdn_db(), amplitude_ratio_to_db(std::sqrt(1.16) / 0.4), 0.01);  // 8.60 dB
}

TEST(ToneAnalysis, SnrExcludesHarmonicsAndMeasuresNoise) {
  const double fs = 48000.0;
  const std::size_t n = 262144;
  auto x = tone_with_harmonics(1000.0, -1.0, {-40.0}, fs, n);
  const double sigma = 1e-4;
  const auto noise = generate_white_noise(sigma, 3, n);
  for (std::size_t i = 0; i < n; ++i) x[i] += noise[i];
  const auto a = analyze_tone(x, fs);
  const double signal_ms = std::pow(db_to_amplitude_ratio(-1.0), 2) / 2.0;
  const double noise_ms = sigma * sigma * 19980.0 / 24000.0;
  EXPECT_NEAR(a.snr_db, power_ratio_to_db(signal_ms / noise_ms), 0.1);
  EXPECT_LT(a.sinad_db, a.snr_db - 10.0);  // the -40 dBc harmonic dominates SINAD
}

TEST(ToneAnalysis, NotchReadsBelowFftByTheQ2Response) {
  const auto x = tone_with_harmonics(1000.0, -1.0, {-50.0, -70.0}, 48000.0, 65536);
  ToneAnalysisOptions fft_options;
  ToneAnalysisOptions notch_options;
  notch_options.thdn_method = ThdnMethod::notch;
  const double by_fft = analyze_tone(x, 48000.0, fft_options).thdn_db();
  const double by_notch = analyze_tone(x, 48000.0, notch_options).thdn_db();
  EXPECT_GE(by_fft - by_notch, 0.3);
  EXPECT_LE(by_fft - by_notch, 0.6);
  EXPECT_NEAR(power_ratio_to_db(notch_power_gain(2000.0, 1000.0, 2.0)), -0.46, 0.01);
  EXPECT_NEAR(power_ratio_to_db(notch_power_gain(3000.0, 1000.0, 2.0)), -0.15, 0.01);
}

TEST(ToneAnalysis, BandLimitExcludesOutOfBandHarmonics) {
  const auto x = tone_with_harmonics(8000.0, -1.0, {-40.0, -40.0}, 96000.0, 65536);
  const auto in_band = analyze_tone(x, 96000.0);  // 16 kHz counts, 24 kHz does not
  ASSERT_EQ(in_band.harmonics.size(), 1u);
  EXPECT_NEAR(in_band.thd_db(), -40.0, 0.01);
  ToneAnalysisOptions full;
  full.band = FrequencyBand::full();
  EXPECT_NEAR(analyze_tone(x, 96000.0, full).thd_db(), -40.0 + 10.0 * std::log10(2.0), 0.01);
}

TEST(ToneAnalysis, SilentOrShortBlocksAreMeasurementErrors) {
  EXPECT_THROW(analyze_tone(std::vector<double>(65536, 0.0), 48000.0), MeasurementError);
  EXPECT_THROW(analyze_tone(std::vector<double>(100, 0.1), 48000.0), MeasurementError);
}

TEST(Band, ParsesAndRejects) {
  EXPECT_EQ(parse_band("20:20000"), (FrequencyBand{20.0, 20000.0}));
  EXPECT_EQ(parse_band("full"), FrequencyBand::full());
  EXPECT_THROW(parse_band("5:2"), UsageError);
  EXPECT_THROW(parse_band("abc"), UsageError);
  EXPECT_THROW(parse_band("10:x"), UsageError);
}

// IEC 61672-1 and ITU-R BS.468-4 check values (MEASUREMENT.md).
TEST(Weighting, CheckValues) {
  EXPECT_NEAR(a_weighting_db(1000.0), 0.0, 1e-9);
  EXPECT_NEAR(a_weighting_db(31.62), -39.44, 0.05);
  EXPECT_NEAR(a_weighting_db(100.0), -19.14, 0.05);
  EXPECT_NEAR(a_weighting_db(10000.0), -2.49, 0.05);
  EXPECT_NEAR(a_weighting_db(20000.0), -9.35, 0.05);
  const std::pair<double, double> bs468[] = {{31.5, -29.9},    {100.0, -19.8},  {1000.0, 0.0},
                                             {2000.0, 5.6},    {6300.0, 12.2},  {10000.0, 8.1},
                                             {20000.0, -22.2}, {31500.0, -42.7}};
  for (const auto& [f, db] : bs468) EXPECT_NEAR(bs468_weighting_db(f), db, 0.05) << f << " Hz";
  EXPECT_NEAR(ccir_rms_weighting_db(2000.0), 5.6 - 5.63, 0.05);
}

TEST(Weighting, WhiteNoiseFigures) {
  const double fs = 48000.0;
  const auto noise = generate_white_noise(0.01, 42, 480000);  // 10 s
  const auto s = power_spectrum(noise, fs);
  const double full = band_rms_fs(s, FrequencyBand::full(), Weighting::none);
  const auto re_full = [&](FrequencyBand band, Weighting w) {
    return amplitude_ratio_to_db(band_rms_fs(s, band, w) / full);
  };
  EXPECT_NEAR(re_full(FrequencyBand::audio(), Weighting::none), -0.80, 0.05);
  EXPECT_NEAR(re_full(FrequencyBand::full(), Weighting::ccir_rms), 0.88, 0.05);
  EXPECT_NEAR(re_full(FrequencyBand::full(), Weighting::a), -2.72, 0.05);
}

TEST(Signal, CoherentFrequencySitsOnABin) {
  const double f = coherent_frequency_hz(997.0, 48000.0, 65536);
  const double bins = f * 65536.0 / 48000.0;
  EXPECT_NEAR(bins, std::round(bins), 1e-9);
  EXPECT_NEAR(f, 997.0, 48000.0 / 65536.0);
}

TEST(Signal, NoiseIsReproducibleForASeed) {
  EXPECT_EQ(generate_white_noise(1.0, 5, 1000), generate_white_noise(1.0, 5, 1000));
  EXPECT_NE(generate_white_noise(1.0, 5, 1000), generate_white_noise(1.0, 6, 1000));
}

// ---- Synchronised swept sine -------------------------------------------------------

namespace {

// A biquad built here from its analogue prototype, independent of src/sim.
struct TestBiquad {
  double b0, b1, b2, a1, a2;
  double z1 = 0, z2 = 0;
  double run(double x) {
    const double y = b0 * x + z1;
    z1 = b1 * x - a1 * y + z2;
    z2 = b2 * x - a2 * y;
    return y;
  }
  std::complex<double> at(double f, double fs) const {
    const auto z = std::polar(1.0, -2.0 * std::numbers::pi * f / fs);
    return (b0 + b1 * z + b2 * z * z) / (1.0 + a1 * z + a2 * z * z);
  }
};

TestBiquad butterworth_lowpass(double fc, double fs) {
  const double k = std::tan(std::numbers::pi * fc / fs), q = std::sqrt(0.5);
  const double norm = 1.0 / (1.0 + k / q + k * k);
  return {k * k * norm, 2 * k * k * norm, k * k * norm, 2 * (k * k - 1) * norm,
          (1 - k / q + k * k) * norm};
}

TestBiquad first_order_highpass(double fc, double fs) {
  const double k = std::tan(std::numbers::pi * fc / fs);
  return {1 / (1 + k), -1 / (1 + k), 0.0, (k - 1) / (k + 1), 0.0};
}

std::vector<double> log_grid(double f1, double f2, int n) {
  std::vector<double> f;
  for (int i = 0; i < n; ++i) f.push_back(f1 * std::pow(f2 / f1, double(i) / (n - 1)));
  return f;
}

}  // namespace

TEST(SyncSweep, ReproducesTheMeasurementExample) {
  const auto s = SyncSweep::design(20.0, 20000.0, 10.0, 48000.0);
  EXPECT_EQ(s.k, 29);
  EXPECT_NEAR(s.rate_s, 1.45, 1e-12);
  EXPECT_NEAR(s.duration_s, 10.016, 0.0005);
  EXPECT_NEAR(s.harmonic_advance_s(2), 1.005, 0.0005);
  EXPECT_NEAR(s.harmonic_advance_s(3), 1.593, 0.0005);
  const auto x = generate_sync_sweep(s, 1.0);
  EXPECT_NEAR(x.front(), 0.0, 1e-9);  // whole k: starts on a zero crossing, phase 2π·k
  EXPECT_EQ(x.size(), s.frames());
  EXPECT_THROW(SyncSweep::design(20.0, 30000.0, 10.0, 48000.0), UsageError);
}

// A memoryless DUT y = g·x + a2·x², against a loopback reference r = c·x of another gain
// (an interface whose output and input calibrations differ): H1 reads g/c, and THD is the
// DUT's own, a2·A/(2g) for a sweep of amplitude A, whatever c. A harmonic that falls in the
// sweep's top taper is not a number, never an attenuated one.
TEST(SyncSweep, ThdIsTheDutsOwnWithAReferenceOfAnotherGain) {
  const double fs = 48000.0, amplitude = 0.5, g = 2.0, a2 = 0.02, c = 0.316;
  const auto s = SyncSweep::design(20.0, 20000.0, 2.0, fs);
  auto x = generate_sync_sweep(s, amplitude);
  x.resize(x.size() + static_cast<std::size_t>(0.5 * fs), 0.0);
  std::vector<double> y(x.size()), r(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    y[i] = g * x[i] + a2 * x[i] * x[i];
    r[i] = c * x[i];
  }
  SweepAnalysisOptions options;
  options.latency_samples = 0.0;
  options.frequencies_hz = {200.0, 1000.0, 5000.0, 0.495 * s.end_hz};
  options.reference = r;
  const auto result = analyze_sync_sweep(y, x, s, options);
  const double truth = a2 * amplitude / (2.0 * g);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(result.h1_db(i), amplitude_ratio_to_db(g / c), 0.01) << result.frequency_hz[i];
    EXPECT_NEAR(amplitude_ratio_to_db(result.thd_ratio(i) / truth), 0.0, 0.1)
        << result.frequency_hz[i];
  }
  EXPECT_TRUE(std::isnan(result.harmonic[0][3]));
  EXPECT_TRUE(std::isnan(result.thd_ratio(3)));
}

TEST(SyncSweep, H1MatchesAFilterWithLatency) {
  const double fs = 48000.0;
  const auto s = SyncSweep::design(10.0, 22000.0, 6.0, fs);
  const auto x = generate_sync_sweep(s, 0.5, static_cast<std::size_t>(0.5 * fs));
  auto hp = first_order_highpass(20.0, fs);
  auto lp = butterworth_lowpass(10000.0, fs);
  const std::size_t latency = 1234;
  std::vector<double> y(x.size() + latency, 0.0);
  for (std::size_t i = 0; i < x.size(); ++i) y[i + latency] = lp.run(hp.run(x[i]));
  SweepAnalysisOptions o;
  o.frequencies_hz = log_grid(20.0, 20000.0, 61);
  o.latency_samples = latency;
  const auto r = analyze_sync_sweep(y, x, s, o);
  for (std::size_t i = 0; i < o.frequencies_hz.size(); ++i) {
    const double f = o.frequencies_hz[i];
    const auto truth = hp.at(f, fs) * lp.at(f, fs);
    EXPECT_NEAR(r.h1_db(i), amplitude_ratio_to_db(std::abs(truth)), 0.01) << f << " Hz";
    EXPECT_NEAR(r.h1_phase_deg(i), std::arg(truth) * 180.0 / std::numbers::pi, 0.5) << f << " Hz";
  }
  o.latency_samples.reset();
  const auto estimated = analyze_sync_sweep(y, x, s, o);
  EXPECT_NEAR(estimated.latency_samples, double(latency), 3.0);
  for (std::size_t i = 0; i < o.frequencies_hz.size(); ++i)
    EXPECT_NEAR(estimated.h1_db(i), r.h1_db(i), 0.01) << o.frequencies_hz[i] << " Hz";
}

class PolynomialHarmonics : public ::testing::TestWithParam<std::pair<double, double>> {};

TEST_P(PolynomialHarmonics, H2H3AndH1MatchClosedForm) {
  const auto [a2, a3] = GetParam();
  // At 96 kHz the cubic's aliased 3rd harmonic (96k - 3f) stays above the 20 kHz band; at
  // 48 kHz it would fold into the band unsynchronised, as no analogue DUT does.
  const double fs = 96000.0;
  const auto s = SyncSweep::design(20.0, 20000.0, 5.0, fs);
  const auto x = generate_sync_sweep(s, 1.0, 4800);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    y[i] = x[i] + a2 * x[i] * x[i] + a3 * x[i] * x[i] * x[i];
  SweepAnalysisOptions o;
  o.frequencies_hz = log_grid(100.0, 5000.0, 12);
  const auto r = analyze_sync_sweep(y, x, s, o);
  for (std::size_t i = 0; i < o.frequencies_hz.size(); ++i) {
    EXPECT_NEAR(r.h1_db(i), amplitude_ratio_to_db(1.0 + 0.75 * a3), 0.05) << o.frequencies_hz[i];
    EXPECT_NEAR(r.harmonic_db(2, i), amplitude_ratio_to_db(a2 / 2.0), 0.05) << o.frequencies_hz[i];
    EXPECT_NEAR(r.harmonic_db(3, i), amplitude_ratio_to_db(a3 / 4.0), 0.05) << o.frequencies_hz[i];
  }
  EXPECT_TRUE(
      std::isnan(r.harmonic[0][0] * 0.0 + analyze_sync_sweep(y, x, s, {}).harmonic[0].back()));
}

INSTANTIATE_TEST_SUITE_P(CoefficientSets, PolynomialHarmonics,
                         ::testing::Values(std::pair{0.01, 0.001}, std::pair{0.1, 0.05},
                                           std::pair{0.002, 0.02}));

TEST(SyncSweep, SteppedAndSweptAgree) {
  const double fs = 48000.0;
  const auto s = SyncSweep::design(10.0, 22000.0, 4.0, fs);
  const auto x = generate_sync_sweep(s, 0.5, 24000);
  auto hp = first_order_highpass(50.0, fs);
  auto lp = butterworth_lowpass(8000.0, fs);
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) y[i] = lp.run(hp.run(x[i]));
  SweepAnalysisOptions o;
  o.frequencies_hz = {31.5, 100.0, 1000.0, 5000.0, 8000.0, 16000.0};
  const auto swept = analyze_sync_sweep(y, x, s, o);
  for (std::size_t i = 0; i < o.frequencies_hz.size(); ++i) {
    const double f = o.frequencies_hz[i];
    auto hp2 = first_order_highpass(50.0, fs);
    auto lp2 = butterworth_lowpass(8000.0, fs);
    const auto tone = generate_sine(f, 0.5, fs, 48000 + 65536);
    std::vector<double> out;
    for (std::size_t j = 0; j < tone.size(); ++j) {
      const double v = lp2.run(hp2.run(tone[j]));
      if (j >= 48000) out.push_back(v);
    }
    ToneAnalysisOptions t;
    t.fundamental_hz = f;
    t.band = FrequencyBand::full();
    const double stepped = analyze_tone(out, fs, t).level_dbfs - amplitude_ratio_to_db(0.5);
    EXPECT_NEAR(swept.h1_db(i), stepped, 0.02) << f << " Hz";
  }
}

// ---- IMD ------------------------------------------------------------------------

namespace {

std::vector<double> through_polynomial(const std::vector<double>& x, double a2, double a3) {
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    y[i] = x[i] + a2 * x[i] * x[i] + a3 * x[i] * x[i] * x[i];
  return y;
}

}  // namespace

class ImdPolynomial : public ::testing::TestWithParam<std::pair<double, double>> {};

TEST_P(ImdPolynomial, SmpteMatchesClosedForm) {
  const auto [a2, a3] = GetParam();
  const double fs = 96000.0;
  const auto signal = ImdSignal::smpte();
  const auto tones = imd_tones(signal, 0.5, fs);
  const double A1 = tones[0].amplitude_peak_fs, A2 = tones[1].amplitude_peak_fs;
  const auto y = through_polynomial(generate_tones(tones, fs, 262144), a2, a3);
  const auto r = analyze_imd(y, fs, signal);
  const double upper = A2 + a3 * (0.75 * A2 * A2 * A2 + 1.5 * A1 * A1 * A2);
  const double d2 = 2.0 * a2 * A1 * A2 / upper, d3 = 2.0 * 0.75 * a3 * A1 * A1 * A2 / upper;
  EXPECT_NEAR(amplitude_ratio_to_db(r.order_ratio[0]), amplitude_ratio_to_db(d2), 0.1);
  EXPECT_NEAR(amplitude_ratio_to_db(r.order_ratio[1]), amplitude_ratio_to_db(d3), 0.1);
  EXPECT_NEAR(r.imd_db(), amplitude_ratio_to_db(std::hypot(d2, d3)), 0.1);
}

TEST_P(ImdPolynomial, CcifMatchesClosedForm) {
  const auto [a2, a3] = GetParam();
  const double fs = 96000.0;
  const auto signal = ImdSignal::ccif();
  const auto tones = imd_tones(signal, 0.5, fs);
  const double A = tones[0].amplitude_peak_fs;
  const auto y = through_polynomial(generate_tones(tones, fs, 262144), a2, a3);
  const auto r = analyze_imd(y, fs, signal);
  const double each = A + a3 * 2.25 * A * A * A;  // compression by the cubic term
  const double d2 = a2 * A * A / (2.0 * each), d3 = 2.0 * 0.75 * a3 * A * A * A / (2.0 * each);
  EXPECT_NEAR(amplitude_ratio_to_db(r.order_ratio[0]), amplitude_ratio_to_db(d2), 0.1);
  EXPECT_NEAR(amplitude_ratio_to_db(r.order_ratio[1]), amplitude_ratio_to_db(d3), 0.1);
}

// DIM against a naive DFT of a signal built here from the standard's words: a 3.15 kHz
// square (odd harmonics 4A/(πk) below half the rate, each through a first-order low-pass at
// 30 or 100 kHz) and a 15 kHz sine of a quarter its peak-to-peak, bent by the polynomial; the
// nine products |k·3150 − 15000| below 15 kHz summed rms re the sine, each read over whole
// periods (150 Hz divides both tones: 320 samples at 48 kHz) where a DFT bin is exact.
TEST_P(ImdPolynomial, DimMatchesANaiveDft) {
  const auto [a2, a3] = GetParam();
  for (const double fs : {48000.0, 96000.0}) {
    for (const double corner_hz : {30000.0, 100000.0}) {
      const auto signal = ImdSignal::dim(corner_hz);
      const double peak = 0.5, sine = peak / 5.0, square = 4.0 * sine;
      const std::size_t n = static_cast<std::size_t>(fs / 2.0);  // 75 or 150 whole periods
      std::vector<double> x(n, 0.0);
      std::size_t harmonics = 0;
      for (int k = 1; k * 3150.0 < fs / 2.0; k += 2, ++harmonics) {
        const double f = k * 3150.0, ratio = f / corner_hz;
        const double a = 4.0 * square / (std::numbers::pi * k) / std::sqrt(1.0 + ratio * ratio);
        for (std::size_t i = 0; i < n; ++i)
          x[i] += a * std::sin(2.0 * std::numbers::pi * f * static_cast<double>(i) / fs -
                               std::atan(ratio));
      }
      for (std::size_t i = 0; i < n; ++i)
        x[i] += sine * std::sin(2.0 * std::numbers::pi * 15000.0 * static_cast<double>(i) / fs);
      // The generator's tones are this signal.
      const auto tones = imd_tones(signal, peak, fs);
      ASSERT_EQ(tones.size(), harmonics + 1);
      const auto generated = generate_tones(tones, fs, n);
      double worst = 0.0;
      for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(generated[i] - x[i]));
      EXPECT_LT(worst, 1e-9) << fs << " " << corner_hz;

      const auto y = through_polynomial(x, a2, a3);
      const auto amplitude = [&](double f) {
        std::complex<double> sum = 0.0;
        for (std::size_t i = 0; i < n; ++i)
          sum += y[i] * std::polar(1.0, -2.0 * std::numbers::pi * f * static_cast<double>(i) / fs);
        return 2.0 * std::abs(sum) / static_cast<double>(n);
      };
      double products = 0.0;
      int count = 0;
      for (int k = 1; k <= 9; ++k, ++count) {
        const double a = amplitude(std::abs(k * 3150.0 - 15000.0));
        products += a * a;
      }
      const double truth = std::sqrt(products) / amplitude(15000.0);
      const auto r = analyze_imd(y, fs, signal);
      EXPECT_EQ(r.products.size(), 9u);
      EXPECT_NEAR(r.imd_db(), amplitude_ratio_to_db(truth), 0.1) << fs << " " << corner_hz;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(CoefficientSets, ImdPolynomial,
                         ::testing::Values(std::pair{0.01, 0.001}, std::pair{0.001, 0.01},
                                           std::pair{0.05, 0.02}));

TEST(Imd, LinearSystemReadsBelowMinus140Db) {
  for (const auto& signal : {ImdSignal::smpte(), ImdSignal::smpte(250, 8000), ImdSignal::ccif(),
                             ImdSignal::ccif(11000, 12000)}) {
    const auto x = generate_tones(imd_tones(signal, 0.9, 48000.0), 48000.0, 65536);
    EXPECT_LT(analyze_imd(x, 48000.0, signal).imd_db(), -140.0) << signal.f1_hz;
  }
  const auto dim = ImdSignal::dim();
  const auto x = generate_tones(imd_tones(dim, 0.9, 48000.0), 48000.0, 65536);
  EXPECT_LT(analyze_imd(x, 48000.0, dim).imd_db(), -140.0);
}

// The nearest components of DIM at 3.15 and 15 kHz lie 750 Hz apart (15 and 15.75 kHz; the
// 750 Hz product and 0 Hz): 15 bins of BH7 at 750 Hz is 20 ms, under the analysis's floor of
// 4096 frames; a DIM of 3 kHz and 14.5 kHz puts 500 Hz between 14.5 and 15 kHz.
TEST(Imd, DimResolvesItsNearestComponents) {
  EXPECT_EQ(frames_resolving_imd(ImdSignal::dim(), 48000.0), 4096u);
  EXPECT_EQ(frames_resolving_imd(ImdSignal::dim(30000.0, 3150.0, 15000.0), 768000.0), 15360u);
  EXPECT_EQ(frames_resolving_imd(ImdSignal::dim(30000.0, 3000.0, 14500.0), 192000.0), 5760u);
}

TEST(Imd, ParsesSignals) {
  EXPECT_EQ(parse_imd_signal("smpte").f2_hz, 7000.0);
  EXPECT_EQ(parse_imd_signal("smpte:250:8000").f1_hz, 250.0);
  EXPECT_EQ(parse_imd_signal("ccif:14000:15000").amplitude_ratio, 1.0);
  EXPECT_THROW(parse_imd_signal("ccif:15000:14000"), UsageError);
  EXPECT_THROW(parse_imd_signal("tim"), UsageError);
  EXPECT_EQ(parse_imd_signal("dim30").square_corner_hz, 30000.0);
  EXPECT_EQ(parse_imd_signal("dim100").square_corner_hz, 100000.0);
  EXPECT_EQ(parse_imd_signal("dim30:3000:14285.7").f2_hz, 14285.7);
  EXPECT_EQ(imd_standard_name(parse_imd_signal("dim100")), "dim100");
}

TEST(DynamicRange, Aes17FromAMinus60DbfsTone) {
  // A -60 dBFS 997 Hz tone with white noise of known rms: DR = 60 dB + the tone-to-noise
  // ratio in the band, with the A-weighted noise figure of MEASUREMENT.md for full band.
  const double fs = 48000.0;
  const std::size_t n = 262144;
  auto x = generate_sine(997.0, db_to_amplitude_ratio(-60.0), fs, n);
  const double noise_rms = 1e-6;
  const auto noise = generate_white_noise(noise_rms, 11, n);
  for (std::size_t i = 0; i < n; ++i) x[i] += noise[i];
  ToneAnalysisOptions o;
  o.band = FrequencyBand::full();
  o.weighting = Weighting::a;
  const auto a = analyze_tone(x, fs, o);
  const double tone_ms = std::pow(db_to_amplitude_ratio(-60.0), 2) / 2.0;
  const double noise_ms = noise_rms * noise_rms * db_to_power_ratio(-2.72);
  const double expected = 60.0 + power_ratio_to_db((tone_ms + noise_rms * noise_rms) / noise_ms);
  EXPECT_NEAR(dynamic_range_db(a, 60.0), expected, 0.1);
  EXPECT_NEAR(dynamic_range_db(a, -a.level_dbfs), expected, 0.1);
}

TEST(Fft, TunedPlansFromWisdomComputeTheSameTransform) {
  const std::size_t n = 8192;
  const auto x = generate_white_noise(0.3, 5, n);
  const auto before = power_spectrum(x, 48000.0, WindowKind::hann);
  tune_fft(n);  // replaces the cached plan by a measured one
  const std::string wisdom = export_fft_wisdom();
  EXPECT_NE(wisdom.find("fftw"), std::string::npos);
  EXPECT_TRUE(import_fft_wisdom(wisdom));
  EXPECT_FALSE(import_fft_wisdom("not wisdom"));
  const auto after = power_spectrum(x, 48000.0, WindowKind::hann);
  for (std::size_t k = 0; k < before.bin_mean_square.size(); k += 97)
    EXPECT_NEAR(after.bin_mean_square[k], before.bin_mean_square[k],
                1e-12 * (1.0 + before.bin_mean_square[k]))
        << k;
}

// Searching for a fundamental in noise finds none and says so; a tone well inside noise
// (broadband SNR 0 dB, 40 dB above the noise in its own bins) is still found.
TEST(ToneAnalysis, NoiseHasNoToneAndAToneInNoiseIsFound) {
  const double fs = 48000.0;
  const auto noise = generate_white_noise(0.05, 7, 48000);
  try {
    analyze_tone(noise, fs);
    FAIL() << "a tone found in white noise";
  } catch (const MeasurementError& e) {
    EXPECT_NE(std::string(e.what()).find("no tone found"), std::string::npos) << e.what();
  }
  auto signal = generate_sine(1234.5, 0.05 * std::sqrt(2.0), fs, 48000);
  for (std::size_t i = 0; i < signal.size(); ++i) signal[i] += noise[i];
  const auto a = analyze_tone(signal, fs);
  EXPECT_NEAR(a.frequency_hz, 1234.5, 0.05);
}

TEST(Latency, AnInvertedSweepIsFoundAtItsTrueLagAndATonesCombIsNot) {
  const double fs = 48000.0;
  const auto sweep = generate_sync_sweep(SyncSweep::design(20.0, 20000.0, 0.5, fs), 0.5);
  const int delay = 123;
  std::vector<float> inverted(sweep.size() + 1000, 0.0f);
  for (std::size_t i = 0; i < sweep.size(); ++i)
    inverted[i + delay] = static_cast<float>(-0.3 * sweep[i]);
  const auto e = estimate_lag(sweep, inverted, 1000, 56);
  EXPECT_EQ(e.lag, delay);
  EXPECT_TRUE(e.negative);
  EXPECT_GE(e.distinctness, kDistinctLag);
  // A steady 1 kHz tone: every period correlates alike, no lag stands out; the positive
  // peak lies a whole number of periods (48 samples) from the delay.
  const auto tone = generate_sine(1000.0, 0.5, fs, 24000);
  std::vector<float> delayed(tone.size() + 1000, 0.0f);
  for (std::size_t i = 0; i < tone.size(); ++i) delayed[i + delay] = static_cast<float>(tone[i]);
  const auto t = estimate_lag(tone, delayed, 1000, 56);
  EXPECT_LT(t.distinctness, 1.2);
  EXPECT_EQ((t.positive_lag - delay) % 48, 0);
}

// The true peak against the waveform itself: the closed-form sum of the tones evaluated 256
// times per sample. A sine at fs/4 sampled 45° off its crests; multitones up to 0.45·fs.
TEST(TruePeak, FindsTheWaveformsPeakBetweenSamples) {
  const double fs = 48000.0;
  auto quarter = generate_sine(fs / 4, 0.5, fs, 4800, std::numbers::pi / 4);
  double sample_peak = 0.0;
  for (double v : quarter) sample_peak = std::max(sample_peak, std::abs(v));
  EXPECT_NEAR(sample_peak, 0.5 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(true_peak(quarter), 0.5, 1e-5);
  // Periodic multitones (whole cycles in the block), so the block's samples stand for the
  // formula everywhere: the truth is the formula's peak over the period.
  constexpr std::size_t kPeriod = 4800;
  std::mt19937_64 random(11);
  std::uniform_int_distribution<int> bin(5, static_cast<int>(0.45 * kPeriod));
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int trial = 0; trial < 6; ++trial) {
    std::vector<Tone> tones;
    for (int k = 0; k < 7; ++k)
      tones.push_back({bin(random) * fs / kPeriod, 0.1, 2.0 * std::numbers::pi * uniform(random)});
    const auto x = generate_tones(tones, fs, kPeriod);
    double truth = 0.0;
    for (std::size_t n = 0; n < kPeriod * 256; ++n) {
      const double t = static_cast<double>(n) / (256.0 * fs);
      double v = 0.0;
      for (const auto& tone : tones)
        v += tone.amplitude_peak_fs *
             std::sin(2.0 * std::numbers::pi * tone.frequency_hz * t + tone.phase_rad);
      truth = std::max(truth, std::abs(v));
    }
    EXPECT_NEAR(true_peak(x, true) / truth, 1.0, 1e-3) << "trial " << trial;
  }
  // One period of a periodic signal: its ends join.
  const auto period = generate_sine(fs / 8, 1.0, fs, 8, 0.3);
  EXPECT_NEAR(true_peak(period, true), 1.0, 1e-4);
}

// One period of a sine (its zero crossing on the finer grid, 5/16 of a sample before the
// first), the closed form of each figure: the steepest slope 2π/P a sample;
// the settled high the mean of the 2h + 1 points of the 16-times-finer grid around the crest
// (h = a twentieth of it), sin((2h+1)δ/2)/((2h+1)·sin(δ/2)) with δ its step in radians; from
// 10 % to 90 % of the swing between the settled levels by the arcsine; the crest beyond it.
TEST(Edge, ASinesFiguresAreItsClosedForm) {
  const std::size_t period = 96;
  const double fs = 96000.0;
  std::vector<double> x(period);
  for (std::size_t i = 0; i < period; ++i)
    x[i] = std::sin(2.0 * std::numbers::pi * (static_cast<double>(i) + 0.3125) / period);
  const auto e = dsp::analyze_edge(x, fs);
  const double fine = period * dsp::kEdgeOversampling, delta = 2.0 * std::numbers::pi / fine;
  const double points = 2.0 * std::floor(fine / 20.0) + 1.0;
  const double settled = std::sin(points * delta / 2.0) / (points * std::sin(delta / 2.0));
  const double steepest = 2.0 * std::numbers::pi / period * fs;
  EXPECT_NEAR(e.steepest_per_s, steepest, 1e-9 * steepest);
  EXPECT_NEAR(e.high, settled, 1e-9);
  EXPECT_NEAR(e.low, -settled, 1e-9);
  const double swing = 2.0 * settled;
  const double t10 = std::asin((-settled + 0.1 * swing)), t90 = std::asin(-settled + 0.9 * swing);
  EXPECT_NEAR(e.rise_time_s, (t90 - t10) / (2.0 * std::numbers::pi) * period / fs, 1e-8);
  EXPECT_NEAR(e.overshoot_pct, (1.0 - settled) / swing * 100.0, 1e-6);
  // Its average over whole periods is itself; a partial period at the end is left out.
  std::vector<double> block;
  for (int p = 0; p < 5; ++p) block.insert(block.end(), x.begin(), x.end());
  block.push_back(100.0);
  const auto mean = dsp::period_average(block, period);
  for (std::size_t i = 0; i < period; ++i) EXPECT_NEAR(mean[i], x[i], 1e-12);
}

// A band-limited square: odd harmonics only, below the band, 4/(πk) weighted by Lanczos's σ.
TEST(Edge, ABandLimitedSquareHasItsOddHarmonicsBelowTheBand) {
  const auto h = dsp::band_limited_square(1000.0, 10000.0);
  ASSERT_EQ(h.size(), 5u);  // 1, 3, 5, 7, 9 kHz
  for (std::size_t i = 0; i < h.size(); ++i) {
    const int k = static_cast<int>(2 * i + 1);
    EXPECT_EQ(h[i].number, k);
    const double x = std::numbers::pi * k / 11.0;
    EXPECT_NEAR(h[i].amplitude, 4.0 / (std::numbers::pi * k) * std::sin(x) / x, 1e-15);
  }
}

// White noise of standard deviation σ at fs has density σ/√(fs/2) (one-sided): read through
// every window within 0.2 dB (2^18 samples: about 49 000 bins from 1 to 10 kHz).
TEST(Spectrum, NoiseDensityIsTheSameThroughEveryWindow) {
  const double fs = 48000.0, sigma = 0.01;
  std::mt19937_64 random(5);
  std::normal_distribution<double> gauss(0.0, sigma);
  std::vector<double> x(1 << 18);
  for (double& v : x) v = gauss(random);
  const double truth = sigma / std::sqrt(fs / 2.0);
  for (const auto window : {dsp::WindowKind::rectangular, dsp::WindowKind::hann,
                            dsp::WindowKind::flat_top, dsp::WindowKind::blackman_harris_7}) {
    const auto spectrum = dsp::power_spectrum(x, fs, window);
    const double density = dsp::noise_density_fs(spectrum, 1000.0, 10000.0);
    EXPECT_NEAR(dsp::amplitude_ratio_to_db(density / truth), 0.0, 0.2) << static_cast<int>(window);
  }
  EXPECT_TRUE(std::isnan(dsp::noise_density_fs(dsp::power_spectrum(x, fs), 30000.0, 40000.0)));
}
