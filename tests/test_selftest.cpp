// The bench's self-test (SPEC §15) against known truths: the clock estimator and the
// simulated interface's faults against closed-form sines, the whole self-test against the
// faults injected into the simulated interface, and a run's at_analyzer_limit flags.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "cli_fixtures.hpp"
#include "common/error.hpp"
#include "dsp/clock_offset.hpp"
#include "dsp/units.hpp"
#include "run_binary.hpp"
#include "selftest/selftest.hpp"
#include "sequence/bench.hpp"
#include "sequence/station.hpp"
#include "sim/resampler.hpp"

namespace {

using ampbench::testing::run_ampbench;
using ampbench::testing::TempDir;
constexpr double kPi = std::numbers::pi;

std::vector<double> sine(double f_hz, double fs, std::size_t n, double amplitude = 0.5,
                         double phase = 0.3) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i)
    x[i] = amplitude * std::sin(2.0 * kPi * f_hz * static_cast<double>(i) / fs + phase);
  return x;
}

// The rms of a - b over [from, to), re the rms of b, in dB.
double error_db(const std::vector<double>& a, const std::vector<double>& b, std::size_t from,
                std::size_t to) {
  double e = 0.0, s = 0.0;
  for (std::size_t i = from; i < to; ++i) {
    e += (a[i] - b[i]) * (a[i] - b[i]);
    s += b[i] * b[i];
  }
  return 10.0 * std::log10(e / s);
}

TEST(ClockOffset, FindsAToneOffFrequencyWithinAHundredthOfAPpm) {
  const double fs = 48000.0;
  std::mt19937_64 random(3);
  std::normal_distribution<double> noise(0.0, 1e-5);  // −100 dBFS re a −6 dBFS tone
  for (double ppm : {-200.0, -31.7, -0.4, 0.0, 0.5, 12.0, 200.0}) {
    auto x = sine(1000.0 * (1.0 + ppm * 1e-6), fs, 72000);
    for (double& v : x) v += noise(random);
    EXPECT_NEAR(ampbench::dsp::tone_frequency_offset_ppm(x, 1000.0, fs), ppm, 0.01) << ppm;
  }
  EXPECT_THROW(ampbench::dsp::tone_frequency_offset_ppm(sine(1000.0, fs, 10000), 1000.0, fs),
               ampbench::MeasurementError);
}

// A DAC 200 ppm fast plays a sine at f as the ADC's sine at f·(1 + 200·10⁻⁶): the model
// against the closed form, 100 dB down, away from the block's ends.
TEST(SimInterface, AClockOffsetPlaysTheToneAtTheOffsetFrequency) {
  const double fs = 48000.0;
  for (double f : {1000.0, 15000.0}) {
    for (double ppm : {-200.0, 200.0}) {
      const auto played = ampbench::sim::with_clock_offset(sine(f, fs, 24000), ppm);
      const auto truth = sine(f * (1.0 + ppm * 1e-6), fs, 24000);
      EXPECT_LT(error_db(played, truth, 200, 23000), -100.0) << f << " Hz, " << ppm << " ppm";
    }
  }
}

// Through 44.1 kHz and back: 1 kHz passes within 0.01 dB, 22.08 kHz (above 22.05 kHz) is gone.
TEST(SimInterface, AResamplerPassesTheBandAndRemovesWhatLiesAboveTheLowerRate) {
  const double fs = 48000.0;
  const auto rms = [](const std::vector<double>& x) {
    double s = 0.0;
    for (std::size_t i = 2000; i + 2000 < x.size(); ++i) s += x[i] * x[i];
    return std::sqrt(s / static_cast<double>(x.size() - 4000));
  };
  const auto low = sine(1000.0, fs, 24000), high = sine(22080.0, fs, 24000);
  EXPECT_NEAR(20.0 * std::log10(rms(ampbench::sim::through_rate(low, fs, 44100.0)) / rms(low)), 0.0,
              0.01);
  EXPECT_LT(20.0 * std::log10(rms(ampbench::sim::through_rate(high, fs, 44100.0)) / rms(high)),
            -60.0);
}

std::string station_text(const std::string& sim_lines, const std::string& extra = "",
                         double adc_noise_dbfs = -120.0) {
  return R"([station]
name = "selftest-bench"
[audio]
backend = "sim"
sample_rate = 48000
outputs = [1, 2]
inputs = [1, 2]
output_vrms_at_0dbfs = 2.0
input_vrms_at_0dbfs = 2.0
[safety]
max_output_vrms = 1.8
max_input_dbfs = -1.0
[sim]
latency_samples = 37
adc_noise_dbfs = )" +
         std::to_string(adc_noise_dbfs) + "\n" + sim_lines + extra;
}

ampbench::selftest::Result selftest_of(const std::string& text, double* stimulus_s = nullptr) {
  const auto station = ampbench::sequence::parse_station(text, "selftest.toml");
  auto bench = ampbench::sequence::open_calibration_bench(station);
  auto result = ampbench::selftest::run_selftest(*bench.port, station);
  if (stimulus_s)
    *stimulus_s = static_cast<double>(bench.port->frames_played()) / 48000.0 /
                  static_cast<double>(station.channel_count());
  return result;
}

