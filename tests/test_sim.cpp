// sim: each stage against truth computed here from its documented model, and the whole
// default station through the AudioPort and the analyzer.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <complex>
#include <fstream>
#include <iterator>
#include <numbers>
#include <thread>

#include "audio/sim_port.hpp"
#include "dsp/dsp.hpp"
#include "instruments/drivers.hpp"
#include "instruments/sim_server.hpp"
#include "sequence/bench.hpp"
#include "sequence/station.hpp"
#include "sim/bench_wiring.hpp"
#include "sim/sim.hpp"
#include "sim_signals.hpp"

using namespace ampbench;
using ampbench::testing::stereo_sine;

namespace {

constexpr double kFs = 96000.0;
const std::string kStation = std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml";

// Runs a sine of `amplitude` volts peak through `process` and returns the analysis of the
// settled output, in volts.
template <typename Process>
dsp::ToneAnalysis through(Process process, double f, double amplitude, std::size_t n = 65536) {
  const std::size_t settle = 48000;
  auto x = dsp::generate_sine(f, amplitude, kFs, n + settle);
  std::vector<double> y(n);
  for (std::size_t i = 0; i < settle; ++i) process(x[i]);
  for (std::size_t i = 0; i < n; ++i) y[i] = process(x[settle + i]);
  dsp::ToneAnalysisOptions o;
  o.fundamental_hz = f;
  o.band = dsp::FrequencyBand::full();
  return dsp::analyze_tone(y, kFs, o);
}

double gain_db(const dsp::ToneAnalysis& a, double amplitude) {
  return a.level_dbfs - dsp::amplitude_ratio_to_db(amplitude);
}

// Bilinear transform prewarped at the corner: the analogue prototype at Ω = tan(πf/fs)/tan(πfc/fs).
double warped(double f, double fc) {
  return std::tan(std::numbers::pi * f / kFs) / std::tan(std::numbers::pi * fc / kFs);
}

}  // namespace

TEST(SimNoise, ZigguratIsStandardNormal) {
  sim::GaussianSource g(99);
  const int n = 4'000'000;
  double sum = 0, sum2 = 0, sum4 = 0;
  int beyond3 = 0, beyond4 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = g.next();
    sum += x;
    sum2 += x * x;
    sum4 += x * x * x * x;
    beyond3 += std::abs(x) > 3.0;
    beyond4 += std::abs(x) > 4.0;
  }
  const double mean = sum / n, var = sum2 / n;
  EXPECT_NEAR(mean, 0.0, 0.002);
  EXPECT_NEAR(var, 1.0, 0.003);
  EXPECT_NEAR(sum4 / n / (var * var), 3.0, 0.02);
  EXPECT_NEAR(beyond3 / double(n), 2.6998e-3, 1.5e-4);  // 2·Q(3)
  EXPECT_NEAR(beyond4 / double(n), 6.334e-5, 1.5e-5);   // 2·Q(4): the tail layer works
}

TEST(SimPreamp, GainWithinOneThousandthDb) {
  sim::PreampModel m;
  m.gain_db = 23.7;
  sim::PreampStage stage(m, kFs, 1);
  EXPECT_NEAR(gain_db(through([&](double v) { return stage.process(v); }, 1000.0, 0.01), 0.01),
              23.7, 0.001);
}

TEST(SimPreamp, FilterResponseMatchesClosedForm) {
  sim::PreampModel m;
  m.highpass_hz = 20.0;
  m.lowpass_hz = 10000.0;
  m.lowpass_q = std::numbers::sqrt2 / 2.0;
  for (double f : {20.0, 50.0, 1000.0, 10000.0, 20000.0}) {
    sim::PreampStage stage(m, kFs, 1);
    const double w_hp = warped(f, 20.0), w_lp = warped(f, 10000.0);
    const std::complex<double> j(0.0, 1.0);
    const auto hp = j * w_hp / (1.0 + j * w_hp);
    const auto lp = 1.0 / (1.0 - w_lp * w_lp + j * w_lp / m.lowpass_q);
    const double truth_db = dsp::amplitude_ratio_to_db(std::abs(hp * lp));
    EXPECT_NEAR(gain_db(through([&](double v) { return stage.process(v); }, f, 0.5), 0.5), truth_db,
                0.01)
        << f << " Hz";
    EXPECT_NEAR(dsp::amplitude_ratio_to_db(std::abs(stage.linear_response(f))), truth_db, 1e-9);
  }
}

