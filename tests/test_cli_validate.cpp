// End to end: what the operator and the engineer read — `validate`'s errors by file, line
// and field, serial numbers, `results` filters and show, FAIL lines in words.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "cli_fixtures.hpp"
#include "db_query.hpp"
#include "run_binary.hpp"

using ampbench::testing::kPowerAmp;
using ampbench::testing::kSource;
using ampbench::testing::kStation;
using ampbench::testing::query;
using ampbench::testing::run_ampbench;
using ampbench::testing::scalar;
using ampbench::testing::TempDir;
using ampbench::testing::write;

namespace {

struct BrokenSequence {
  std::string name;
  std::string text;
  std::string expected;  // file:line: field '…'
};

}  // namespace

TEST(CliValidate, BrokenSequencesNameFileLineAndField) {
  TempDir dir;
  const std::string head = "[sequence]\nname = \"t\"\nchannels = [\"L\", \"R\"]\n";
  const std::vector<BrokenSequence> cases = {
      {"no steps", head, ": field 'step': a sequence needs at least one [[step]]"},
      {"bad unit",
       head + "[[step]]\nid = \"a\"\nkind = \"level\"\nstimulus = { frequency_hz = 1000, level = "
              "\"-20 dBA\" }\n",
       ":7: field 'step.a.stimulus.level': unknown unit 'dBA'"},
      {"duplicate id",
       head + "[[step]]\nid = \"a\"\nkind = \"noise\"\n[[step]]\nid = \"a\"\nkind = \"noise\"\n",
       ":8: field 'step.id': 'a' is used by an earlier step"},
      {"unknown kind", head + "[[step]]\nid = \"a\"\nkind = \"magic\"\n",
       ":6: field 'step.a.kind': unknown step kind 'magic'"},
      {"unknown limit",
       head + "[[step]]\nid = \"a\"\nkind = \"noise\"\nlimits.gain_dbx = { max = 1 }\n",
       ":7: field 'step.a.limits.gain_dbx': 'gain_dbx' is not a measurement"},
      {"min above max",
       head + "[[step]]\nid = \"a\"\nkind = \"noise\"\nlimits.snr_db = { min = 3, max = 1 }\n",
       ":7: field 'step.a.limits.snr_db': min is above max"},
      {"too loud",
       head + "[[step]]\nid = \"a\"\nkind = \"level\"\nstimulus = { frequency_hz = 1000, level = "
              "\"2 V\" }\n",
       ":7: field 'step.a.stimulus.level': 2 V is 2 Vrms, above the station's max_output_vrms of "
       "1.8 Vrms"},
      {"swept too loud",
       head +
           "[[step]]\nid = \"a\"\nkind = \"thdn\"\nstimulus = { frequency_hz = 1000 }\nsweep = { "
           "parameter = \"stimulus.level\", from = \"-10 dBV\", to = \"+6 dBV\", points = 3 }\n",
       ":8: field 'step.a.stimulus.level': 6 dBV is 2 Vrms, above the station's max_output_vrms"},
      {"missing load",
       head + "[[step]]\nid = \"a\"\nkind = \"level\"\nload_ohm = 2\nstimulus = { frequency_hz = "
              "1000, level = \"-20 dBV\" }\n",
       ":7: field 'step.a.load_ohm': 2 ohm is not a load of station 'sim-bench'"},
      {"bad sweep",
       head + "[[step]]\nid = \"a\"\nkind = \"thdn\"\nstimulus = { frequency_hz = 1000, level = "
              "\"-20 dBV\" }\nsweep = { parameter = \"dut.volume\", values = [1] }\n",
       ":8: field 'step.a.sweep.parameter': cannot sweep 'dut.volume'"},
      {"no frequency",
       head + "[[step]]\nid = \"a\"\nkind = \"thdn\"\nstimulus = { level = \"-20 dBV\" }\n",
       ":4: field 'step.a.stimulus.frequency_hz': required for a thdn step"},
      {"above nyquist",
       head + "[[step]]\nid = \"a\"\nkind = \"level\"\nstimulus = { frequency_hz = 50000, level = "
              "\"-20 dBV\" }\n",
       ":7: field 'step.a.stimulus.frequency_hz': 50000 Hz is at or above half the sample rate"},
      {"too many channels",
       "[sequence]\nname = \"t\"\nchannels = [\"A\", \"B\", \"C\"]\n[[step]]\nid = \"a\"\nkind = "
       "\"noise\"\n",
       ": field 'sequence.channels': 3 channels, but station 'sim-bench' has 2"},
      {"syntax", head + "[[step]\n", ":4: TOML syntax"},
      {"short capture", head + "[[step]]\nid = \"a\"\nkind = \"noise\"\ncapture_s = 0.01\n",
       ":7: field 'step.a.capture_s': 0.01 s is too short"},
  };
  for (const auto& c : cases) {
    const auto path = dir / "broken.toml";
    write(path, c.text);
    auto r = run_ampbench({"validate", path, "--station", kStation});
    EXPECT_EQ(r.exit_code, 65) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find("ampbench: " + path + c.expected), std::string::npos)
        << c.name << ": " << r.err;
    auto run = run_ampbench({"run", path, "--station", kStation, "--db", dir / "never.db"});
    EXPECT_EQ(run.exit_code, 65) << c.name;
    EXPECT_FALSE(std::filesystem::exists(dir / "never.db"))
        << c.name << ": run touched the database";
  }
}

