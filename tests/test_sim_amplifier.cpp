// sim: the stages that make the simulated amplifier a real one (crossover, slew, polarity,
// hum harmonics, channel mismatch, the loopback cable), each against truth computed here
// from its documented model: a Fourier series by direct integration, a closed form, or
// the untouched chain's own samples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "audio/sim_port.hpp"
#include "dsp/dsp.hpp"
#include "sequence/bench.hpp"
#include "sequence/station.hpp"
#include "sim/crossover.hpp"
#include "sim/sim.hpp"
#include "sim_signals.hpp"

using namespace ampbench;
using ampbench::testing::stereo_sine;

namespace {

constexpr double kAmpFs = 96000.0;
constexpr double kPi = std::numbers::pi;
const std::string kBenchStation = std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml";

// Amplitude of harmonic `order` of y(A·sin θ) over one period, by the midpoint rule (the
// integrand is smooth and periodic: the rule converges geometrically).
template <typename Curve>
double fourier_sine_amplitude(Curve curve, double amplitude, int order) {
  const int n = 1 << 16;
  double s = 0.0, c = 0.0;
  for (int i = 0; i < n; ++i) {
    const double theta = 2.0 * kPi * (i + 0.5) / n;
    const double y = curve(amplitude * std::sin(theta));
    s += y * std::sin(order * theta);
    c += y * std::cos(order * theta);
  }
  return 2.0 * std::hypot(s, c) / n;
}

dsp::ToneAnalysis analyse(const std::vector<double>& y, double f) {
  dsp::ToneAnalysisOptions o;
  o.fundamental_hz = f;
  o.band = dsp::FrequencyBand::full();
  o.max_harmonic_order = 15;
  return dsp::analyze_tone(y, kAmpFs, o);
}

// A power amp of 26 dB with nothing but the model under test, driven by a sine of
// `amplitude_out` volts peak at its output; the settled output.
std::vector<double> power_amp_output(const sim::PowerAmpModel& model, double f,
                                     double amplitude_out, std::size_t n = 65536) {
  sim::PowerAmpStage stage(model, kAmpFs);
  const double gain = dsp::db_to_amplitude_ratio(model.gain_db);
  const std::size_t settle = 9600;
  const auto x = dsp::generate_sine(f, amplitude_out / gain, kAmpFs, settle + n);
  std::vector<double> y(n);
  for (std::size_t i = 0; i < settle + n; ++i) {
    const double v = stage.process(x[i]);
    if (i >= settle) y[i - settle] = v;
  }
  return y;
}

sim::PowerAmpModel plain_power_amp() {
  sim::PowerAmpModel m;
  m.gain_db = 26.0;
  m.rail_v = 1000.0;  // no clipping in these tests
  m.current_limit_a = 1000.0;
  return m;
}

}  // namespace

TEST(SimCrossover, HarmonicsFollowTheTransferCurve) {
  auto m = plain_power_amp();
  m.crossover_v = 0.1;
  m.crossover_depth = 0.3;
  const auto curve = [&](double e) { return sim::crossover(e, m.crossover_v, m.crossover_depth); };
  // Well above, near and below the crossover region.
  for (double amplitude : {5.0, 0.3, 0.05}) {
    const double h1 = fourier_sine_amplitude(curve, amplitude, 1);
    double harmonics = 0.0;
    for (int n = 2; n <= 15; ++n)
      harmonics += std::pow(fourier_sine_amplitude(curve, amplitude, n), 2);
    const double thd_truth_db = 10.0 * std::log10(harmonics) - 20.0 * std::log10(h1);
    // 997 Hz: not a divisor of fs, so the samples do not repeat every few periods.
    const auto a = analyse(power_amp_output(m, 997.0, amplitude), 997.0);
    EXPECT_NEAR(a.thd_db(), thd_truth_db, 0.05) << amplitude << " V";
    EXPECT_NEAR(std::sqrt(2.0 * a.fundamental_mean_square_fs), h1, h1 * 1e-4);
  }
  // The gain dip at zero: the incremental gain there is 1 − depth.
  EXPECT_NEAR(sim::crossover(1e-9, 0.1, 0.3) / 1e-9, 0.7, 1e-6);
}