TEST(SimPreamp, PolynomialHarmonicsMatchClosedForm) {
  sim::PreampModel m;
  m.gain_db = 6.0;
  m.a2_per_volt = 0.01;
  m.a3_per_volt2 = 0.004;
  sim::PreampStage stage(m, kFs, 1);
  const double input = 0.5;
  const double v = input * dsp::db_to_amplitude_ratio(6.0);
  const auto a = through([&](double x) { return stage.process(x); }, 1000.0, input);
  const double h1 = v + 3.0 * m.a3_per_volt2 * v * v * v / 4.0;
  EXPECT_NEAR(a.level_dbfs, dsp::amplitude_ratio_to_db(h1), 0.001);
  EXPECT_NEAR(a.harmonics[0].level_dbc,
              dsp::amplitude_ratio_to_db(m.a2_per_volt * v * v / 2.0 / h1), 0.01);
  EXPECT_NEAR(a.harmonics[1].level_dbc,
              dsp::amplitude_ratio_to_db(m.a3_per_volt2 * v * v * v / 4.0 / h1), 0.01);
}

TEST(SimPowerAmp, ClipLevelFollowsRailSagAndCurrentLimit) {
  sim::PowerAmpModel m;
  m.gain_db = 26.0;
  m.rail_v = 45.0;
  m.rail_source_ohm = 0.25;
  m.current_limit_a = 9.0;
  m.output_impedance_ohm = 0.05;
  for (double load : {16.0, 8.0, 4.0, 2.0}) {
    const double by_rail = m.rail_v * load / (load + m.output_impedance_ohm + m.rail_source_ohm);
    const double by_current = m.current_limit_a * load;
    const double truth = std::min(by_rail, by_current);
    sim::PowerAmpStage stage(m);
    stage.set_load_ohm(load);
    double peak = 0.0;
    for (int i = 0; i < 1000; ++i) peak = std::max(peak, stage.process(10.0 * std::sin(0.01 * i)));
    EXPECT_NEAR(peak / truth, 1.0, 0.005) << load << " ohm";
    EXPECT_NEAR(stage.clip_peak_v(load) / truth, 1.0, 0.005);
  }
  // At 4 ohm the current limit, not the rail, sets the swing.
  EXPECT_LT(sim::PowerAmpStage(m).clip_peak_v(4.0), 45.0 * 4.0 / 4.3 - 1.0);
}

TEST(SimPowerAmp, OutputImpedanceDivider) {
  sim::PowerAmpModel m;
  m.output_impedance_ohm = 0.4;
  sim::PowerAmpStage open(m), loaded(m);
  loaded.set_load_ohm(8.0);
  const double g_open =
      gain_db(through([&](double v) { return open.process(v); }, 1000.0, 0.1), 0.1);
  const double g_loaded =
      gain_db(through([&](double v) { return loaded.process(v); }, 1000.0, 0.1), 0.1);
  EXPECT_NEAR(g_open, 26.0, 0.001);
  EXPECT_NEAR(g_loaded - g_open, dsp::amplitude_ratio_to_db(8.0 / 8.4), 0.001);
}

namespace {

double measured_gain_db(const sequence::Station& s, const audio::Capture& cap, int channel,
                        double vrms_in) {
  const auto& x = cap.audio.channels[static_cast<std::size_t>(channel)];
  dsp::ToneAnalysisOptions o;
  o.fundamental_hz = 1000.0;
  const auto a =
      dsp::analyze_tone(std::span(x).subspan(x.size() - 65536), s.audio.sample_rate_hz, o);
  const double vrms_at_interface =
      s.audio.calibration.input_vrms_at_0dbfs * dsp::db_to_amplitude_ratio(a.level_dbfs);
  return dsp::amplitude_ratio_to_db(vrms_at_interface /
                                    dsp::db_to_amplitude_ratio(s.attenuator_gain_db) / vrms_in);
}

}  // namespace

