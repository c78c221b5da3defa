// End to end: `ampbench run` on the simulated station, with the database checked by SQL,
// crash and interrupt safety, and concurrent writers (validate, results and what the
// operator reads: test_cli_validate.cpp).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <complex>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "cli_fixtures.hpp"
#include "db_query.hpp"
#include "run_binary.hpp"
#include "store/result_store.hpp"

using ampbench::testing::kPowerAmp;
using ampbench::testing::kSource;
using ampbench::testing::kStation;
using ampbench::testing::long_sequence;
using ampbench::testing::query;
using ampbench::testing::run_ampbench;
using ampbench::testing::scalar;
using ampbench::testing::spawn_ampbench;
using ampbench::testing::TempDir;
using ampbench::testing::wait_exit;
using ampbench::testing::wait_for_passed_steps;
using ampbench::testing::wait_for_running_step;
using ampbench::testing::write;

namespace {

// Truth for the default station's gain at 1 kHz into 8 ohm (docs/simulation.md).
double sim_bench_gain_db() {
  const double fs = 96000.0, f = 1000.0;
  const auto warp = [&](double fc) { return std::tan(M_PI * f / fs) / std::tan(M_PI * fc / fs); };
  const std::complex<double> j(0.0, 1.0);
  const double hp = std::abs(j * warp(2.0) / (1.0 + j * warp(2.0)));
  const double lp =
      std::abs(1.0 / (1.0 - warp(40000.0) * warp(40000.0) + j * warp(40000.0) * std::sqrt(2.0)));
  return 26.0 + 20.0 * std::log10(8.0 / 8.05 * hp * lp);
}

}  // namespace

TEST(CliRun, PowerAmpProductionPassesAGoodUnit) {
  TempDir dir;
  const auto db = dir / "r.db";
  auto r = run_ampbench({"run", kPowerAmp, "--station", kStation, "--serial", "GOOD-1", "--db", db,
                         "--json", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["verdict"], "PASS");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM runs"), "1");
  EXPECT_EQ(scalar(db, "SELECT verdict || serial FROM runs"), "PASSGOOD-1");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM steps WHERE verdict = 'PASS'"), "12");
  // 2 channels × (6 level + 10 thdn + 9 points × 10 thdn + 10 thdn at 10 kHz + 3 CCIF imd
  // + 6 response + 3 SMPTE imd + 4 noise + 2 crosstalk + 2 loads × 4 max power + 3 output
  // impedance) + 1 balance L−R; the thdn steps into 8 Ω give power_w
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM measurements"), "293");
  // 2 channels × (3 THD+N spectra; THD+N vs level and vs power; response, phase, group
  // delay, THD vs frequency; noise density; THD+N vs power × 2 loads)
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM curves"), "24");
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM curves WHERE name = 'spectrum_dbv' AND point_json LIKE "
                   "'%fundamental_hz%'"),
            "6");
  for (const auto& row : query(db,
                               "SELECT value FROM measurements m JOIN steps s ON s.id = m.step_id "
                               "WHERE s.step_id = 'gain_1k' AND m.name = 'gain_db'")) {
    EXPECT_NEAR(std::stod(row[0]), sim_bench_gain_db(), 0.01);
  }
  EXPECT_EQ(scalar(db, "SELECT unit FROM measurements WHERE name = 'thdn_pct' LIMIT 1"), "%");
  EXPECT_EQ(
      scalar(db, "SELECT low || ':' || high FROM measurements WHERE name = 'gain_db' LIMIT 1"),
      "25.5:26.5");
  EXPECT_EQ(scalar(db,
                   "SELECT point_json FROM measurements m JOIN steps s ON s.id = m.step_id WHERE "
                   "s.step_id = "
                   "'thdn_vs_level' AND name = 'thdn_pct' LIMIT 1"),
            R"({"stimulus.level":"-40 dBV"})");
  EXPECT_EQ(scalar(db, "SELECT length(x) / 8 FROM curves WHERE name = 'response_db' LIMIT 1"),
            "31");
  EXPECT_EQ(scalar(db, "PRAGMA user_version"), "12");
  // How long it held the bench: at least its stimulus, with its transfers counted.
  EXPECT_EQ(scalar(db,
                   "SELECT unit_s > stimulus_s AND stimulus_s > 10 AND transfers > 20 AND "
                   "analysis_s > 0 FROM runs"),
            "1");
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM runs r JOIN texts q ON q.sha256 = r.sequence_sha256 "
                   "JOIN texts s ON s.sha256 = r.station_sha256 WHERE q.text LIKE '%gain_1k%' "
                   "AND s.text LIKE '%sim-bench%' AND finished_at > started_at"),
            "1");
}