TEST(CliValidate, BrokenPreampStepsNameFileLineAndField) {
  // Against sim-preamp.toml, whose simulated preamp knows its own inputs and controls.
  TempDir dir;
  const std::string head = "[sequence]\nname = \"t\"\nchannels = [\"L\", \"R\"]\n";
  const std::string response =
      "kind = \"frequency_response\"\nstimulus = { from_hz = 20, to_hz = "
      "20000, level = \"-30 dBV\" }\n";
  const std::vector<BrokenSequence> cases = {
      {"unknown target", head + "[[step]]\nid = \"a\"\n" + response + "target = \"rias\"\n",
       ":8: field 'step.a.target': unknown target 'rias'"},
      {"falling table",
       head + "[[step]]\nid = \"a\"\n" + response + "target = [[1000, 0], [100, 3]]\n",
       ":8: field 'step.a.target': frequencies must be positive and rising"},
      {"unknown dut key", head + "[[step]]\nid = \"a\"\nkind = \"set\"\ndut = { volume = 3 }\n",
       ":7: field 'step.a.dut.volume': unknown field"},
      {"empty set", head + "[[step]]\nid = \"a\"\nkind = \"set\"\n",
       ":4: field 'step.a.dut': a set step needs a setting"},
      {"no such input", head + "[[step]]\nid = \"a\"\nkind = \"set\"\ndut = { input = \"aux\" }\n",
       ":7: field 'step.a.dut.input': 'aux' is not an input of the simulated preamp"},
      {"gain beyond control",
       head + "[[step]]\nid = \"a\"\nkind = \"set\"\ndut = { gain_db = 30 }\n",
       ":7: field 'step.a.dut.gain_db': 30 dB is outside the simulated preamp's gain control"},
      {"input sweep of numbers",
       head + "[[step]]\nid = \"a\"\nkind = \"set\"\nsweep = { parameter = \"dut.input\", values = "
              "[1, 2] }\n",
       ":7: field 'step.a.sweep.values': every element must be a string"},
      {"ein too loud",
       head + "[[step]]\nid = \"a\"\nkind = \"noise\"\nein = { level = \"+10 dBu\" }\n",
       ":7: field 'step.a.ein.level': 10 dBu is above the station's max_output_vrms"},
  };
  const std::string station = kSource + "/instruments/sim-preamp.toml";
  for (const auto& c : cases) {
    const auto path = dir / "broken.toml";
    write(path, c.text);
    auto r = run_ampbench({"validate", path, "--station", station});
    EXPECT_EQ(r.exit_code, 65) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find("ampbench: " + path + c.expected), std::string::npos)
        << c.name << ": " << r.err;
  }
  // sim-bench (a power amp) has no series resistor for an input_impedance step.
  write(dir / "zin.toml", head +
                              "[[step]]\nid = \"z\"\nkind = \"input_impedance\"\nstimulus = { "
                              "frequency_hz = 1000, level = \"-20 dBV\" }\n");
  auto r = run_ampbench({"validate", dir / "zin.toml", "--station", kStation});
  EXPECT_NE(r.err.find("field 'step.z.kind': station 'sim-bench' declares no series resistor"),
            std::string::npos)
      << r.err;
}