TEST(SimChain, DefaultStationGainAt1kWithinOneHundredthDb) {
  const auto station = sequence::load_station(kStation);
  auto port = sequence::open_audio_port(station, "GOOD-1");
  const auto cap = port->play_and_capture(stereo_sine(1000.0, 0.1, *port, 96000));
  const auto& pre = *station.sim->preamp;
  const auto& pa = *station.sim->power_amp;
  const double f = 1000.0;
  const std::complex<double> j(0.0, 1.0);
  const double w_hp = warped(f, pre.highpass_hz), w_lp = warped(f, pre.lowpass_hz);
  const double filters =
      std::abs(j * w_hp / (1.0 + j * w_hp) / (1.0 - w_lp * w_lp + j * w_lp / pre.lowpass_q));
  const double truth = pre.gain_db + pa.gain_db +
                       dsp::amplitude_ratio_to_db(8.0 / (8.0 + pa.output_impedance_ohm)) +
                       dsp::amplitude_ratio_to_db(filters);
  EXPECT_NEAR(measured_gain_db(station, cap, 0, 0.1), truth, 0.01);
  EXPECT_NEAR(measured_gain_db(station, cap, 1, 0.1), truth, 0.01);
  EXPECT_EQ(cap.latency_samples, 96);
}

TEST(SimChain, SameSeedIsBitIdenticalAndFaultsDiffer) {
  const auto station = sequence::load_station(kStation);
  auto a = sequence::open_audio_port(station, "GOOD-1");
  auto b = sequence::open_audio_port(station, "GOOD-1");
  const auto stimulus = stereo_sine(1000.0, 0.1, *a, 96000);
  const auto ca = a->play_and_capture(stimulus);
  EXPECT_EQ(ca.audio.channels, b->play_and_capture(stimulus).audio.channels);
  const double good = measured_gain_db(station, ca, 0, 0.1);

  auto low = sequence::open_audio_port(station, "SIM-LOW-GAIN");
  EXPECT_LE(measured_gain_db(station, low->play_and_capture(stimulus), 0, 0.1), good - 3.0);

  auto dead = sequence::open_audio_port(station, "SIM-DEAD-R");
  const auto cd = dead->play_and_capture(stimulus);
  EXPECT_NEAR(measured_gain_db(station, cd, 0, 0.1), good, 0.01);  // L unaffected
  EXPECT_LT(measured_gain_db(station, cd, 1, 0.1), good - 60.0);

  auto hum = sequence::open_audio_port(station, "SIM-HUM");
  dsp::ToneAnalysisOptions o;
  o.fundamental_hz = 1000.0;
  const auto thdn_of = [&](const audio::Capture& c) {
    return dsp::analyze_tone(std::span(c.audio.channels[0]).subspan(96000 - 65536),
                             station.audio.sample_rate_hz, o)
        .thdn_db();
  };
  EXPECT_GT(thdn_of(hum->play_and_capture(stimulus)), thdn_of(ca) + 20.0);
}

TEST(SimChain, BypassedStagesPassTheirBlockThrough) {
  const auto station = sequence::load_station(kStation);
  auto port = sequence::open_audio_port(station, "GOOD-1");
  auto& chain = dynamic_cast<audio::SimPort&>(*port).chain();
  const auto stimulus = stereo_sine(1000.0, 0.1, *port, 96000);
  const double with_dut = measured_gain_db(station, port->play_and_capture(stimulus), 0, 0.1);
  // Preamp and power amp out of both channels: what is left is the interface's own path,
  // whose gain the station's calibration makes 0 dB (the crosstalk at -90 dB moves it by
  // less than 0.001 dB).
  int bypassed = 0;
  for (int c = 1; c <= 2; ++c)
    for (const auto& stage : chain.stages(c))
      if (dynamic_cast<sim::PreampStage*>(stage.get()) ||
          dynamic_cast<sim::PowerAmpStage*>(stage.get())) {
        stage->set_bypassed(true);
        ++bypassed;
      }
  EXPECT_EQ(bypassed, 4);
  chain.reset();
  EXPECT_NEAR(measured_gain_db(station, port->play_and_capture(stimulus), 0, 0.1), 0.0, 0.001);
  for (int c = 1; c <= 2; ++c)
    for (const auto& stage : chain.stages(c)) stage->set_bypassed(false);
  EXPECT_NEAR(measured_gain_db(station, port->play_and_capture(stimulus), 0, 0.1), with_dut, 0.01);
}