TEST(CliRun, EachSimulatedFaultFailsOnTheRightStep) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"SIM-LOW-GAIN", "gain_1k,max_power"},
      {"SIM-HUM", "thdn_1w,thdn_vs_level,thdn_10k,response,snr_a"},
      {"SIM-EARLY-CLIP", "thdn_vs_level,max_power"},
      {"SIM-DEAD-R",
       "gain_1k,thdn_1w,thdn_vs_level,thdn_10k,imd_ccif,response,imd_smpte,crosstalk,max_power"},
      // An inverted channel fails only its polarity, on the level step and the sweep.
      {"SIM-INVERTED-R", "gain_1k,response"},
      // Crossover distortion: the THD+N figures in reach of its harmonics and both IMDs;
      // gain, response, noise pass (10 kHz's harmonics lie above the 20 kHz band).
      {"SIM-CROSSOVER", "thdn_1w,thdn_vs_level,imd_ccif,imd_smpte"},
      // A slow output stage: only CCIF's difference tones, in the band, see it.
      {"SIM-SLEW", "imd_ccif"},
  };
  for (const auto& [serial, failing] : cases) {
    TempDir dir;
    const auto db = dir / "r.db";
    auto r = run_ampbench(
        {"run", kPowerAmp, "--station", kStation, "--serial", serial, "--db", db, "--quiet"});
    EXPECT_EQ(r.exit_code, 1) << serial << ": " << r.err;
    EXPECT_EQ(scalar(db,
                     "SELECT group_concat(step_id) FROM (SELECT step_id FROM steps WHERE verdict = "
                     "'FAIL' ORDER BY ordinal)"),
              failing)
        << serial;
    EXPECT_EQ(scalar(db, "SELECT verdict FROM runs"), "FAIL");
  }
}

TEST(CliRun, ADcOffsetFailsOnlyTheOffsetLimit) {
  TempDir dir;
  const auto db = dir / "r.db";
  auto r = run_ampbench({"run", kPowerAmp, "--station", kStation, "--serial", "SIM-DC-OFFSET",
                         "--db", db, "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(scalar(db,
                   "SELECT group_concat(s.step_id || '.' || name || '.' || channel) FROM "
                   "measurements m JOIN steps s ON s.id = m.step_id WHERE m.verdict = 'FAIL'"),
            "gain_1k.dc_offset_v.L,gain_1k.dc_offset_v.R");
}