TEST(CliValidate, ReportsEveryErrorAtOnce) {
  TempDir dir;
  const auto path = dir / "two.toml";
  write(path,
        "[sequence]\nname = \"t\"\n[[step]]\nid = \"a\"\nkind = \"magic\"\n[[step]]\nid = "
        "\"b\"\nkind = \"level\"\n");
  auto r = run_ampbench({"validate", path, "--station", kStation});
  EXPECT_EQ(r.exit_code, 65);
  // The first problem of every step, each on its own line.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
  EXPECT_NE(r.err.find(":5: field 'step.a.kind'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":6: field 'step.b.stimulus.frequency_hz'"), std::string::npos) << r.err;
}

TEST(CliValidate, EachProblemOnceOnTheLineOfItsField) {
  TempDir dir;
  const auto path = dir / "swept.toml";
  // Line 8 sweeps three levels, two of them too loud for the station; the header is line 4.
  write(path,
        "[sequence]\nname = \"t\"\nchannels = [\"L\", \"R\"]\n[[step]]\nid = \"a\"\nkind = "
        "\"thdn\"\nstimulus = { frequency_hz = 1000 }\nsweep = { parameter = \"stimulus.level\", "
        "values = [\"-20 dBV\", \"8 dBV\", \"8 dBV\", \"9 dBV\"] }\nload_ohm = [8, 3]\n");
  auto r = run_ampbench({"validate", path, "--station", kStation});
  EXPECT_EQ(r.exit_code, 65);
  // 8 dBV twice in the sweep and once per load: said once; 9 dBV once; the 3-ohm load once.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 3) << r.err;
  EXPECT_NE(r.err.find(":8: field 'step.a.stimulus.level': 8 dBV"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":8: field 'step.a.stimulus.level': 9 dBV"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":9: field 'step.a.load_ohm': 3 ohm"), std::string::npos) << r.err;
}

TEST(CliValidate, StationChecksRunWhenAnotherStepDoesNotParse) {
  TempDir dir;
  const auto path = dir / "mixed.toml";
  write(path,
        "[sequence]\nname = \"t\"\n[[step]]\nid = \"a\"\nkind = \"magic\"\n[[step]]\nid = "
        "\"b\"\nkind = \"level\"\nstimulus = { frequency_hz = 1000, level = \"+20 dBV\" }\n");
  auto r = run_ampbench({"validate", path, "--station", kStation});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find(":5: field 'step.a.kind'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":9: field 'step.b.stimulus.level': 20 dBV is 10 Vrms, above the "
                       "station's max_output_vrms"),
            std::string::npos)
      << r.err;
}

TEST(CliValidate, AStationWithoutPreampControlsIsSaidOnce) {
  // sim-bench simulates a power amp: its [sim.preamp] is an input buffer with no controls.
  auto r = run_ampbench(
      {"validate", kSource + "/sequences/preamp-production.toml", "--station", kStation});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("station 'sim-bench' has no preamp controls"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("outside the simulated preamp's gain control"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("beyond the simulated preamp's tone controls"), std::string::npos) << r.err;
  // That line and the three input_impedance steps without a series resistor.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 4) << r.err;
}

TEST(CliValidate, ShippedSequencesAreValid) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"poweramp-production.toml", "sim-bench.toml"},
      {"poweramp-fast.toml", "sim-bench.toml"},
      {"ci-loopback.toml", "sim-bench.toml"},
      {"lab-characterisation.toml", "sim-bench.toml"},
      {"preamp-production.toml", "sim-preamp.toml"},
      {"preamp-lab.toml", "sim-preamp.toml"},
      {"preamp-fast.toml", "sim-preamp.toml"},
      {"preamp-datasheet.toml", "sim-preamp.toml"},
      {"generator-production.toml", "sim-instruments.toml"},
      {"poweramp-datasheet.toml", "sim-bench.toml"},
      {"poweramp-supply.toml", "sim-bench.toml"},
      {"ftc-432.toml", "sim-bench.toml"},
      {"cta-2006.toml", "sim-bench.toml"},
  };
  for (const auto& [sequence, station] : pairs) {
    auto r = run_ampbench({"validate", kSource + "/sequences/" + sequence, "--station",
                           kSource + "/instruments/" + station});
    EXPECT_EQ(r.exit_code, 0) << sequence << ": " << r.err;
  }
}

TEST(CliRun, SerialNumbersThatAreNotOneLineOfTextAreRefused) {
  TempDir dir;
  const auto db = dir / "r.db";
  for (const std::string& bad : {std::string(""), std::string("AMP-1\nAMP-2"),
                                 std::string("\x1b[31mAMP"), std::string(129, 'A')}) {
    const auto r = run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--station",
                                 kStation, "--db", db, "--serial", bad, "--quiet"});
    EXPECT_EQ(r.exit_code, 64) << r.err;
    EXPECT_NE(r.err.find("--serial"), std::string::npos) << r.err;
  }
  std::error_code ec;
  EXPECT_FALSE(std::filesystem::exists(db, ec)) << "nothing runs, nothing is written";
}

TEST(CliRun, NoSerialIsRefusedOnAProductionLineAndSaidElsewhere) {
  TempDir dir;
  const auto db = dir / "r.db";
  auto station = ampbench::testing::slurp(kStation);
  station.replace(station.find("[station]"), 9, "[station]\nline = \"L1\"");
  write(dir / "line.toml", station);
  auto r = run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--station",
                         dir / "line.toml", "--db", db, "--quiet"});
  EXPECT_EQ(r.exit_code, 64) << r.err;
  EXPECT_NE(r.err.find("production line 'L1': every unit needs its --serial"), std::string::npos)
      << r.err;
  std::error_code ec;
  EXPECT_FALSE(std::filesystem::exists(db, ec)) << "nothing runs, nothing is written";
  r = run_ampbench(
      {"run", kSource + "/sequences/ci-loopback.toml", "--station", kStation, "--db", db});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("recorded as serial 'unnamed'"), std::string::npos) << r.err;
}