TEST(SimPort, RefusesStimulusAboveMaxOutputVrms) {
  const auto station = sequence::load_station(kStation);
  auto port = sequence::open_audio_port(station, "GOOD-1");
  EXPECT_THROW(port->play_and_capture(stereo_sine(1000.0, 1.81, *port, 9600)), SafetyError);
  EXPECT_EQ(port->transfer_count(), 0u);
  EXPECT_NO_THROW(port->play_and_capture(stereo_sine(1000.0, 1.79, *port, 9600)));
  EXPECT_EQ(port->transfer_count(), 1u);
}

TEST(SimPort, InputClippingStopsTheStimulusEarly) {
  auto station = sequence::load_station(kStation);
  station.attenuator_gain_db = -6.0;  // far too little attenuation for a power amp
  auto port = sequence::open_audio_port(station, "GOOD-1");
  try {
    port->play_and_capture(stereo_sine(1000.0, 1.0, *port, 960000));
    FAIL() << "no clipping reported";
  } catch (const audio::InputClippedError& e) {
    EXPECT_EQ(e.input(), 1);
    EXPECT_GT(e.peak_dbfs(), -1.0);
    EXPECT_NE(std::string(e.what()).find("max_input_dbfs"), std::string::npos);
  }
  // Stopped in the first block, not after the 10 s stimulus.
  EXPECT_LE(dynamic_cast<audio::SimPort&>(*port).last_transfer_frames(),
            audio::SimPort::kBlockFrames);
}

TEST(SimPort, CaptureIsAlignedWithTheStimulus) {
  auto station = sequence::load_station(kStation);
  station.sim->preamp.reset();
  station.sim->power_amp.reset();
  station.sim->adc_noise_dbfs = -300.0;
  station.sim->crosstalk_db = -300.0;
  station.attenuator_gain_db = 0.0;
  auto port = sequence::open_audio_port(station, "X");
  audio::AudioBuffer b;
  b.sample_rate_hz = kFs;
  b.channels.assign(2, std::vector<double>(1000, 0.0));
  b.channels[0][123] = 0.5;
  const auto cap = port->play_and_capture(b);
  EXPECT_DOUBLE_EQ(cap.audio.channels[0][123], 0.5);
  EXPECT_EQ(cap.audio.frames(), 1000u);
}

namespace {

// A block-processed sine through a preamp: gain in dB at f (source resistance source_ohm).
double block_gain_db(sim::PreampStage& stage, double f, double source_ohm = 0.0) {
  const std::size_t settle = 48000, n = 65536;
  auto x = dsp::generate_sine(f, 0.01, kFs, settle + n);
  for (std::size_t at = 0; at < x.size(); at += 4096)
    stage.process_block(std::span(x).subspan(at, std::min<std::size_t>(4096, x.size() - at)),
                        source_ohm);
  dsp::ToneAnalysisOptions o;
  o.fundamental_hz = f;
  o.band = dsp::FrequencyBand::full();
  return dsp::analyze_tone(std::span(x).subspan(settle), kFs, o).level_dbfs -
         dsp::amplitude_ratio_to_db(0.01);
}

sim::PreampModel preamp_with(const std::string& input, const sim::PreampInputModel& model) {
  sim::PreampModel m;
  m.inputs[input] = model;
  m.default_input = input;
  return m;
}

}  // namespace

