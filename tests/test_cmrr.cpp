// sequence: the cmrr step (SPEC §17) on the simulated preamp's balanced input, against the
// model's closed form (docs/simulation.md, Common mode).
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <map>
#include <numbers>

#include "sequence/checks.hpp"
#include "sequence_runs.hpp"
#include "sim/sim.hpp"

using namespace ampbench;
using ampbench::testing::quiet_sim_preamp;
using ampbench::testing::run_text;

namespace {

// −20·log10|m + s + k·(1 + (1 − e^(−jω))·fs/(2π·fc))|: the model's equation, s the source
// imbalance's share (0 without one).
double model_cmrr_db(const sim::PreampModel& m, double f, double fs, double s = 0.0) {
  const std::complex<double> z =
      std::exp(std::complex<double>(0.0, -2.0 * std::numbers::pi * f / fs));
  const double k = std::pow(10.0, -m.cmrr_db / 20.0);
  const auto h = m.cmrr_mismatch_pct / 100.0 + s +
                 k * (1.0 + (1.0 - z) * fs / (2.0 * std::numbers::pi * m.cmrr_corner_hz));
  return -20.0 * std::log10(std::abs(h));
}

const char* kOneTone = R"([sequence]
name = "cmrr"
channels = ["L", "R"]
[[step]]
id = "cmrr"
kind = "cmrr"
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
)";

}  // namespace

// Over frequency, on two inputs whose gains differ by 20 dB: each within 0.05 dB of the model
// (the gain cancels), a curve per input and channel; the step after it is driven normally
// again (the mic input's 40 dB).
TEST(Cmrr, TheModelsRejectionOnEveryInputAndFrequency) {
  const auto station = quiet_sim_preamp();
  const auto run = run_text(R"([sequence]
name = "cmrr"
channels = ["L", "R"]
[[step]]
id = "cmrr"
kind = "cmrr"
dut = { input = ["line", "mic"] }
stimulus = { level = "-40 dBV" }
sweep = { parameter = "stimulus.frequency_hz", values = [50, 1000, 10000, 20000] }
limits.cmrr_db = { min = 60 }
[[step]]
id = "after"
kind = "level"
dut = { input = "mic" }
stimulus = { frequency_hz = 1000, level = "-40 dBV" }
)",
                            station)
                       .record;
  const auto& step = run.steps.at(0);
  ASSERT_EQ(step.verdict, record::Verdict::pass) << step.message;
  const double fs = station.audio.sample_rate_hz;
  int checked = 0;
  for (const auto& m : step.measurements) {
    ASSERT_EQ(m.name, "cmrr_db");
    const double f = m.point["stimulus.frequency_hz"].get<double>();
    EXPECT_NEAR(m.value, model_cmrr_db(*station.sim->preamp, f, fs), 0.05) << m.point.dump();
    EXPECT_TRUE(m.note.empty()) << m.note;
    ++checked;
  }
  EXPECT_EQ(checked, 2 * 4 * 2);  // inputs × frequencies × channels
  std::map<std::string, int> curves;
  for (const auto& c : step.curves)
    if (c.name == "cmrr_db") ++curves[c.point.dump()];
  EXPECT_EQ(curves.size(), 2u);
  for (const auto& [input, channels] : curves) EXPECT_EQ(channels, 2) << input;
  for (const auto& m : run.steps.at(1).measurements)
    if (m.name == "gain_db") {
      EXPECT_NEAR(m.value, 40.0, 0.05) << m.channel;
    }
}

// A 10 Ω imbalance in the cold leg of the source on the mic input (2 kΩ: 1 kΩ a leg): the
// legs divide the common-mode voltage differently by ΔR/(Z_leg + R_s + ΔR), about 1 %, and
// CMRR falls to the model's −20·log10|m + s + k(…)|, 40 dB, within 0.05 dB; the condition is
// stored with the step, and the drive is normal again after it.
TEST(Cmrr, AnImbalancedSourceIsTheModelsDivider) {
  const auto station = quiet_sim_preamp();
  const auto run = run_text(R"([sequence]
name = "cmrr"
channels = ["L", "R"]
[[step]]
id = "cmrr"
kind = "cmrr"
dut = { input = "mic" }
source_imbalance_ohm = 10
stimulus = { level = "-40 dBV" }
sweep = { parameter = "stimulus.frequency_hz", values = [100, 1000, 10000] }
[[step]]
id = "after"
kind = "level"
dut = { input = "mic" }
stimulus = { frequency_hz = 1000, level = "-40 dBV" }
)",
                            station)
                       .record;
  const auto& step = run.steps.at(0);
  ASSERT_EQ(step.verdict, record::Verdict::pass) << step.message;
  EXPECT_EQ(step.params["conditions"]["source imbalance"], "10 Ω in the source's cold leg");
  const double leg = station.sim->preamp->inputs.at("mic").impedance_ohm / 2.0;
  const double s = 10.0 / (leg + station.sim->source_ohm + 10.0);
  int checked = 0;
  for (const auto& m : step.measurements) {
    const double f = m.point["stimulus.frequency_hz"].get<double>();
    EXPECT_NEAR(m.value, model_cmrr_db(*station.sim->preamp, f, station.audio.sample_rate_hz, s),
                0.05)
        << f;
    ++checked;
  }
  EXPECT_EQ(checked, 3 * 2);
  for (const auto& m : run.steps.at(1).measurements)
    if (m.name == "gain_db") {
      EXPECT_NEAR(m.value, 40.0, 0.05) << m.channel;
    }
}

// An input with no common-mode output at all (the default model): the common-mode tone is
// lost in the noise, and CMRR is a bound that says so, never a made-up figure.
TEST(Cmrr, AnIdealInputGivesABoundThatSaysSo) {
  auto station = quiet_sim_preamp();
  station.sim->adc_noise_dbfs = -120.0;
  station.sim->preamp->cmrr_db = 300.0;
  station.sim->preamp->cmrr_mismatch_pct = 0.0;
  const auto run = run_text(kOneTone, station).record;
  const auto& step = run.steps.at(0);
  ASSERT_EQ(step.measurements.size(), 2u) << step.message;
  for (const auto& m : step.measurements) {
    EXPECT_GT(m.value, 100.0);
    EXPECT_NE(m.note.find("a bound (at least)"), std::string::npos) << m.note;
  }
}

// A chain without a balanced input to drive is refused before anything plays.
TEST(Cmrr, AStationWithoutAPreampIsRefused) {
  auto station = quiet_sim_preamp();
  station.sim->preamp.reset();
  std::vector<std::string> errors;
  const auto plan = sequence::parse_sequence(kOneTone, "t.toml", {}, errors);
  ASSERT_TRUE(plan) << errors.at(0);
  errors = sequence::check_plan(*plan, station);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("no balanced input"), std::string::npos) << errors[0];
}