TEST(CliRun, AnInvertedChannelFailsOnlyItsPolarity) {
  TempDir dir;
  const auto db = dir / "r.db";
  auto r = run_ampbench({"run", kPowerAmp, "--station", kStation, "--serial", "SIM-INVERTED-R",
                         "--db", db, "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(
      scalar(db,
             "SELECT group_concat(s.step_id || '.' || name || '.' || channel || '=' || value) "
             "FROM measurements m JOIN steps s ON s.id = m.step_id WHERE m.verdict = 'FAIL'"),
      "gain_1k.polarity.R=-1.0,response.polarity.R=-1.0");
  EXPECT_EQ(scalar(db,
                   "SELECT group_concat(value) FROM measurements WHERE name = 'polarity' AND "
                   "channel = 'L'"),
            "1.0,1.0");
}

TEST(CliRun, SweptAndSteppedResponsesAgree) {
  TempDir dir;
  const auto seq = dir / "r.toml";
  write(seq, R"([sequence]
name = "response"
channels = ["L", "R"]
[defaults]
load_ohm = 8
[[step]]
id = "swept"
kind = "frequency_response"
method = "sweep"
stimulus = { from_hz = 20, to_hz = 20000, level = "-20 dBV", points = 13, duration_s = 2 }
[[step]]
id = "stepped"
kind = "frequency_response"
stimulus = { from_hz = 20, to_hz = 20000, level = "-20 dBV", points = 13 }
)");
  const auto db = dir / "r.db";
  ASSERT_EQ(run_ampbench({"run", seq, "--station", kStation, "--db", db, "--quiet"}).exit_code, 0);
  const auto curve = [&](const std::string& step, const std::string& channel) {
    const auto rows = query(
        db, "SELECT hex(y) FROM curves c JOIN steps s ON s.id = c.step_id WHERE s.step_id = '" +
                step + "' AND c.name = 'response_db' AND c.channel = '" + channel + "'");
    std::vector<double> y;
    const std::string hex = rows.at(0).at(0);
    for (std::size_t i = 0; i + 16 <= hex.size(); i += 16) {
      std::uint64_t bits = 0;
      for (int b = 7; b >= 0; --b)
        bits = (bits << 8) | std::stoul(hex.substr(i + 2 * b, 2), nullptr, 16);
      double v;
      std::memcpy(&v, &bits, sizeof v);
      y.push_back(v);
    }
    return y;
  };
  for (const char* ch : {"L", "R"}) {
    const auto swept = curve("swept", ch), stepped = curve("stepped", ch);
    ASSERT_EQ(swept.size(), 13u);
    ASSERT_EQ(stepped.size(), 13u);
    for (std::size_t i = 0; i < swept.size(); ++i)
      EXPECT_NEAR(swept[i], stepped[i], 0.02) << ch << " point " << i;
  }
  // The 2 Hz high-pass and 40 kHz low-pass of the input stage: -0.043 dB at 20 Hz.
  EXPECT_NEAR(
      std::stod(scalar(db,
                       "SELECT value FROM measurements m JOIN steps s ON s.id = m.step_id WHERE "
                       "s.step_id = 'swept' AND name = 'deviation_min_db' AND channel = 'L'")),
      20 * std::log10(
               1 / std::sqrt(
                       1 + std::pow(std::tan(M_PI * 2 / 96000) / std::tan(M_PI * 20 / 96000), 2))),
      0.005);
}

TEST(CliRun, LowGainReadsSixDbLow) {
  TempDir dir;
  const auto db = dir / "r.db";
  run_ampbench(
      {"run", kPowerAmp, "--station", kStation, "--serial", "SIM-LOW-GAIN", "--db", db, "--quiet"});
  EXPECT_NEAR(
      std::stod(scalar(db, "SELECT value FROM measurements WHERE name = 'gain_db' LIMIT 1")),
      sim_bench_gain_db() - 6.0, 0.01);
}

TEST(CliRun, SeveralSerialsAndHostileText) {
  TempDir dir;
  const auto db = dir / "r.db";
  const std::string hostile = "x'); DROP TABLE runs;--";
  auto r = run_ampbench({"run", kPowerAmp, "--station", kStation, "--serial", "GOOD-1", "--serial",
                         hostile, "--serial", "SIM-LOW-GAIN", "--db", db, "--quiet", "--operator",
                         "Zoë \"QA\""});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the worst unit decides
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM runs"), "3");
  EXPECT_EQ(scalar(db, "SELECT serial FROM runs WHERE id = 2"), hostile);
  EXPECT_EQ(scalar(db, "SELECT operator FROM runs WHERE id = 2"), "Zoë \"QA\"");
  auto list = run_ampbench({"results", "list", "--db", db, "--serial", hostile, "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out).at(0)["serial"], hostile);
}

TEST(CliRun, ResultsShowAndExport) {
  TempDir dir;
  const auto db = dir / "r.db";
  ASSERT_EQ(run_ampbench({"run", kPowerAmp, "--station", kStation, "--serial", "SN,1", "--db", db,
                          "--quiet"})
                .exit_code,
            0);
  auto show = run_ampbench({"results", "show", "1", "--db", db});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("gain_db"), std::string::npos);
  EXPECT_NE(show.out.find("[25.5"), std::string::npos);
  auto csv = run_ampbench({"results", "export", "--format", "csv", "--db", db});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 294);  // header + 293 measurements
  EXPECT_NE(csv.out.find("\"SN,1\""), std::string::npos);
  EXPECT_NE(csv.out.find("stimulus.level=-40 dBV"), std::string::npos);
  auto json = run_ampbench({"results", "export", "--format", "json", "--db", db});
  ASSERT_EQ(json.exit_code, 0);
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j[0]["steps"].size(), 12u);
  EXPECT_EQ(run_ampbench({"results", "show", "99", "--db", db}).exit_code, 65);
  EXPECT_EQ(run_ampbench({"results", "list", "--db", dir / "none.db"}).exit_code, 74);
}