TEST(SimPreamp, PhonoStageFollowsTheRiaaClosedFormWithinOneHundredthDb) {
  // IEC 60098: (1 + sT2)/((1 + sT1)(1 + sT3)), T = 3180, 318, 75 µs, re 1 kHz — written out
  // here, not taken from the code under test.
  const auto riaa_db = [](double f) {
    const auto h = [](double hz) {
      const std::complex<double> s(0.0, 2.0 * std::numbers::pi * hz);
      return std::abs((1.0 + s * 318e-6) / ((1.0 + s * 3180e-6) * (1.0 + s * 75e-6)));
    };
    return 20.0 * std::log10(h(f) / h(1000.0));
  };
  EXPECT_NEAR(riaa_db(20.0), 19.27, 0.005);  // the published table's ends
  EXPECT_NEAR(riaa_db(20000.0), -19.62, 0.005);
  sim::PreampInputModel phono;
  phono.riaa = true;
  phono.gain_db = 40.0;
  sim::PreampStage stage(preamp_with("phono", phono), kFs, 1);
  for (double f = 20.0; f <= 20000.0 * 1.0001; f *= std::pow(2.0, 1.0 / 3.0)) {
    EXPECT_NEAR(dsp::amplitude_ratio_to_db(std::abs(stage.linear_response(f))) - 40.0, riaa_db(f),
                0.01)
        << f << " Hz";
  }
  for (double f : {20.0, 100.0, 1000.0, 6000.0, 20000.0}) {
    stage.reset();
    EXPECT_NEAR(block_gain_db(stage, f) - 40.0, riaa_db(f), 0.01) << f << " Hz, processed";
  }
  // The riaa_error fault moves T2 to 350 µs: 0.7 dB off at 20 Hz, still 40 dB at 1 kHz.
  sim::PreampStage faulty(preamp_with("phono", phono), kFs, 1, sim::Fault::riaa_error);
  EXPECT_GT(std::abs(dsp::amplitude_ratio_to_db(std::abs(faulty.linear_response(20.0))) - 40.0 -
                     riaa_db(20.0)),
            0.5);
  EXPECT_NEAR(block_gain_db(faulty, 1000.0), 40.0, 0.01);
}

TEST(SimPreamp, ToneShelvesFollowTheirCookbookCoefficients) {
  // RBJ audio-EQ cookbook, S = 1, computed here from the formulas.
  const auto shelf_db = [](double f, double f0, double gain_db, bool high) {
    const double a = std::pow(10.0, gain_db / 40.0), w0 = 2.0 * std::numbers::pi * f0 / kFs;
    const double alpha = std::sin(w0) / 2.0 * std::sqrt(2.0), c = std::cos(w0),
                 k = 2.0 * std::sqrt(a) * alpha;
    double b0, b1, b2, a0, a1, a2;
    if (!high) {
      b0 = a * ((a + 1) - (a - 1) * c + k), b1 = 2 * a * ((a - 1) - (a + 1) * c),
      b2 = a * ((a + 1) - (a - 1) * c - k), a0 = (a + 1) + (a - 1) * c + k,
      a1 = -2 * ((a - 1) + (a + 1) * c), a2 = (a + 1) + (a - 1) * c - k;
    } else {
      b0 = a * ((a + 1) + (a - 1) * c + k), b1 = -2 * a * ((a - 1) + (a + 1) * c),
      b2 = a * ((a + 1) + (a - 1) * c - k), a0 = (a + 1) - (a - 1) * c + k,
      a1 = 2 * ((a - 1) - (a + 1) * c), a2 = (a + 1) - (a - 1) * c - k;
    }
    const std::complex<double> z = std::polar(1.0, -2.0 * std::numbers::pi * f / kFs);
    return 20.0 * std::log10(std::abs((b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)));
  };
  sim::PreampModel m;
  m.tone = sim::ToneControlModel{100.0, 10000.0, 12.0};
  sim::PreampStage stage(m, kFs, 1);
  stage.apply({"", 0.0, 12.0, -8.0, false});
  for (double f : {20.0, 100.0, 1000.0, 10000.0, 20000.0}) {
    const double truth = shelf_db(f, 100.0, 12.0, false) + shelf_db(f, 10000.0, -8.0, true);
    EXPECT_NEAR(dsp::amplitude_ratio_to_db(std::abs(stage.linear_response(f))), truth, 1e-9) << f;
    stage.reset();
    EXPECT_NEAR(block_gain_db(stage, f), truth, 0.01) << f << " Hz, processed";
  }
  EXPECT_NEAR(shelf_db(100.0, 100.0, 12.0, false), 6.0, 0.05);  // half the dB at the midpoint
  EXPECT_THROW(stage.apply({"", 0.0, 13.0, 0.0, false}), std::invalid_argument);
}

