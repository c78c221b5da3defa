// sequence: station files — the shipped ones parse; a table of bad inputs, each naming its
// file, line and field; interface channels used twice; the loopback's own channels.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <set>

#include "audio/sim_port.hpp"
#include "common/error.hpp"
#include "instruments/sim_instrument.hpp"
#include "run_binary.hpp"
#include "sequence/levels.hpp"
#include "sequence/plan.hpp"
#include "sequence/runner.hpp"
#include "sequence/station.hpp"
#include "sequence_runs.hpp"

using namespace ampbench;
using namespace ampbench::plugs;
using namespace ampbench::sequence;
using ampbench::testing::run_text;
using ampbench::testing::SequenceRun;
using ampbench::testing::SilentIo;

TEST(Station, ShippedStationsParse) {
  const auto s = load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml");
  EXPECT_EQ(s.name, "sim-bench");
  EXPECT_EQ(s.audio.backend, "sim");
  EXPECT_EQ(s.audio.sample_rate_hz, 96000.0);
  EXPECT_EQ(s.channel_count(), 2);
  EXPECT_EQ(s.safety.max_output_vrms, 1.8);
  ASSERT_TRUE(s.sim && s.sim->power_amp && s.sim->preamp);
  EXPECT_EQ(s.sim->serial_faults.at("SIM-DEAD-R").at(2), sim::Fault::dead_channel);
  EXPECT_EQ(s.sim->serial_faults.at("SIM-HUM").at(0), sim::Fault::hum);
  const auto real =
      load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/example-interface.toml");
  EXPECT_EQ(real.audio.backend, "portaudio");
  ASSERT_TRUE(real.generator && real.load_switch);
  EXPECT_FALSE(real.sim);
}

namespace {

const char* kGoodStation = R"([station]
name = "t"
[audio]
backend = "sim"
sample_rate = 48000
outputs = [1, 2]
inputs = [1, 2]
output_vrms_at_0dbfs = 1.0
input_vrms_at_0dbfs = 2.0
[safety]
max_output_vrms = 1.0
max_input_dbfs = -1.0
[loads]
available_ohm = [8, 4]
[sim]
load_ohm = 8
[sim.power_amp]
rail_v = 40
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

struct BadStation {
  std::string name;
  std::string text;
  int line;
  std::string field;
  std::string what;
};

}  // namespace

TEST(Station, GoodTextParses) {
  EXPECT_NO_THROW(parse_station(kGoodStation, "t.toml"));
}

