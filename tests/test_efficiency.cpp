// sequence: the efficiency step (SPEC §17) on the simulated power amplifier and its supply
// model (docs/simulation.md, Supply), read through the simulated bench supply.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>

#include "sequence/checks.hpp"
#include "sequence_runs.hpp"
#include "sim/sim.hpp"

using namespace ampbench;
using ampbench::testing::quiet_sim_bench;
using ampbench::testing::run_text;

namespace {

const char* kSweep = R"([sequence]
name = "efficiency"
channels = ["L", "R"]
[[step]]
id = "efficiency"
kind = "efficiency"
load_ohm = 8
settle_s = 0.1
capture_s = 0.5
stimulus = { frequency_hz = 1000 }
sweep = { parameter = "stimulus.output_level", values = ["1 W", "10 W", "50 W", "100 W"] }
)";

struct Figures {
  double output_w = 0.0, supply_a = 0.0, supply_w = 0.0, efficiency_pct = 0.0;
  std::vector<double> channel_vrms;
};

// Each point's figures: the channels' output as the step measured it, the rest as stored.
std::map<std::string, Figures> by_point(const record::StepRecord& step, double load_ohm) {
  std::map<std::string, Figures> out;
  for (const auto& m : step.measurements) {
    auto& f = out[m.point.dump()];
    if (m.name == "power_w") f.channel_vrms.push_back(std::sqrt(m.value * load_ohm));
    if (m.name == "output_w") f.output_w = m.value;
    if (m.name == "supply_current_a") f.supply_a = m.value;
    if (m.name == "supply_w") f.supply_w = m.value;
    if (m.name == "efficiency_pct") f.efficiency_pct = m.value;
  }
  return out;
}

}  // namespace

// Class AB from 90 V: 50 mA a channel at rest plus half the mean |load current|, √2·V/(π·R) for
// a sine of V rms into R. At 1, 10, 50 and 100 W a channel into 8 Ω the supply current, the
// supply's watts and the efficiency are that closed form's within 1 % (the 100 W point is
// π/4·Vp/Vrail of a class-B stage, 68 %); efficiency versus output power is a curve.
TEST(Efficiency, ClassAbIsTheSupplyModelsClosedForm) {
  const auto step = run_text(kSweep, quiet_sim_bench()).record.steps.at(0);
  ASSERT_EQ(step.verdict, record::Verdict::pass) << step.message;
  const auto points = by_point(step, 8.0);
  ASSERT_EQ(points.size(), 4u);
  for (const auto& [point, f] : points) {
    ASSERT_EQ(f.channel_vrms.size(), 2u) << point;
    double amps = 0.0, watts_out = 0.0;
    for (const double v : f.channel_vrms) {
      amps += 0.05 + std::numbers::sqrt2 * v / (std::numbers::pi * 8.0);
      watts_out += v * v / 8.0;
    }
    EXPECT_NEAR(f.supply_a / amps, 1.0, 0.01) << point;
    EXPECT_NEAR(f.supply_w / (90.0 * amps), 1.0, 0.01) << point;
    EXPECT_NEAR(f.output_w / watts_out, 1.0, 0.01) << point;
    EXPECT_NEAR(f.efficiency_pct / (100.0 * watts_out / (90.0 * amps)), 1.0, 0.01) << point;
  }
  int curves = 0;
  for (const auto& c : step.curves)
    if (c.name == "efficiency_vs_power_pct") {
      ++curves;
      EXPECT_EQ(c.channel, "all");
      EXPECT_EQ(c.x.size(), 4u);
      EXPECT_TRUE(std::is_sorted(c.x.begin(), c.x.end()));
    }
  EXPECT_EQ(curves, 1);
}

// Class D at 90 % from the same supply: the draw is the output power over 0.9·90 V plus the
// quiescent current, so efficiency climbs towards 90 % (83 % at 10 W a channel).
TEST(Efficiency, ClassDIsItsEfficiencyPlusTheQuiescentDraw) {
  auto station = quiet_sim_bench();
  station.sim->power_amp->supply_class = sim::PowerAmpModel::SupplyClass::d;
  station.sim->power_amp->class_d_efficiency = 0.9;
  const auto step = run_text(kSweep, station).record.steps.at(0);
  ASSERT_EQ(step.verdict, record::Verdict::pass) << step.message;
  for (const auto& [point, f] : by_point(step, 8.0)) {
    double watts_out = 0.0;
    for (const double v : f.channel_vrms) watts_out += v * v / 8.0;
    const double amps = 2 * 0.05 + watts_out / (0.9 * 90.0);
    EXPECT_NEAR(f.supply_a / amps, 1.0, 0.01) << point;
    EXPECT_NEAR(f.efficiency_pct / (100.0 * watts_out / (90.0 * amps)), 1.0, 0.01) << point;
  }
}

// The supply-and-speed test's faults each fail their own step alone (and the good unit passes
// every one): 1.5 A too much at rest only efficiency, supply coupling only psrr, a slow
// output stage only the slew rate; a station without a [supply] is refused on the step's
// kind.
TEST(Efficiency, EachSupplyAndSpeedFaultFailsOnlyItsStep) {
  const auto station = ampbench::testing::shipped_station("sim-bench.toml");
  const auto plan = ampbench::testing::shipped_sequence("poweramp-supply.toml");
  ASSERT_TRUE(plan);
  const std::map<std::string, std::string> failing = {{"GOOD", ""},
                                                      {"SIM-LOW-EFFICIENCY", "efficiency"},
                                                      {"SIM-SUPPLY-COUPLING", "psrr"},
                                                      {"SIM-SLEW", "slew"}};
  for (const auto& [serial, fails] : failing) {
    const auto run = ampbench::testing::run_plan(*plan, station, serial);
    for (const auto& step : run.steps)
      EXPECT_EQ(step.verdict, step.step_id == fails ? record::Verdict::fail : record::Verdict::pass)
          << serial << " " << step.step_id << " " << step.message;
  }

  auto bare = station;
  bare.supply.reset();
  const auto problems = sequence::check_plan(*plan, bare);
  ASSERT_EQ(problems.size(), 2u);  // both efficiency steps
  EXPECT_NE(problems[0].find("an efficiency step reads the station's [supply], and this station "
                             "has none"),
            std::string::npos)
      << problems[0];
}