TEST(SimSlew, ClosedFormBelowAndTriangleAbove) {
  auto m = plain_power_amp();
  m.slew_v_per_us = 2.0;
  const double step = m.slew_v_per_us * 1e6 / kAmpFs;
  // 10 kHz at 20 V peak needs 2π·10k·20 = 1.26 V/µs: untouched.
  const double f = 10000.0;
  const auto gentle = power_amp_output(m, f, 20.0, 16384);
  const auto x = dsp::generate_sine(f, 20.0, kAmpFs, 9600 + 16384);
  for (std::size_t i = 0; i < gentle.size(); ++i) ASSERT_NEAR(gentle[i], x[9600 + i], 1e-9);
  // 1 kHz at 2 kV peak would need 12.6 V/µs: a triangle of slope S, peak S/(4f), whose
  // fundamental is 8/π² of its peak and whose odd harmonics fall as 1/n² (1 kHz keeps the
  // ones that matter far below fs/2, where sampling would fold them).
  const double f_steep = 1000.0;
  const auto steep = power_amp_output(m, f_steep, 2000.0, 16384 * 3);
  double largest_step = 0.0, highest = 0.0, lowest = 0.0;
  for (std::size_t i = 1; i < steep.size(); ++i) {
    largest_step = std::max(largest_step, std::abs(steep[i] - steep[i - 1]));
    highest = std::max(highest, steep[i]);
    lowest = std::min(lowest, steep[i]);
  }
  EXPECT_LE(largest_step, step * (1 + 1e-12));
  // Peak to peak: the limiter keeps whatever offset the start-up gave the triangle.
  const double triangle_peak = m.slew_v_per_us * 1e6 / (4.0 * f_steep);
  EXPECT_NEAR((highest - lowest) / 2.0 / triangle_peak, 1.0, 0.002);
  const auto a = analyse(steep, f_steep);
  EXPECT_NEAR(std::sqrt(2.0 * a.fundamental_mean_square_fs) / (8.0 / (kPi * kPi) * triangle_peak),
              1.0, 0.002);
  double harmonics = 0.0;
  for (int n = 3; n <= 15; n += 2) harmonics += 1.0 / std::pow(n, 4);
  EXPECT_NEAR(a.thd_db(), 10.0 * std::log10(harmonics), 0.05);
}

namespace {

sequence::Station quiet_station() {
  auto s = sequence::load_station(kBenchStation);
  s.sim->adc_noise_dbfs = -300.0;
  s.sim->crosstalk_db = -300.0;
  s.sim->preamp->noise_nv_per_rthz = 0.0;
  return s;
}

}  // namespace

TEST(SimFaults, InvertedChannelIsTheGoodOneNegated) {
  auto station = quiet_station();
  station.sim->serial_faults["INV-R"][2] = sim::Fault::inverted;
  const auto stimulus = stereo_sine(1000.0, 0.1, *sequence::open_audio_port(station, "X"), 9600);
  const auto good = sequence::open_audio_port(station, "GOOD")->play_and_capture(stimulus);
  const auto inv = sequence::open_audio_port(station, "INV-R")->play_and_capture(stimulus);
  for (std::size_t i = 0; i < 9600; ++i) {
    ASSERT_DOUBLE_EQ(inv.audio.channels[0][i], good.audio.channels[0][i]);
    ASSERT_NEAR(inv.audio.channels[1][i], -good.audio.channels[1][i], 1e-12);
  }
}

TEST(SimFaults, HumCarriesItsHarmonics) {
  auto station = quiet_station();
  station.sim->serial_faults["HUM"][0] = sim::Fault::hum;
  auto port = sequence::open_audio_port(station, "HUM");
  audio::AudioBuffer silence;
  silence.sample_rate_hz = kAmpFs;
  silence.channels.assign(2, std::vector<double>(96000 * 2, 0.0));
  const auto cap = port->play_and_capture(silence);
  // 1.5 s of settled output: 50, 100 and 150 Hz each on whole periods.
  const auto s =
      dsp::power_spectrum(std::span(cap.audio.channels[0]).subspan(48000, 144000), kAmpFs,
                          dsp::WindowKind::blackman_harris_7, dsp::DcLevel::remove);
  const double h1 = dsp::tone_mean_square_at(s, 50.0);
  EXPECT_NEAR(10.0 * std::log10(dsp::tone_mean_square_at(s, 100.0) / h1),
              sim::kHumFaultHarmonicsDb[0], 0.02);
  EXPECT_NEAR(10.0 * std::log10(dsp::tone_mean_square_at(s, 150.0) / h1),
              sim::kHumFaultHarmonicsDb[1], 0.02);
}