TEST(Selftest, ACleanLoopbackPassesWithItsLatencyAndItsResiduals) {
  double stimulus_s = 0.0;
  const auto r = selftest_of(station_text(""), &stimulus_s);
  EXPECT_TRUE(r.passed()) << r.failures.front();
  EXPECT_LE(stimulus_s, 3.0) << "seconds of stimulus per channel";
  ASSERT_EQ(r.channels.size(), 2u);
  // Truth: white noise at −120 dBFS over 0–24 kHz, of which 20 Hz–20 kHz carries 19980/24000;
  // the tone at −3 dBFS.
  const double noise_dbfs = -120.0 + 10.0 * std::log10(19980.0 / 24000.0);
  for (const auto& c : r.channels) {
    EXPECT_EQ(c.latency_samples, 37);
    EXPECT_EQ(c.polarity, "normal");
    EXPECT_NEAR(*c.residual_noise_dbfs, noise_dbfs, 0.2);
    EXPECT_NEAR(*c.residual_noise_dbv, noise_dbfs + 20.0 * std::log10(2.0), 0.2);
    EXPECT_NEAR(*c.residual_thdn_db, noise_dbfs + 3.0, 0.3);
    EXPECT_NEAR(*c.level_error_db, 0.0, 0.002);
    EXPECT_NEAR(*c.clock_ppm, 0.0, 0.05);
    EXPECT_FALSE(c.images.has_value());
    EXPECT_GT(*c.band_probe_db, -1.0);
  }
  EXPECT_FALSE(r.resampling);
  EXPECT_FALSE(r.bit_transparent.has_value()) << "an analogue path";
}

// Five trials (different noise) of a 48 → 44.1 → 48 kHz mixer: found every time; clean, never.
TEST(Selftest, FindsA44100HzResamplerInEveryTrial) {
  for (int seed = 1; seed <= 5; ++seed) {
    const std::string seed_line = "seed = " + std::to_string(seed) + "\n";
    const auto faulty = selftest_of(station_text(seed_line + "resampler_hz = 44100\n"));
    EXPECT_TRUE(faulty.resampling) << seed;
    EXPECT_FALSE(faulty.passed());
    EXPECT_NE(faulty.resampling_evidence.find("44100"), std::string::npos)
        << faulty.resampling_evidence;
    const auto clean = selftest_of(station_text(seed_line));
    EXPECT_FALSE(clean.resampling) << seed << ": " << clean.resampling_evidence;
  }
}

TEST(Selftest, MeasuresTheDacClockAgainstTheAdcWithinHalfAPpm) {
  for (double ppm : {-200.0, -75.0, -1.0, 0.3, 20.0, 199.0}) {
    const auto r = selftest_of(station_text("clock_ppm = " + std::to_string(ppm) + "\n"));
    ASSERT_TRUE(r.clock_ppm.has_value());
    EXPECT_NEAR(*r.clock_ppm, ppm, 0.5);
    EXPECT_FALSE(r.resampling) << ppm << " ppm: " << r.resampling_evidence;
    EXPECT_EQ(r.passed(), std::abs(ppm) <= 20.0) << ppm << " ppm against max_clock_ppm 20";
  }
}

// A channel whose true calibration is 0.05 dB off the one in force fails the level check.
TEST(Selftest, ALevelOffItsCalibrationFails) {
  const double off = 2.0 * std::pow(10.0, 0.05 / 20.0);
  const auto r =
      selftest_of(station_text("output_vrms_at_0dbfs = [2.0, " + std::to_string(off) + "]\n",
                               "[selftest]\nmax_level_error_db = 0.03\n"));
  EXPECT_NEAR(*r.channels[0].level_error_db, 0.0, 0.002);
  EXPECT_NEAR(*r.channels[1].level_error_db, 0.05, 0.002);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_NE(r.failures[0].find("output 2"), std::string::npos) << r.failures[0];
}

TEST(Selftest, ADigitalLoopbackIsBitTransparentUntilItsClockDrifts) {
  const auto clean = selftest_of(station_text("", "[selftest]\ndigital = true\n"));
  EXPECT_TRUE(clean.passed()) << clean.failures.front();
  EXPECT_EQ(clean.bit_transparent, true);
  EXPECT_FALSE(clean.channels[0].residual_noise_dbv.has_value()) << "no volts on a digital path";
  const auto drifting =
      selftest_of(station_text("clock_ppm = 1\n", "[selftest]\ndigital = true\n"));
  EXPECT_EQ(drifting.bit_transparent, false);
  EXPECT_FALSE(drifting.passed());
}

// A loopback wired with pins 2 and 3 swapped and 123 samples the port does not know of.
class SwappedCable : public ampbench::audio::AudioPort {
 public:
  SwappedCable() : AudioPort({1.8, -1.0, 0.25}, {2.0, 2.0}) {}
  double sample_rate_hz() const override { return 48000.0; }
  int output_count() const override { return 2; }
  int input_count() const override { return 2; }
  std::string describe() const override { return "swapped cable"; }

