// sequence: the psrr step (SPEC §17) on the simulated power amplifier's supply coupling,
// against the model's closed form (docs/simulation.md, Supply ripple).
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <map>
#include <numbers>

#include "instruments/sim_instrument.hpp"
#include "sequence/checks.hpp"
#include "sequence_runs.hpp"
#include "sim/sim.hpp"

using namespace ampbench;
using ampbench::testing::quiet_sim_bench;
using ampbench::testing::run_text;

namespace {

// −20·log10|k·(1 + (1 − e^(−jω))·fs/(2π·fc))|: the model's equation.
double model_psrr_db(const sim::PowerAmpModel& m, double f, double fs) {
  const std::complex<double> z =
      std::exp(std::complex<double>(0.0, -2.0 * std::numbers::pi * f / fs));
  const double k = std::pow(10.0, -m.psrr_db / 20.0);
  const double rise =
      m.psrr_corner_hz > 0.0 ? fs / (2.0 * std::numbers::pi * m.psrr_corner_hz) : 0.0;
  return -20.0 * std::log10(std::abs(k * (1.0 + (1.0 - z) * rise)));
}

}  // namespace

// 1 Vrms of ripple at 20 Hz to 20 kHz: each channel's PSRR within 0.05 dB of the model (80 dB
// flat, rising coupling above 1 kHz: 54 dB at 20 kHz), a curve per channel; the ripple
// generator is off after the step.
TEST(Psrr, TheModelsRejectionAtEveryFrequency) {
  const auto station = quiet_sim_bench();
  const auto run = run_text(R"([sequence]
name = "psrr"
channels = ["L", "R"]
[[step]]
id = "psrr"
kind = "psrr"
ripple = "1 V"
load_ohm = 8
sweep = { parameter = "stimulus.frequency_hz", values = [20, 100, 1000, 10000, 20000] }
limits.psrr_db = { min = 50 }
)",
                            station)
                       .record;
  const auto& step = run.steps.at(0);
  ASSERT_EQ(step.verdict, record::Verdict::pass) << step.message;
  EXPECT_EQ(step.params["conditions"]["ripple"], "1 Vrms ripple on the supply");
  const double fs = station.audio.sample_rate_hz;
  int checked = 0;
  for (const auto& m : step.measurements) {
    if (m.name != "psrr_db") continue;
    const double f = m.point["stimulus.frequency_hz"].get<double>();
    EXPECT_NEAR(m.value, model_psrr_db(*station.sim->power_amp, f, fs), 0.05) << f;
    EXPECT_TRUE(m.note.empty()) << m.note;
    ++checked;
  }
  EXPECT_EQ(checked, 2 * 5);
  int curves = 0;
  for (const auto& c : step.curves) curves += c.name == "psrr_db";
  EXPECT_EQ(curves, 2);
  const auto ripple =
      instruments::sim_instrument_named("ripple", station.ripple->instrument.loaded);
  EXPECT_FALSE(ripple->state().output_on);
}

// Supply coupling reads the fault's 30 dB in the supply test; ripple above the station's
// max_vrms, or a station without a [ripple] generator, is refused before anything plays.
TEST(Psrr, SupplyCouplingReadsItsThirtyDbAndTheRippleIsBounded) {
  const auto station = ampbench::testing::shipped_station("sim-bench.toml");
  const auto plan = ampbench::testing::shipped_sequence("poweramp-supply.toml");
  ASSERT_TRUE(plan);
  const auto coupled = ampbench::testing::run_plan(*plan, station, "SIM-SUPPLY-COUPLING");
  int readings = 0;
  for (const auto& step : coupled.steps)
    for (const auto& m : step.measurements)
      if (step.step_id == "psrr" && m.name == "psrr_db") {
        EXPECT_NEAR(m.value, sim::kSupplyCouplingFaultDb, 0.05);
        ++readings;
      }
  EXPECT_EQ(readings, 2);

  ampbench::testing::TempDir dir;
  std::ofstream(dir / "s.toml") << R"([sequence]
name = "psrr"
channels = ["L", "R"]
[[step]]
id = "psrr"
kind = "psrr"
ripple = "3 V"
stimulus = { frequency_hz = 100 }
)";
  std::vector<std::string> errors;
  const auto hot = sequence::load_sequence(dir / "s.toml", {}, errors);
  ASSERT_TRUE(hot);
  auto problems = sequence::check_plan(*hot, station);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("s.toml:7: field 'step.psrr.ripple': 3 Vrms is above the station's "
                             "[ripple] max_vrms of 2 Vrms"),
            std::string::npos)
      << problems[0];
  auto bare = station;
  bare.ripple.reset();
  problems = sequence::check_plan(*hot, bare);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("needs the station's [ripple] generator"), std::string::npos)
      << problems[0];
}