TEST(SimChain, ChannelGainMismatchAndLoopbackCableGain) {
  auto station = quiet_station();
  station.sim->channel_gain_db[2] = -0.3;
  station.sim->loopback_gain_db = -0.7;
  station.audio.loopback = std::pair{3, 3};
  auto port = sequence::open_audio_port(station, "X");
  ASSERT_EQ(port->output_count(), 3);
  const auto cap = port->play_and_capture(stereo_sine(1000.0, 0.1, *port, 96000));
  const auto level = [&](int c) {
    return analyse(std::vector<double>(cap.audio.channels[c].begin() + 30000,
                                       cap.audio.channels[c].end()),
                   1000.0)
        .level_dbfs;
  };
  EXPECT_NEAR(level(1) - level(0), -0.3, 0.001);
  // The reference: DAC straight to ADC (2.0 / 2.0 Vrms at 0 dBFS) through the cable.
  EXPECT_NEAR(level(2) - dsp::amplitude_ratio_to_db(0.1 / 2.0), -0.7, 0.001);
}

// The chain's power amp clips a 20 kHz tone by 1 % THD: its harmonics (60, 100, 140 kHz, …)
// lie above the band, so in 20 Hz to 20 kHz the closed form holds the fundamental alone, of
// the clipped sine's first Fourier coefficient. Sampled at the base rate (process(), the
// equations sample by sample) the 5th harmonic folds to 4 kHz (96 kHz) and the 3rd to 12 kHz
// (48 kHz) at −42 dB; oversampled to 768 kHz, only the 37th harmonic on can fold, −75 dB.
TEST(SimPowerAmp, AClipped20kHzToneFoldsNothingIntoTheBand) {
  auto m = plain_power_amp();
  m.rail_v = 30.0;
  m.crossover_v = 0.05;
  m.crossover_depth = 0.002;
  m.slew_v_per_us = 20.0;  // 20 kHz at 31 V needs 3.9 V/µs: not slew limited
  const auto curve = [&](double e) {
    return std::clamp(sim::crossover(e, m.crossover_v, m.crossover_depth), -m.rail_v, m.rail_v);
  };
  const double requested = 31.0, f = 20000.0;
  const double h1 = fourier_sine_amplitude(curve, requested, 1);
  double harmonics = 0.0;
  for (int n = 2; n <= 15; ++n)
    harmonics += std::pow(fourier_sine_amplitude(curve, requested, n), 2);
  ASSERT_NEAR(std::sqrt(harmonics) / h1, 0.01, 0.003);  // 1 % THD, all above the band
  const double gain = dsp::db_to_amplitude_ratio(m.gain_db);
  for (double fs : {96000.0, 48000.0}) {
    const std::size_t settle = 4096, n = 65536;
    const auto x = dsp::generate_sine(f, requested / gain, fs, settle + n);
    sim::PowerAmpStage chain(m, fs), equations(m, fs);
    auto played = x, sampled = x;
    for (std::size_t at = 0; at < played.size(); at += 1000)
      chain.process_block(
          std::span(played).subspan(at, std::min<std::size_t>(1000, played.size() - at)), {});
    for (double& v : sampled) v = equations.process(v);
    dsp::ToneAnalysisOptions o;
    o.fundamental_hz = f;
    o.band = dsp::FrequencyBand::audio();
    const auto a = dsp::analyze_tone(std::span(played).subspan(settle), fs, o);
    const auto folded = dsp::analyze_tone(std::span(sampled).subspan(settle), fs, o);
    // A Kaiser filter's passband: flat to 0.001 dB at 20 kHz.
    EXPECT_NEAR(dsp::amplitude_ratio_to_db(std::sqrt(2.0 * a.fundamental_mean_square_fs) / h1), 0.0,
                0.001)
        << fs;
    // Everything else in the band is what folded (the analysis's own floor lies far below).
    EXPECT_LT(a.thdn_db(), -72.0) << fs << " Hz";
    EXPECT_GT(folded.thdn_db(), -50.0) << fs << " Hz";
  }
}