TEST(SimPreamp, InputDividerGainControlAndPhantom) {
  sim::PreampModel m;
  sim::PreampInputModel mic;
  mic.impedance_ohm = 2000.0;
  mic.phantom_v = 48.0;
  m.inputs["mic"] = mic;
  m.inputs["line"] = sim::PreampInputModel{};
  m.default_input = "line";
  m.gain_control = sim::GainControlModel{-20.0, 20.0, 0.5};
  sim::PreampStage stage(m, kFs, 1);
  // 47 k line input from a 10 k source: 47/57.
  EXPECT_NEAR(block_gain_db(stage, 1000.0, 10000.0), 20.0 * std::log10(47.0 / 57.0), 0.001);
  stage.apply({"mic", 7.3, 0.0, 0.0, true});  // steps of 0.5 dB: 7.5 dB
  stage.reset();
  EXPECT_NEAR(block_gain_db(stage, 1000.0, 150.0), 7.5 + 20.0 * std::log10(2000.0 / 2150.0), 0.001);
  EXPECT_DOUBLE_EQ(stage.phantom_v(), 48.0);
  EXPECT_DOUBLE_EQ(stage.input_impedance_ohm(), 2000.0);
  EXPECT_THROW(stage.apply({"line", 0.0, 0.0, 0.0, true}), std::invalid_argument);  // no phantom
  EXPECT_THROW(stage.apply({"aux", 0.0, 0.0, 0.0, false}), std::invalid_argument);
  EXPECT_THROW(stage.apply({"mic", 25.0, 0.0, 0.0, false}), std::invalid_argument);
  stage.apply({"mic", 0.0, 0.0, 0.0, false});
  EXPECT_DOUBLE_EQ(stage.phantom_v(), 0.0);
  sim::PreampStage dead(m, kFs, 1, sim::Fault::dead_mic);
  dead.apply({"mic", 0.0, 0.0, 0.0, false});
  EXPECT_EQ(std::abs(dead.linear_response(1000.0)), 0.0);
}

TEST(SimWiring, TheDmmBehindASocketReadsWhatTheWiringJustPutOnItsProbes) {
  // The wiring and the DMM driver hold two connections to one server; a wiring message the
  // server had not yet read when the driver's query arrived gave a stale reading (0 V of
  // phantom on a good unit in half the runs).
  const auto profile = instruments::load_profile(
      "keysight-34461a", {std::string(AMPBENCH_SOURCE_DIR) + "/instruments/profiles"});
  auto meter = std::make_shared<instruments::SimInstrument>(profile);
  instruments::SimInstrumentServer server("127.0.0.1", 0, meter);
  std::atomic<bool> stop{false};
  std::thread serving([&] { server.serve(stop); });
  const auto resource = instruments::parse_visa_resource(
      "TCPIP0::127.0.0.1::" + std::to_string(server.port()) + "::SOCKET");
  {
    sim::InstrumentSimWiring wiring(std::nullopt, std::nullopt, {},
                                    sim::WiredInstrument{resource, profile});
    instruments::Dmm dmm(instruments::connect_instrument(resource, profile, "dmm"), profile);
    int stale = 0;
    for (int i = 0; i < 200; ++i) {
      const double volts = i % 2 == 0 ? 48.0 : 0.0;
      wiring.input_pins_carry(volts);
      if (std::abs(dmm.read_dc_v() - volts) > 1e-6) ++stale;
    }
    EXPECT_EQ(stale, 0) << "of 200 readings";
  }
  stop = true;
  serving.join();
}