TEST(Station, BadFilesNameFileLineAndField) {
  const std::string g = kGoodStation;
  const std::vector<BadStation> cases = {
      {"missing table", replace(g, "[safety]\nmax_output_vrms = 1.0\nmax_input_dbfs = -1.0\n", ""),
       0, "safety", "missing"},
      {"wrong type", replace(g, "sample_rate = 48000", "sample_rate = \"48k\""), 5,
       "audio.sample_rate", "positive integer"},
      {"zero rate", replace(g, "sample_rate = 48000", "sample_rate = 0"), 5, "audio.sample_rate",
       "positive integer"},
      {"xrun retries", replace(g, "sample_rate = 48000", "sample_rate = 48000\nxrun_retries = -1"),
       6, "audio.xrun_retries", "an integer from 0 to 10"},
      {"unknown backend", replace(g, "backend = \"sim\"", "backend = \"asio\""), 4, "audio.backend",
       "unknown backend 'asio'"},
      {"negative ohms", replace(g, "available_ohm = [8, 4]", "available_ohm = [8, -4]"), 14,
       "loads.available_ohm", "positive"},
      {"unknown fault", replace(g, "load_ohm = 8", "load_ohm = 8\nfault = \"smoke\""), 17,
       "sim.fault", "unknown fault 'smoke'"},
      {"unknown field", replace(g, "rail_v = 40", "rail_volts = 40"), 18,
       "sim.power_amp.rail_volts", "unknown field"},
      {"negative rail", replace(g, "rail_v = 40", "rail_v = -40"), 18, "sim.power_amp.rail_v",
       "positive"},
      {"channel count", replace(g, "inputs = [1, 2]", "inputs = [1]"), 7, "audio.inputs",
       "as many channels"},
      {"an input twice", replace(g, "inputs = [1, 2]", "inputs = [1, 1]"), 7, "audio.inputs",
       "interface input 1 is listed for DUT channels 1 and 2: each needs its own (set "
       "audio.shared_inputs = true if one is meant to serve both)"},
      {"an output twice", replace(g, "outputs = [1, 2]", "outputs = [2, 2]"), 6, "audio.outputs",
       "interface output 2 is listed for DUT channels 1 and 2"},
      {"positive input limit", replace(g, "max_input_dbfs = -1.0", "max_input_dbfs = 3"), 12,
       "safety.max_input_dbfs", "at most 0"},
      {"load not available", replace(g, "load_ohm = 8", "load_ohm = 2"), 16, "sim.load_ohm",
       "one of loads.available_ohm"},
      {"syntax", replace(g, "rail_v = 40", "rail_v = = 40"), 18, "", "TOML syntax"},
      {"fault channel", replace(g, "load_ohm = 8", "load_ohm = 8\nfault = { X = \"hum\" }"), 17,
       "sim.fault.X", "not a channel"},
      {"clock offset", replace(g, "[sim]\n", "[sim]\nclock_ppm = 2000\n"), 16, "sim.clock_ppm",
       "within ±1000 ppm"},
      {"resampler rate", replace(g, "[sim]\n", "[sim]\nresampler_hz = 100\n"), 16,
       "sim.resampler_hz", "a sample rate"},
      {"selftest limit", g + "[selftest]\nmax_clock_ppm = -1\n", 0, "selftest.max_clock_ppm",
       "positive"},
      {"shift start", replace(g, "name = \"t\"", "name = \"t\"\nshifts = [\"06:00\", \"25:00\"]"),
       3, "station.shifts", "HH:MM"},
  };
  for (const auto& c : cases) {
    try {
      parse_station(c.text, "instruments/x.toml");
      ADD_FAILURE() << c.name << ": accepted";
    } catch (const InputError& e) {
      EXPECT_EQ(e.exit_code(), ExitCode::bad_input);
      EXPECT_EQ(e.file(), "instruments/x.toml") << c.name;
      if (c.line > 0) {
        EXPECT_EQ(e.line(), c.line) << c.name << ": " << e.what();
      }
      EXPECT_EQ(e.field(), c.field) << c.name << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(c.what), std::string::npos)
          << c.name << ": " << e.what();
      const std::string prefix = "instruments/x.toml:";
      if (c.line > 0) {
        EXPECT_EQ(std::string(e.what()).rfind(prefix + std::to_string(c.line) + ": ", 0), 0u)
            << e.what();
      }
    }
  }
}

// ---- The runner on the simulated station: power amplifiers ------------------------

TEST(Station, LoopbackMustNotShareTheDutsChannels) {
  const std::string text = std::string(kGoodStation)
                               .replace(std::string(kGoodStation).find("input_vrms_at_0dbfs"), 0,
                                        "loopback = { output = 2, input = 3 }\n");
  try {
    parse_station(text, "x.toml");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "audio.loopback");
  }
}

TEST(Station, TheWavBackendIsRefusedSayingWhatToUseInstead) {
  std::string text =
      ampbench::testing::slurp(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml");
  text.replace(text.find("backend = \"sim\""), 15, "backend = \"wav\"");
  try {
    parse_station(text, "wav.toml");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "audio.backend");
    EXPECT_NE(std::string(e.what()).find("ampbench analyze"), std::string::npos) << e.what();
  }
}

// One output may drive both inputs of a mono DUT when the file says it is meant.
TEST(Station, AChannelServesTwoDutChannelsOnlyWhenTheFileSaysSo) {
  const auto station =
      parse_station(replace(replace(kGoodStation, "outputs = [1, 2]", "outputs = [1, 1]"),
                            "inputs = [1, 2]", "inputs = [1, 2]\nshared_outputs = true"),
                    "t.toml");
  EXPECT_EQ(station.audio.outputs, (std::vector<int>{1, 1}));
}
