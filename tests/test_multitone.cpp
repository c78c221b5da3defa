// sequence/steps/multitone: the step on the simulated amplifier against the model's own
// equations (the preamp's filters, 26 dB, the crosstalk factor, an inverted channel), and
// sequences/poweramp-fast.toml against poweramp-production.toml on every fault serial.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>

#include "dsp/dsp.hpp"
#include "run_binary.hpp"
#include "sequence/checks.hpp"
#include "sequence/steps/multitone_designs.hpp"
#include "sequence_runs.hpp"
#include "sim/sim.hpp"

using namespace ampbench;
using ampbench::testing::curve;
using ampbench::testing::measured;
using ampbench::testing::quiet_sim_bench;
using ampbench::testing::run_text;
using ampbench::testing::slurp;
using ampbench::testing::wrapped_deg;

namespace {

const char* kMultitone = R"([sequence]
name = "multitone"
channels = ["L", "R"]
[defaults]
load_ohm = 8
settle_s = 0.05
[[step]]
id = "mt"
kind = "multitone"
stimulus = { level = "-20 dBV" }
)";

}  // namespace

TEST(MultitoneStep, ResponsePhaseGainCrosstalkAndPolarityAreTheModels) {
  auto station = quiet_sim_bench();
  station.sim->crosstalk_db = -60.0;
  station.sim->serial_faults["INV"][2] = sim::Fault::inverted;
  // Linear: the preamp's products would otherwise land on the other channel's tones.
  station.sim->preamp->a2_per_volt = 0.0;
  station.sim->preamp->a3_per_volt2 = 0.0;
  const auto run = run_text(kMultitone, station, "INV").record;
  ASSERT_EQ(run.steps.at(0).verdict, record::Verdict::pass) << run.steps[0].message;
  // The model: the preamp's filters (bilinear, exact at every frequency), 26 dB and the
  // divider of the power amp's output resistance with the 8-ohm load; the DAC, attenuator
  // and ADC add neither gain error nor phase.
  const sim::PreampStage model(*station.sim->preamp, station.audio.sample_rate_hz, 1);
  const double divider_db =
      dsp::amplitude_ratio_to_db(8.0 / (8.0 + station.sim->power_amp->output_impedance_ohm));
  for (const std::string ch : {"L", "R"}) {
    const auto& response = curve(run, "response_db", ch);
    const auto& phase = curve(run, "phase_deg", ch);
    ASSERT_EQ(response.x.size(), 31u) << ch;
    for (std::size_t i = 0; i < response.x.size(); ++i) {
      const auto h = model.linear_response(response.x[i]);
      EXPECT_NEAR(response.y[i], 26.0 + divider_db + dsp::amplitude_ratio_to_db(std::abs(h)), 0.02)
          << ch << " " << response.x[i] << " Hz";
      const double truth = std::arg(h) * 180.0 / std::numbers::pi + (ch == "R" ? 180.0 : 0.0);
      EXPECT_NEAR(wrapped_deg(phase.y[i] - truth), 0.0, 1.0) << ch << " " << phase.x[i] << " Hz";
    }
    // k = -60 dB at every tone of the other channel (its lowest, 26 Hz, within 0.2 dB: the
    // input high-pass's start-up transient is still dying away under it).
    const auto& crosstalk = curve(run, "crosstalk_db", ch);
    ASSERT_EQ(crosstalk.x.size(), 31u) << ch;
    for (std::size_t i = 0; i < crosstalk.x.size(); ++i)
      EXPECT_NEAR(crosstalk.y[i], -60.0, crosstalk.x[i] < 30.0 ? 0.2 : 0.05)
          << ch << " " << crosstalk.x[i] << " Hz";
    EXPECT_NEAR(measured(run, "mt", "crosstalk_db", ch), -60.0, 0.2) << ch;
    EXPECT_EQ(measured(run, "mt", "channel_map_ok", ch), 1.0) << ch;
  }
  EXPECT_EQ(measured(run, "mt", "polarity", "L"), 1.0);
  EXPECT_EQ(measured(run, "mt", "polarity", "R"), -1.0);
  // Gain at the reference tone (the channel's nearest to 1 kHz), level = its 31 tones' rms.
  const auto& left = curve(run, "response_db", "L");
  const auto reference = std::min_element(left.x.begin(), left.x.end(), [](double a, double b) {
    return std::abs(std::log(a / 1000.0)) < std::abs(std::log(b / 1000.0));
  });
  const double gain =
      26.0 + divider_db + dsp::amplitude_ratio_to_db(std::abs(model.linear_response(*reference)));
  EXPECT_NEAR(measured(run, "mt", "gain_db", "L"), gain, 0.02);
  EXPECT_NEAR(measured(run, "mt", "level_dbv", "L"), -20.0 + 26.0 + divider_db, 0.05);
}