 protected:
  ampbench::audio::Capture transfer(const ampbench::audio::AudioBuffer& stimulus, double) override {
    ampbench::audio::Capture capture;
    capture.audio.sample_rate_hz = 48000.0;
    for (const auto& channel : stimulus.channels) {
      std::vector<double> y(channel.size(), 0.0);
      for (std::size_t i = 123; i < y.size(); ++i)
        y[i] = -channel[i - 123] + 1e-6 * noise_(random_);
      capture.audio.channels.push_back(std::move(y));
      capture.peak_dbfs.push_back(0.0);
    }
    return capture;
  }
  void idle(double) override {}

 private:
  std::mt19937_64 random_{7};
  std::normal_distribution<double> noise_{0.0, 1.0};
};

TEST(Selftest, FindsAnInvertedCableAndTheLatencyThePortMissed) {
  const auto station = ampbench::sequence::parse_station(station_text(""), "selftest.toml");
  SwappedCable port;
  const auto r = ampbench::selftest::run_selftest(port, station);
  for (const auto& c : r.channels) {
    EXPECT_EQ(c.polarity, "inverted");
    EXPECT_EQ(c.latency_samples, 123);
  }
  EXPECT_FALSE(r.passed());
}

// End to end: `selftest` stores its result; a run's THD+N and noise within 10 dB of the
// stored residual carry at_analyzer_limit, and figures far above it do not.
TEST(Selftest, ARunFlagsFiguresAtTheAnalyzersOwnFloor) {
  TempDir dir;
  const std::string station = dir / "noisy.toml", db = dir / "r.db", sequence = dir / "s.toml";
  // An interface whose own noise (−80 dBFS) is a poor analyzer's: its residual THD+N ≈ −79 dB.
  ampbench::testing::write(station, station_text("", "", -80.0));
  ampbench::testing::write(sequence, R"([sequence]
name = "floor"
channels = ["L", "R"]
[[step]]
id = "thdn"
kind = "thdn"
stimulus = { frequency_hz = 1000, level = "-10 dBV" }
[[step]]
id = "noise"
kind = "noise"
)");
  const auto st = run_ampbench({"selftest", "--station", station, "--db", db});
  EXPECT_EQ(st.exit_code, 1) << "residual THD+N above the default −80 dB: " << st.out << st.err;
  const auto run = run_ampbench({"run", sequence, "--station", station, "--db", db, "--quiet"});
  ASSERT_LE(run.exit_code, 1) << run.err;
  const auto flagged = ampbench::testing::query(
      db, "SELECT name, flags FROM measurements WHERE channel = 'L' ORDER BY id");
  std::map<std::string, std::string> flags;
  for (const auto& row : flagged) flags[row[0]] = row[1];
  EXPECT_EQ(flags.at("thdn_db"), "at_analyzer_limit");
  EXPECT_EQ(flags.at("noise_dbv"), "at_analyzer_limit");
  EXPECT_EQ(flags.at("gain_db"), "") << "a level far above the floor";
  const auto shown = run_ampbench({"results", "show", "1", "--db", db});
  EXPECT_NE(shown.out.find("[at_analyzer_limit]"), std::string::npos) << shown.out;
}

}  // namespace

// A cable that carries nothing: every figure is missing with its reason, and the self-test
// fails rather than stops.
class DeadCable : public ampbench::audio::AudioPort {
 public:
  DeadCable() : AudioPort({1.8, -1.0, 0.25}, {2.0, 2.0}) {}
  double sample_rate_hz() const override { return 48000.0; }
  int output_count() const override { return 2; }
  int input_count() const override { return 2; }
  std::string describe() const override { return "dead cable"; }

 protected:
  ampbench::audio::Capture transfer(const ampbench::audio::AudioBuffer& stimulus, double) override {
    ampbench::audio::Capture capture;
    capture.audio.sample_rate_hz = 48000.0;
    for (const auto& channel : stimulus.channels) {
      std::vector<double> y(channel.size());
      for (double& v : y) v = 1e-6 * noise_(random_);
      capture.audio.channels.push_back(std::move(y));
      capture.peak_dbfs.push_back(-120.0);
    }
    return capture;
  }
  void idle(double) override {}

 private:
  std::mt19937_64 random_{3};
  std::normal_distribution<double> noise_{0.0, 1.0};
};

TEST(Selftest, ADeadCableFailsWithEveryFigureMissingAndWhy) {
  const auto station = ampbench::sequence::parse_station(station_text(""), "selftest.toml");
  DeadCable port;
  const auto r = ampbench::selftest::run_selftest(port, station);
  EXPECT_FALSE(r.passed());
  for (const auto& c : r.channels) {
    EXPECT_FALSE(c.residual_thdn_db.has_value());
    EXPECT_FALSE(c.latency_samples.has_value());
    EXPECT_FALSE(c.clock_ppm.has_value());
    EXPECT_GE(c.missing.size(), 2u);
  }
  EXPECT_FALSE(r.clock_ppm.has_value());
}
