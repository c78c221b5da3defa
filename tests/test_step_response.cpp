// sequence: the step_response step (SPEC §17) on the simulated power amplifier, against its
// slew limit (docs/simulation.md): a ramp of the model's slope between the square's levels.
#include <gtest/gtest.h>

#include <cmath>

#include "sequence_runs.hpp"
#include "sim/sim.hpp"

using namespace ampbench;
using ampbench::testing::quiet_sim_bench;
using ampbench::testing::run_text;

namespace {

const char* kSquare = R"([sequence]
name = "step response"
channels = ["L", "R"]
[defaults]
settle_s = 0.05
capture_s = 0.25
load_ohm = 8
[[step]]
id = "square"
kind = "step_response"
stimulus = { frequency_hz = 1000, level = "0 dBV" }
limits.slew_rate_v_per_us = { min = 1 }
)";

double value(const record::StepRecord& step, const std::string& name, const std::string& ch) {
  for (const auto& m : step.measurements)
    if (m.name == name && m.channel == ch) return m.value;
  return std::nan("");
}

}  // namespace

// An output slewing at 0.5 V/µs: a 1 V-peak square through 26 dB into 8 Ω (0.05 Ω behind it)
// swings ±19.83 V in a ramp of that slope. The slew rate within 1 % of the model's, the rise
// time 0.8·swing/slope within 1 %, the limit FAILs; the curve is one period.
TEST(StepResponse, ASlewLimitedOutputIsTheModelsRamp) {
  auto station = quiet_sim_bench();
  auto& pa = *station.sim->power_amp;
  pa.slew_v_per_us = 0.5;
  const auto run = run_text(kSquare, station).record;
  const auto& step = run.steps.at(0);
  EXPECT_EQ(step.verdict, record::Verdict::fail) << step.message;
  // The input stage ahead of the power amp is 0 dB at 1 kHz within 0.01 dB (sim-bench).
  const double swing =
      2.0 * std::pow(10.0, pa.gain_db / 20.0) * 8.0 / (8.0 + pa.output_impedance_ohm);
  for (const char* ch : {"L", "R"}) {
    EXPECT_NEAR(value(step, "slew_rate_v_per_us", ch), 0.5, 0.005) << ch;
    EXPECT_NEAR(value(step, "rise_time_us", ch), 0.8 * swing / 0.5, 0.01 * 0.8 * swing / 0.5) << ch;
  }
  int curves = 0;
  for (const auto& c : step.curves) {
    if (c.name != "step_response_v") continue;
    ++curves;
    // One period of 1 kHz in µs, a quarter sample (2.6 µs) apart.
    EXPECT_NEAR(c.x.back() - c.x.front(), 1000.0 - 1e6 / 96000.0 / 4.0, 1e-9);
  }
  EXPECT_EQ(curves, 2);
}

// Without a slew limit the edge is the stimulus's through the amplifier's bandwidth: its
// slew rate is a bound and says so; it passes the limit.
TEST(StepResponse, AnEdgeAsSteepAsTheStimulusIsABound) {
  const auto run = run_text(kSquare, quiet_sim_bench()).record;
  const auto& step = run.steps.at(0);
  EXPECT_EQ(step.verdict, record::Verdict::pass) << step.message;
  for (const auto& m : step.measurements)
    if (m.name == "slew_rate_v_per_us") {
      EXPECT_NE(m.note.find("a bound (at least)"), std::string::npos) << m.note;
    }
}

// A dead channel has no square to read: every figure missing, with why.
TEST(StepResponse, NoSignalLeavesEveryFigureMissing) {
  auto station = quiet_sim_bench();
  station.sim->adc_noise_dbfs = -100.0;
  station.sim->channel_faults = {{1, sim::Fault::dead_channel}, {2, sim::Fault::dead_channel}};
  const auto run = run_text(kSquare, station).record;
  const auto& step = run.steps.at(0);
  EXPECT_NE(step.verdict, record::Verdict::pass);
  ASSERT_EQ(step.measurements.size(), 6u);
  for (const auto& m : step.measurements) {
    EXPECT_FALSE(std::isfinite(m.value)) << m.name;
    EXPECT_NE(m.note.find("no square"), std::string::npos) << m.note;
  }
}
