// sequence: measurements on amplifiers that are not ideal — an inverting channel, a
// loopback reference whose cable is not 0 dB on an interface whose output and input
// calibrations differ — against truth computed here from the simulator's model equations.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "dsp/dsp.hpp"
#include "sequence_runs.hpp"
#include "sim/sim.hpp"

using namespace ampbench;
using ampbench::testing::run_text;

namespace {

sequence::Station quiet_sim_bench() {
  auto s = sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml");
  s.sim->adc_noise_dbfs = -300.0;
  s.sim->crosstalk_db = -300.0;
  s.sim->preamp->noise_nv_per_rthz = 0.0;
  s.sim->power_amp->crossover_depth = 0.0;
  return s;
}

const record::CurveRecord& curve(const record::RunRecord& run, const std::string& name,
                                 const std::string& channel) {
  for (const auto& step : run.steps)
    for (const auto& c : step.curves)
      if (c.name == name && c.channel == channel) return c;
  throw std::runtime_error("no curve " + name + " on " + channel);
}

double measured(const record::RunRecord& run, const std::string& step_id, const std::string& name,
                const std::string& channel) {
  for (const auto& step : run.steps)
    if (step.step_id == step_id)
      for (const auto& m : step.measurements)
        if (m.name == name && m.channel == channel) return m.value;
  throw std::runtime_error("no " + name + " on " + channel);
}

double wrapped_deg(double deg) {
  return std::remainder(deg, 360.0);
}

const char* kPolaritySequence = R"([sequence]
name = "polarity"
channels = ["L", "R"]
[defaults]
load_ohm = 8
[[step]]
id = "level"
kind = "level"
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
limits.polarity = { min = 1 }
[[step]]
id = "sweep"
kind = "frequency_response"
method = "sweep"
stimulus = { from_hz = 20, to_hz = 20000, level = "-20 dBV", points = 31, duration_s = 2 }
limits.polarity = { min = 1 }
)";

}  // namespace

TEST(RealDut, AnInvertingChannelReadsPolarityMinusOneAndTheModelsPhasePlus180) {
  auto station = quiet_sim_bench();
  station.sim->serial_faults["INV"][2] = sim::Fault::inverted;
  const auto run = run_text(kPolaritySequence, station, "INV").record;
  EXPECT_EQ(measured(run, "level", "polarity", "L"), 1.0);
  EXPECT_EQ(measured(run, "level", "polarity", "R"), -1.0);
  EXPECT_EQ(measured(run, "sweep", "polarity", "L"), 1.0);
  EXPECT_EQ(measured(run, "sweep", "polarity", "R"), -1.0);
  EXPECT_EQ(run.steps.at(0).verdict, record::Verdict::fail);
  // The model's phase: the preamp's filters (bilinear, exact at every frequency); DAC, power
  // amp, resistive load, attenuator and ADC add none.
  const sim::PreampStage model(*station.sim->preamp, station.audio.sample_rate_hz, 1);
  const auto& left = curve(run, "phase_deg", "L");
  const auto& right = curve(run, "phase_deg", "R");
  ASSERT_EQ(left.x.size(), 31u);
  for (std::size_t i = 0; i < left.x.size(); ++i) {
    const double truth = std::arg(model.linear_response(left.x[i])) * 180.0 / std::numbers::pi;
    EXPECT_NEAR(wrapped_deg(left.y[i] - truth), 0.0, 1.0) << left.x[i] << " Hz";
    EXPECT_NEAR(wrapped_deg(right.y[i] - truth - 180.0), 0.0, 1.0) << right.x[i] << " Hz";
  }
}

TEST(RealDut, SweptThdWithALoopbackReferenceIsTheModelsWhateverTheCableAndCalibrations) {
  auto station = quiet_sim_bench();
  // The example interface's calibrations, and a loopback cable that is not 0 dB.
  station.audio.calibration.output_vrms_at_0dbfs = 1.228;
  station.audio.calibration.input_vrms_at_0dbfs = 3.89;
  station.safety.max_output_vrms = 1.2;
  station.audio.loopback = std::pair{3, 3};
  station.sim->loopback_gain_db = -0.7;
  const auto run = run_text(R"([sequence]
name = "thd"
channels = ["L", "R"]
[defaults]
load_ohm = 8
[[step]]
id = "sweep"
kind = "frequency_response"
method = "sweep"
stimulus = { from_hz = 20, to_hz = 20000, level = "-6 dBV", points = 31, duration_s = 2 }
)",
                            station)
                       .record;
  ASSERT_EQ(run.verdict, record::Verdict::pass);
  // y = v + a2·v² + a3·v³ on the preamp's amplified sine of peak V: H2/H1 = a2·V/2,
  // H3/H1 = a3·V²/4, each then through the filters after the polynomial at n·f.
  const auto& pre = *station.sim->preamp;
  const sim::PreampStage model(pre, station.audio.sample_rate_hz, 1);
  const double v_peak = dsp::db_to_amplitude_ratio(-6.0) * std::numbers::sqrt2;
  const auto& thd = curve(run, "thd_vs_freq_pct", "L");
  int checked = 0;
  for (std::size_t i = 0; i < thd.x.size(); ++i) {
    const double f = thd.x[i];
    if (f > 4000.0) continue;  // up to 5·f inside the sweep's flat band: all orders counted
    const double h1 = std::abs(model.linear_response(f));
    const double h2 = pre.a2_per_volt * v_peak / 2.0 * std::abs(model.linear_response(2 * f)) / h1;
    const double h3 =
        pre.a3_per_volt2 * v_peak * v_peak / 4.0 * std::abs(model.linear_response(3 * f)) / h1;
    const double truth_db = dsp::amplitude_ratio_to_db(std::hypot(h2, h3));
    EXPECT_NEAR(dsp::amplitude_ratio_to_db(thd.y[i] / 100.0), truth_db, 0.1) << f << " Hz";
    ++checked;
  }
  EXPECT_GE(checked, 20);
}