TEST(CliRun, KillNineKeepsFinishedStepsAndNextRunMarksAborted) {
  TempDir dir;
  const auto db = dir / "r.db";
  const pid_t pid = spawn_ampbench(
      {"run", long_sequence(dir.path), "--station", kStation, "--serial", "K1", "--db", db},
      dir / "log");
  ASSERT_TRUE(wait_for_passed_steps(db, 1)) << "no step finished in time";
  ASSERT_TRUE(wait_for_running_step(db, "long_sweep")) << "the long step never began";
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_exit(pid), 128 + SIGKILL);
  EXPECT_EQ(scalar(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(scalar(db, "SELECT verdict FROM runs"), "RUNNING");
  EXPECT_EQ(scalar(db, "SELECT step_id || verdict FROM steps WHERE ordinal = 1"), "quickPASS");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM measurements"), "15");
  ASSERT_EQ(run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--station", kStation,
                          "--db", db, "--quiet"})
                .exit_code,
            0);
  EXPECT_EQ(scalar(db, "SELECT verdict FROM runs WHERE serial = 'K1'"), "ABORTED");
  EXPECT_EQ(scalar(db, "SELECT verdict FROM steps WHERE step_id = 'long_sweep'"), "ABORTED");
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM measurements m JOIN steps s ON s.id = m.step_id WHERE "
                   "s.step_id = 'quick'"),
            "15");
}

TEST(CliRun, InterruptRunsCleanupAndExitsThree) {
  TempDir dir;
  const auto db = dir / "r.db";
  const pid_t pid = spawn_ampbench(
      {"run", long_sequence(dir.path), "--station", kStation, "--serial", "C1", "--db", db},
      dir / "log");
  ASSERT_TRUE(wait_for_passed_steps(db, 1)) << "no step finished in time";
  ASSERT_TRUE(wait_for_running_step(db, "long_sweep")) << "the long step never began";
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid), 3) << ampbench::testing::slurp(dir / "log");
  EXPECT_EQ(scalar(db, "SELECT verdict FROM runs"), "ABORTED");
  EXPECT_EQ(scalar(db, "SELECT group_concat(step_id || ':' || verdict) FROM steps"),
            "quick:PASS,long_sweep:ABORTED,tidy:PASS");
}

TEST(CliRun, SigtermIsNamedAndASecondSignalEndsTheProcessAtOnce) {
  TempDir dir;
  const auto db = dir / "r.db";
  pid_t pid = spawn_ampbench(
      {"run", long_sequence(dir.path), "--station", kStation, "--serial", "T1", "--db", db},
      dir / "log");
  ASSERT_TRUE(wait_for_passed_steps(db, 1)) << "no step finished in time";
  ASSERT_TRUE(wait_for_running_step(db, "long_sweep")) << "the long step never began";
  ::kill(pid, SIGTERM);
  EXPECT_EQ(wait_exit(pid), 3) << ampbench::testing::slurp(dir / "log");
  EXPECT_EQ(scalar(db, "SELECT message FROM steps WHERE step_id = 'long_sweep'"),
            "stopped by SIGTERM (a supervisor or a shutdown ended the run)");
  // Two Ctrl-Cs: the second does not wait for the step in hand, and the run it leaves is
  // marked ABORTED by the next writer, its steps kept.
  const auto db2 = dir / "r2.db";
  const auto one_long_capture = dir / "one_long_capture.toml";
  write(one_long_capture, R"([sequence]
name = "one long capture"
channels = ["L", "R"]
[[step]]
id = "quick"
kind = "level"
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
[[step]]
id = "long_capture"
kind = "level"
capture_s = 30
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
)");
  pid = spawn_ampbench(
      {"run", one_long_capture, "--station", kStation, "--serial", "T2", "--db", db2},
      dir / "log2");
  ASSERT_TRUE(wait_for_passed_steps(db2, 1)) << "no step finished in time";
  ASSERT_TRUE(wait_for_running_step(db2, "long_capture")) << "the long step never began";
  // Into the long capture (2.6 s of work with no place to stop; 6 s under the sanitizers)
  // before the first press: the step has begun, a second more is its capture beginning.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ::kill(pid, SIGINT);
  // Two presses, not one signal sent twice at once (pending signals of a kind merge).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid), 128 + SIGINT) << ampbench::testing::slurp(dir / "log2");
  EXPECT_NE(ampbench::testing::slurp(dir / "log2").find("second interrupt"), std::string::npos);
  ampbench::store::ResultStore::open(db2);
  EXPECT_EQ(scalar(db2, "SELECT verdict FROM runs"), "ABORTED");
  EXPECT_EQ(scalar(db2, "SELECT verdict FROM steps WHERE step_id = 'quick'"), "PASS");
}