TEST(MultitoneStep, ALevelWhosePeaksExceedTheStationsSineIsRefused) {
  // 0 dBV of multitone peaks near 3 V; a sine of max_output_vrms (1.8 V) peaks at 2.55 V.
  std::vector<std::string> errors;
  std::string text = kMultitone;
  text.replace(text.find("-20 dBV"), 7, "0 dBV");
  const auto plan = sequence::parse_sequence(text, "mt.toml", {}, errors);
  ASSERT_TRUE(plan) << errors[0];
  const auto problems = sequence::check_plan(*plan, quiet_sim_bench());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("field 'step.mt.stimulus.level': 0 dBV of multitone peaks at"),
            std::string::npos)
      << problems[0];
}

// The fast sequences reach the production sequences' verdicts for a good unit and every
// fault serial of their stations: the power amp's in at most 1.5 s of stimulus against
// about 10.7 s, the preamp's in under a fifth of its production test's.
TEST(MultitoneStep, TheFastSequencesGiveTheProductionVerdicts) {
  const std::string source = AMPBENCH_SOURCE_DIR;
  struct Pair {
    std::string station, fast, production;
    double max_stimulus_s, min_ratio;
  };
  for (const auto& pair : {Pair{"sim-bench", "poweramp-fast", "poweramp-production", 1.5, 7.0},
                           Pair{"sim-preamp", "preamp-fast", "preamp-production", 10.0, 5.0}}) {
    const auto station = sequence::load_station(source + "/instruments/" + pair.station + ".toml");
    const auto fast = slurp(source + "/sequences/" + pair.fast + ".toml");
    const auto production = slurp(source + "/sequences/" + pair.production + ".toml");
    std::vector<std::string> serials = {"GOOD-1"};
    for (const auto& [serial, faults] : station.sim->serial_faults) serials.push_back(serial);
    ASSERT_GE(serials.size(), 7u);
    for (const auto& serial : serials) {
      const auto quick = run_text(fast, station, serial);
      const auto full = run_text(production, station, serial);
      EXPECT_EQ(quick.record.verdict, full.record.verdict) << pair.fast << " " << serial;
      EXPECT_LE(quick.stimulus_s, pair.max_stimulus_s) << pair.fast << " " << serial;
      EXPECT_GT(full.stimulus_s, pair.min_ratio * quick.stimulus_s) << pair.fast << " " << serial;
    }
  }
}

// A design is kept in the user's cache and read back exactly; a cached file that is not the
// request's (damaged, another version) is designed again and replaced.
TEST(MultitoneDesigns, KeptInTheCacheExactlyAndRemadeWhenTheFileIsWrong) {
  ampbench::testing::TempDir dir;
  ::setenv("XDG_CACHE_HOME", dir.path.c_str(), 1);
  dsp::MultitoneRequest request;
  request.sample_rate_hz = 48000.0;
  request.period_frames = 8192;
  request.tones_per_channel = 17;
  request.channels = 2;
  request.reference_hz = 997.0;  // a request no other test makes: this process designs it here
  const auto fresh = dsp::design_multitone(request);
  const auto file = dir.path / "ampbench" / "multitone";
  const auto& first = sequence::multitone_design_for(request);
  ASSERT_TRUE(std::filesystem::exists(file));
  std::filesystem::path kept;
  for (const auto& e : std::filesystem::directory_iterator(file)) kept = e.path();
  EXPECT_EQ(first.phases_rad, fresh.phases_rad);
  EXPECT_EQ(first.crest_factor, fresh.crest_factor);

  // The file holds the numbers exactly, and a process that finds it uses it: a file for a
  // second request, its first phase changed, is what that request gets.
  auto stored = nlohmann::json::parse(ampbench::testing::slurp(kept));
  EXPECT_EQ(stored["phases_rad"].get<std::vector<std::vector<double>>>(), fresh.phases_rad);
  dsp::MultitoneRequest again = request;
  again.reference_hz = 997.5;
  const auto again_path =
      file / (kept.filename().string().replace(kept.filename().string().find("r997"), 4, "r997.5"));
  stored["key"] = stored["key"].get<std::string>().replace(
      stored["key"].get<std::string>().find("r997"), 4, "r997.5");
  stored["phases_rad"][0][0] = 0.125;
  std::ofstream(again_path) << stored.dump();
  const auto& read_back = sequence::multitone_design_for(again);
  EXPECT_EQ(read_back.phases_rad[0][0], 0.125);
  EXPECT_EQ(read_back.phases_rad[1], fresh.phases_rad[1]);

  dsp::MultitoneRequest damaged = request;
  damaged.reference_hz = 996.0;
  const auto damaged_path =
      file / (kept.filename().string().replace(kept.filename().string().find("r997"), 4, "r996"));
  std::ofstream(damaged_path) << "{\"key\": \"something else\", \"phases_rad\": [[1, 2]]}";
  const auto& remade = sequence::multitone_design_for(damaged);
  EXPECT_EQ(remade.phases_rad, fresh.phases_rad);
  EXPECT_NE(ampbench::testing::slurp(damaged_path).find("r996"), std::string::npos);
  ::unsetenv("XDG_CACHE_HOME");
}