// [sim] unit_spread: each serial's preamp drawn around the model with the stated σ, every
// figure from its own draw, the same serial always the same unit.
TEST(SimChain, UnitSpreadDrawsEachSerialsPreampWithTheStatedSigma) {
  auto station = sequence::load_station(kStation);
  station.sim->unit_spread = {0.0, 5.0, 2.0, 10.0, 1.0};
  station.sim->power_amp.reset();  // its output network's design is most of a chain's cost
  const auto& nominal = *station.sim->preamp;
  const auto preamp_of = [&](const std::string& serial) {
    const sim::SimChain chain(*station.sim, {}, 48000.0, 1, serial);
    for (const auto& stage : chain.stages(1))
      if (const auto* p = dynamic_cast<const sim::PreampStage*>(stage.get())) return p->model();
    throw std::logic_error("no preamp stage");
  };
  constexpr int kUnits = 400;
  std::vector<double> hp, lp, a2, noise;
  for (int u = 0; u < kUnits; ++u) {
    const auto m = preamp_of("SN-" + std::to_string(u));
    hp.push_back((m.highpass_hz / nominal.highpass_hz - 1.0) * 100.0);
    lp.push_back((m.lowpass_hz / nominal.lowpass_hz - 1.0) * 100.0);
    a2.push_back((m.a2_per_volt / nominal.a2_per_volt - 1.0) * 100.0);
    EXPECT_DOUBLE_EQ(m.a3_per_volt2 / nominal.a3_per_volt2, m.a2_per_volt / nominal.a2_per_volt);
    noise.push_back(dsp::amplitude_ratio_to_db(m.noise_nv_per_rthz / nominal.noise_nv_per_rthz));
  }
  const auto mean = [](const std::vector<double>& v) {
    double s = 0.0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  const auto sigma = [&](const std::vector<double>& v) {
    const double m = mean(v);
    double s = 0.0;
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / static_cast<double>(v.size() - 1));
  };
  // 400 draws: the sample σ within ±12 % (3.4 standard errors), the mean within 4 of them.
  const std::pair<const std::vector<double>*, double> figures[] = {
      {&hp, 5.0}, {&lp, 2.0}, {&a2, 10.0}, {&noise, 1.0}};
  for (const auto& [values, stated] : figures) {
    EXPECT_NEAR(sigma(*values), stated, 0.12 * stated);
    EXPECT_NEAR(mean(*values), 0.0, 4.0 * stated / std::sqrt(kUnits));
  }
  // Independent draws: the corners' correlation near 0 (|r| < 0.15, 3 standard errors).
  double r = 0.0;
  for (int u = 0; u < kUnits; ++u) r += (hp[u] - mean(hp)) * (lp[u] - mean(lp));
  EXPECT_LT(std::abs(r / (kUnits - 1) / sigma(hp) / sigma(lp)), 0.15);
  EXPECT_EQ(preamp_of("SN-7").highpass_hz, preamp_of("SN-7").highpass_hz);
  EXPECT_DOUBLE_EQ(preamp_of("SN-7").highpass_hz / nominal.highpass_hz, 1.0 + hp[7] / 100.0);
}

TEST(SimChain, UnitSpreadIsReadFromTheStationAndItsFieldsChecked) {
  const auto with = [](const std::string& line) {
    std::ifstream in(kStation);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find("[sim]\n"), 6, "[sim]\n" + line + "\n");
    return text;
  };
  const auto spread = sequence::parse_station(
                          with("unit_spread = { gain_db = 0.1, lowpass_pct = 3 }"), "spread.toml")
                          .sim->unit_spread;
  EXPECT_EQ(spread.gain_db, 0.1);
  EXPECT_EQ(spread.lowpass_pct, 3.0);
  EXPECT_EQ(spread.highpass_pct, 0.0);
  EXPECT_EQ(sequence::parse_station(with("unit_gain_sigma_db = 0.2"), "old.toml")
                .sim->unit_spread.gain_db,
            0.2);
  const auto error_of = [&](const std::string& line) {
    try {
      sequence::parse_station(with(line), "bad.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("unit_spread = { gain_db = -1 }").find("sim.unit_spread.gain_db"),
            std::string::npos);
  EXPECT_NE(error_of("unit_spread = { corner_pct = 1 }").find("corner_pct"), std::string::npos);
  EXPECT_NE(error_of("unit_gain_sigma_db = 0.1\nunit_spread = { gain_db = 0.1 }")
                .find("unit_gain_sigma_db"),
            std::string::npos);
}