TEST(CliRun, TwoWritersShareOneDatabase) {
  TempDir dir;
  const auto db = dir / "r.db";
  const pid_t a = spawn_ampbench(
      {"run", kPowerAmp, "--station", kStation, "--serial", "A", "--serial", "A2", "--db", db},
      dir / "a.log");
  const pid_t b = spawn_ampbench(
      {"run", kPowerAmp, "--station", kStation, "--serial", "B", "--serial", "B2", "--db", db},
      dir / "b.log");
  EXPECT_EQ(wait_exit(a), 0) << ampbench::testing::slurp(dir / "a.log");
  EXPECT_EQ(wait_exit(b), 0) << ampbench::testing::slurp(dir / "b.log");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM runs WHERE verdict = 'PASS'"), "4");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM measurements"), "1172");
}

TEST(CliRun, PromptUsesTheDefaultWithoutATerminal) {
  TempDir dir;
  const auto seq = dir / "p.toml";
  write(seq, R"([sequence]
name = "prompt"
channels = ["L"]
[[step]]
id = "ask"
kind = "prompt"
message = "Is the power LED on?"
default = "yes"
expect = "yes"
[[step]]
id = "ask_again"
kind = "prompt"
message = "Is the fan silent?"
default = "no"
expect = "yes"
)");
  const auto db = dir / "r.db";
  auto r = run_ampbench({"run", seq, "--station", kStation, "--db", db, "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(scalar(db, "SELECT group_concat(verdict || ':' || message, '|') FROM steps"),
            "PASS:answer: yes|FAIL:answer: no (expected 'yes')");
  auto o = run_ampbench(
      {"run", seq, "--station", kStation, "--db", db, "--quiet", "--set", "ask_again.default=yes"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
}

TEST(CliRun, PreampProductionPassesAndEachFaultFails) {
  struct Case {
    std::string serial, failing;
    int exit_code;
  };
  const std::vector<Case> cases = {
      {"GOOD", "", 0},
      // A 6 dB loss ahead of the input stage: every gain, and the mic's EIN (noise referred
      // to a 6 dB weaker signal).
      {"SIM-LOW-GAIN", "gain_1k,tone_flat,mic_gain,mic_ein,phono_gain", 1},
      {"SIM-HUM", "thdn_1v,thdn_high,response,snr_a,mic_ein,riaa", 1},
      {"SIM-EARLY-CLIP", "thdn_high", 1},
      // A dead R channel carries only L's crosstalk (-85 dB): its CMRR is a bound far below
      // the limit, its RIAA deviation (re its own 1 kHz level) that of noise and crosstalk.
      {"SIM-DEAD-R",
       "gain_1k,thdn_1v,thdn_high,response,imd_ccif,crosstalk,gain_control,tone_flat,mic_gain,"
       "mic_cmrr,mic_ein,phono_gain,riaa",
       1},
      // The phono stage's 318 µs constant at 350 µs: the RIAA deviation fails, its 1 kHz
      // gain does not.
      {"SIM-RIAA", "riaa", 1},
      // A dead mic input: only the mic's steps (no signal to measure impedance or refer
      // noise to is an ERROR).
      {"SIM-DEAD-MIC", "zin_mic,mic_gain,mic_cmrr,mic_ein", 2},
      // The mic input's difference stage mismatched by 2 %: its CMRR alone.
      {"SIM-POOR-CMRR", "mic_cmrr", 1},
  };
  for (const auto& [serial, failing, exit_code] : cases) {
    TempDir dir;
    const auto db = dir / "r.db";
    auto r = run_ampbench({"run", kSource + "/sequences/preamp-production.toml", "--station",
                           kSource + "/instruments/sim-preamp.toml", "--serial", serial, "--db", db,
                           "--quiet"});
    EXPECT_EQ(r.exit_code, exit_code) << serial << ": " << r.err;
    EXPECT_EQ(scalar(db,
                     "SELECT COALESCE(group_concat(step_id), '') FROM (SELECT step_id FROM steps "
                     "WHERE verdict != 'PASS' ORDER BY ordinal)"),
              failing)
        << serial;
  }
}

TEST(CliRun, PreampInputsMeasureTheirModel) {
  // sim-preamp.toml: line and phono 47 kohm, mic 2 kohm with 1.2 nV/√Hz; the EIN source is
  // 150 ohm at 290 K. Input impedance within ±2 %, EIN within ±0.5 dB of the model's
  // density integrated over 20 Hz–20 kHz, unweighted and A-weighted.
  TempDir dir;
  const auto db = dir / "r.db";
  ASSERT_EQ(run_ampbench({"run", kSource + "/sequences/preamp-production.toml", "--station",
                          kSource + "/instruments/sim-preamp.toml", "--db", db, "--quiet"})
                .exit_code,
            0);
  const auto value = [&](const std::string& step, const std::string& name) {
    return std::stod(scalar(db,
                            "SELECT m.value FROM measurements m JOIN steps s ON s.id = "
                            "m.step_id WHERE s.step_id = '" +
                                step + "' AND m.name = '" + name + "' AND m.channel = 'L'"));
  };
  EXPECT_NEAR(value("zin_line", "input_impedance_ohm"), 47000.0, 940.0);
  EXPECT_NEAR(value("zin_phono", "input_impedance_ohm"), 47000.0, 940.0);
  EXPECT_NEAR(value("zin_mic", "input_impedance_ohm"), 2000.0, 40.0);
  const double rs = 150.0, zin = 2000.0, divider = zin / (zin + rs);
  const double density = std::sqrt(std::pow(1.2e-9 / divider, 2) + 4.0 * 1.380649e-23 * 290.0 * rs);
  const auto a_weight_squared = [](double f) {  // IEC 61672 A, 0 dB at 1 kHz
    const double f2 = f * f;
    const double ra = 12194.0 * 12194.0 * f2 * f2 /
                      ((f2 + 20.6 * 20.6) * std::sqrt((f2 + 107.7 * 107.7) * (f2 + 737.9 * 737.9)) *
                       (f2 + 12194.0 * 12194.0));
    return std::pow(ra * std::pow(10.0, 2.0 / 20.0), 2);
  };
  double a_band = 0.0;
  for (double f = 20.0; f < 20000.0; f += 1.0) a_band += a_weight_squared(f + 0.5);
  const auto dbu = [](double v) { return 20.0 * std::log10(v / 0.7745966692); };
  EXPECT_NEAR(value("mic_ein", "ein_dbu"), dbu(density * std::sqrt(19980.0)), 0.5);
  EXPECT_NEAR(value("mic_ein", "ein_a_dbu"), dbu(density * std::sqrt(a_band)), 0.5);
  EXPECT_NEAR(value("phantom", "phantom_v"), 48.0, 1e-6);
  EXPECT_NEAR(value("riaa", "deviation_min_db"), 0.0, 0.15);  // the line stage's 3 Hz / 45 kHz
  EXPECT_NEAR(value("bass_max", "bass_turnover_hz"), 100.0, 2.0);
}

TEST(CliRun, PreampLabSweepsTheFrontPanel) {
  TempDir dir;
  const auto db = dir / "r.db";
  auto r = run_ampbench({"run", kSource + "/sequences/preamp-lab.toml", "--station",
                         kSource + "/instruments/sim-preamp.toml", "--db", db, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Gain tracks the control: 20 dB + setting, within 0.01 dB over ±20 dB.
  for (const auto& row : query(db,
                               "SELECT m.value, json_extract(m.point_json, '$.\"dut.gain_db\"') "
                               "FROM measurements m JOIN steps s ON s.id = m.step_id WHERE "
                               "s.step_id = 'gain_control' AND m.name = 'gain_db'"))
    EXPECT_NEAR(std::stod(row[0]), 20.0 + std::stod(row[1]), 0.01) << row[1];
  // A response curve per bass setting, each named by its point.
  EXPECT_EQ(scalar(db,
                   "SELECT count(DISTINCT point_json) FROM curves c JOIN steps s ON s.id = "
                   "c.step_id WHERE s.step_id = 'bass_family' AND c.name = 'response_db'"),
            "5");
  // Input impedance is resistive in the model: flat from 20 Hz to 20 kHz within 2 %.
  for (const auto& row : query(db,
                               "SELECT m.value, json_extract(m.point_json, '$.\"dut.input\"') "
                               "FROM measurements m JOIN steps s ON s.id = m.step_id WHERE "
                               "s.step_id = 'input_impedance' AND m.name = 'input_impedance_ohm'"))
    EXPECT_NEAR(std::stod(row[0]), row[1] == "mic" ? 2000.0 : 47000.0,
                row[1] == "mic" ? 40.0 : 940.0)
        << row[1];
  // … and its phase 0°, within 1°.
  for (const auto& row : query(db,
                               "SELECT m.value FROM measurements m JOIN steps s ON s.id = "
                               "m.step_id WHERE s.step_id = 'input_impedance' AND m.name = "
                               "'input_impedance_phase_deg'"))
    EXPECT_NEAR(std::stod(row[0]), 0.0, 1.0);
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM measurements m JOIN steps s ON s.id = m.step_id "
                   "WHERE s.step_id = 'mic_ein' AND m.name = 'ein_dbu'"),
            "6");
}

TEST(CliRun, LabCharacterisationRecordsItsCurves) {
  TempDir dir;
  const auto db = dir / "r.db";
  auto r = run_ampbench({"run", kSource + "/sequences/lab-characterisation.toml", "--station",
                         kStation, "--db", db, "--quiet", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM steps WHERE verdict = 'PASS'"), "15");
  EXPECT_GT(std::stod(scalar(
                db, "SELECT value FROM measurements WHERE name = 'dynamic_range_db' LIMIT 1")),
            110.0);
  EXPECT_EQ(
      scalar(db, "SELECT group_concat(DISTINCT name) FROM (SELECT name FROM curves ORDER BY id)"),
      "spectrum_dbv,thdn_vs_level_pct,thdn_vs_power_pct,thdn_vs_freq_pct,response_db,phase_deg,"
      "group_delay_ms,thd_vs_freq_pct,imd_vs_level_pct,noise_density_nv_rthz,crosstalk_db,thdn_vs_"
      "burst_power_pct,output_"
      "impedance_ohm,"
      "damping_factor");
  EXPECT_EQ(scalar(db, "SELECT length(x) / 8 FROM curves WHERE name = 'response_db' LIMIT 1"),
            "121");
  // The 4-ohm sweep reaches the current limit: its last THD+N is far above the 8-ohm one.
  const auto last_thdn = [&](const std::string& step) {
    return std::stod(scalar(
        db,
        "SELECT value FROM measurements m JOIN steps s ON s.id = m.step_id WHERE s.step_id = '" +
            step + "' AND name = 'thdn_pct' AND channel = 'L' ORDER BY m.id DESC LIMIT 1"));
  };
  EXPECT_GT(last_thdn("thdn_vs_level_4ohm"), 1.0);
  const auto summary = nlohmann::json::parse(r.out);
  EXPECT_GT(summary["runs"][0]["stimulus_s"].get<double>(), 60.0);
}

// unit_s is counted, not guessed: with no bursts and no settling, what the unit holds the
// bench for beyond its analysis is each transfer's stimulus, the latency, the 5 ms a real
// port records past it and half the stream's period (docs/design.md).
TEST(CliRun, UnitTimeIsTheStimulusTheTransfersTailsAndTheAnalysis) {
  TempDir dir;
  std::ifstream in(kStation);
  std::string station((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string latency = "latency_samples = 96";
  ASSERT_NE(station.find(latency), std::string::npos);
  station.replace(station.find(latency), latency.size(),
                  "latency_samples = 480\nbuffer_frames = 1024");
  const auto station_path = dir / "station.toml";
  std::ofstream(station_path) << station;
  auto r = run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--station", station_path,
                         "--db", dir / "r.db", "--quiet", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto unit = nlohmann::json::parse(r.out)["runs"][0];
  const double fs = 96000.0;  // sim-bench's rate
  const auto transfers = unit["transfers"].get<double>();
  EXPECT_EQ(transfers, 3.0);
  const double tails_s = transfers * (480.0 / fs + 0.005 + 512.0 / fs);
  EXPECT_NEAR(unit["unit_s"].get<double>() - unit["analysis_s"].get<double>(),
              unit["stimulus_s"].get<double>() + tails_s, 1e-9);
  EXPECT_GT(unit["analysis_s"].get<double>(), 0.0);
  EXPECT_LE(unit["analysis_s"].get<double>(), unit["wall_s"].get<double>());
}