TEST(Cli, AnUnknownSubcommandIsNamedWithTheOnesThereAre) {
  const auto r = run_ampbench({"frobnicate", "x"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_NE(r.err.find("unknown subcommand 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run, validate"), std::string::npos) << r.err;
}

TEST(CliResults, BadDatesAreRefusedAndVerdictsReadInAnyCase) {
  TempDir dir;
  const auto db = dir / "r.db";
  ASSERT_EQ(run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--station", kStation,
                          "--db", db, "--serial", "D1", "--quiet"})
                .exit_code,
            0);
  for (const std::string& bad :
       std::vector<std::string>{"garbage", "2026-13-01", "2026-02-30", "2026-11-24T25:00"}) {
    const auto r = run_ampbench({"results", "list", "--db", db, "--since", bad});
    EXPECT_EQ(r.exit_code, 64) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("--since '" + bad + "'"), std::string::npos) << r.err;
  }
  const auto r = run_ampbench({"results", "list", "--db", db, "--since", "2000-01-01", "--until",
                               "2999-12-31T23:59:59.999Z", "--verdict", "pass", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"D1\""), std::string::npos) << r.out;
}

// What the operator reads: the failing value with its unit, where in the sweep, and the
// limit as people write it.
// `results show` reads like the console: decibels to 4 decimals, units, limits and points
// in words.
TEST(CliResults, ShowPrintsValuesLimitsAndPointsInWords) {
  TempDir dir;
  const auto db = dir / "r.db";
  ASSERT_EQ(run_ampbench(
                {"run", kPowerAmp, "--station", kStation, "--serial", "W1", "--db", db, "--quiet"})
                .exit_code,
            0);
  const auto show = run_ampbench({"results", "show", "1", "--db", db});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_TRUE(std::regex_search(
      show.out, std::regex(R"(L +gain_db +25\.9\d{3} dB +\[25\.5 … 26\.5 dB\] +PASS)")))
      << show.out;
  EXPECT_TRUE(std::regex_search(show.out,
                                std::regex(R"(R +power_w +[0-9.]+ W +\[≥ 100 W\] +PASS +at 4 Ω)")))
      << show.out;
  EXPECT_EQ(show.out.find("e-0"), std::string::npos) << show.out;
  EXPECT_EQ(show.out.find("{\""), std::string::npos) << "points as JSON: " << show.out;
}

TEST(CliRun, FailLinesNameThePointAndTheLimitInPlainWords) {
  TempDir dir;
  const auto r = run_ampbench(
      {"run", kPowerAmp, "--station", kStation, "--serial", "SIM-LOW-GAIN", "--db", dir / "r.db"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex(R"(FAIL L gain_db = 19\.9\d dB \(limit 25\.5 … 26\.5 dB\))")))
      << r.err;
  EXPECT_TRUE(std::regex_search(
      r.err, std::regex(R"(FAIL R power_w = [0-9.]+ W at 4 Ω \(limit ≥ 100 W\))")))
      << r.err;
  EXPECT_EQ(r.err.find("0.000000"), std::string::npos) << r.err;
}

TEST(CliRun, OnATerminalTheProgressLineGivesTheUnitsAndTheBatchsEta) {
  TempDir dir;
  // `script` gives the run a terminal, as an operator's console is.
  const std::string command = std::string("script -qc '") + AMPBENCH_BINARY + " run " + kPowerAmp +
                              " --station " + kStation + " --serial A --serial B --serial C --db " +
                              (dir / "r.db") + "' /dev/null > " + (dir / "tty.log") + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  const auto log = ampbench::testing::slurp(dir / "tty.log");
  EXPECT_NE(log.find("(unit 2 of 3)"), std::string::npos) << log;
  // From the second unit on: the step's ETA, the unit's and the batch's.
  const auto second = log.find("(unit 2 of 3)");
  const auto progress = log.find("point 1/9", second);
  ASSERT_NE(progress, std::string::npos) << log;
  const auto line = log.substr(progress, log.find('\r', progress) - progress);
  EXPECT_NE(line.find("ETA "), std::string::npos) << line;
  EXPECT_NE(line.find(" unit "), std::string::npos) << line;
  EXPECT_NE(line.find(" batch "), std::string::npos) << line;
  // Each step's result line starts by erasing the progress line.
  EXPECT_NE(log.find("\r\033[K  [1/12] gain_1k"), std::string::npos);
}
