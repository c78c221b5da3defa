// End to end: the lab's sequences (SPEC §9) — the power amplifier's datasheet at requested
// output powers, its curves equal to its stored measurements, and the curve exports one file
// per condition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli_fixtures.hpp"
#include "clipped_sine.hpp"
#include "db_query.hpp"
#include "run_binary.hpp"
#include "sequence/levels.hpp"
#include "store/results_reader.hpp"

using ampbench::testing::kSource;
using ampbench::testing::kStation;
using ampbench::testing::run_ampbench;
using ampbench::testing::scalar;
using ampbench::testing::slurp;
using ampbench::testing::TempDir;

TEST(CliLab, TheDatasheetMeasuresAtTheRequestedPowersAndDrawsWhatItStored) {
  TempDir dir;
  const auto db = dir / "r.db";
  const auto r = run_ampbench({"run", kSource + "/sequences/poweramp-datasheet.toml", "--station",
                               kStation, "--serial", "DS-1", "--db", db, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto run = ampbench::store::open_results(db)->load_run("1");
  const auto& step = run.steps.at(0);
  ASSERT_EQ(step.step_id, "thdn_vs_power");
  int powers = 0;
  for (const auto& m : step.measurements) {
    if (m.name != "power_w") continue;
    const double load = m.point["load_ohm"].get<double>();
    const double v = ampbench::sequence::level_to_vrms(
        ampbench::sequence::parse_level(m.point["stimulus.output_level"].get<std::string>()),
        {1.0, load});
    EXPECT_NEAR(10.0 * std::log10(m.value * load / (v * v)), 0.0, 0.1) << m.point.dump();
    ++powers;
  }
  EXPECT_GE(powers, 2 * 6 * 15);  // 15 of 19 powers up to clipping, 6 conditions, 2 channels
  std::set<std::string> conditions;
  for (const auto& c : step.curves) {
    if (c.name != "thdn_vs_power_pct") continue;
    conditions.insert(c.point.dump() + c.channel);
    for (std::size_t i = 0; i < c.x.size(); ++i) {
      int found = 0;
      for (const auto& p : step.measurements)
        if (p.name == "power_w" && p.channel == c.channel && p.value == c.x[i])
          for (const auto& t : step.measurements)
            if (t.name == "thdn_pct" && t.channel == c.channel && t.point == p.point &&
                t.value == c.y[i])
              ++found;
      EXPECT_EQ(found, 1) << c.point.dump() << " " << c.x[i];
    }
  }
  EXPECT_EQ(conditions.size(), 12u);  // 3 frequencies × 2 loads × 2 channels
  // The clipping knee: the 0.5 dB steps and, between the two around 1 %, the captures that
  // found the crossing, each curve in order of power.
  const auto& clipping = run.steps.at(1);
  ASSERT_EQ(clipping.step_id, "clipping");
  EXPECT_EQ(clipping.verdict, ampbench::record::Verdict::pass) << clipping.message;
  int knees = 0;
  for (const auto& c : clipping.curves) {
    if (c.name != "thdn_vs_power_pct") continue;
    ++knees;
    EXPECT_TRUE(std::is_sorted(c.x.begin(), c.x.end())) << c.point.dump();
    const auto knee = std::count_if(c.y.begin(), c.y.end(), [](double pct) { return pct > 0.1; });
    EXPECT_GE(knee, 4) << c.point.dump();  // the step past 1 % and at least three between
  }
  EXPECT_EQ(knees, 4);  // 2 loads × 2 channels
  // Crosstalk at 1 W: each driven channel at 1 W into 8 Ω (9.03 dBV), within 0.02 dB.
  for (const auto& s : run.steps)
    for (const auto& m : s.measurements)
      if (s.step_id == "crosstalk" && m.name == "level_dbv") {
        EXPECT_NEAR(m.value, 10.0 * std::log10(8.0), 0.02) << m.point.dump();
      }
}

// The preamp's datasheet (docs/datasheet.md) on the shipped station: it passes; its maximum
// output and the mic input's overload are the model's clipped sine (12 V peak, harmonics
// within 20 kHz of 1 kHz) within 0.1 dB, at the output and, through the inputs' 20 dB, at the
// input; IMD versus output level is a curve of its four points per channel.
TEST(CliLab, ThePreampDatasheetsFiguresAreTheModels) {
  TempDir dir;
  const auto db = dir / "r.db";
  const auto run = run_ampbench({"run", kSource + "/sequences/preamp-datasheet.toml", "--station",
                                 kSource + "/instruments/sim-preamp.toml", "--db", db, "--quiet"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto truth = ampbench::testing::clipped_sine_at_thdn(12.0, 1.0, 19);
  const double out_dbv = 20.0 * std::log10(truth.fundamental / std::sqrt(2.0));
  const double in_dbv = 20.0 * std::log10(truth.amplitude / std::sqrt(2.0)) - 20.0;
  const auto value = [&](const std::string& step, const std::string& name) {
    return std::stod(scalar(db,
                            "SELECT m.value FROM measurements m JOIN steps s ON s.id = m.step_id "
                            "WHERE s.step_id = '" +
                                step + "' AND m.name = '" + name +
                                "' AND m.channel = 'L' AND m.point_json = "
                                "'{\"stimulus.frequency_hz\":1000.0}'"));
  };
  for (const char* step : {"thdn_vs_level", "mic_overload"}) {
    EXPECT_NEAR(value(step, "output_at_criterion_dbv"), out_dbv, 0.1) << step;
    EXPECT_NEAR(value(step, "level_at_criterion_dbv"), in_dbv, 0.1) << step;
  }
  // x is a float64 array: 8 bytes a point.
  EXPECT_EQ(scalar(db,
                   "SELECT group_concat(length(c.x) / 8, ',') FROM curves c WHERE c.name = "
                   "'imd_vs_level_pct'"),
            "4,4");
  // Each step's conditions as the run set them: the front panel as the earlier steps left it
  // and this one changed it, the analysis's band and weighting, the IMD standard.
  const auto conditions = [&](const std::string& step) {
    return scalar(
        db, "SELECT json_extract(params_json, '$.conditions') FROM steps WHERE step_id = '" + step +
                "'");
  };
  EXPECT_EQ(
      conditions("mic_overload"),
      R"({"band":"20 Hz–20 kHz","dut":"input mic, gain -20 dB, bass +0 dB, treble +0 dB, phantom off"})");
  EXPECT_EQ(
      conditions("imd_vs_level"),
      R"({"dut":"input line, gain +0 dB, bass +0 dB, treble +0 dB, phantom off","standard":"SMPTE 60 Hz + 7 kHz 4:1"})");
  // EIN: its gain is swept, so the gain is in each point, not in the conditions.
  EXPECT_EQ(
      conditions("mic_ein"),
      R"({"band":"20 Hz–20 kHz","dut":"input mic, bass +0 dB, treble +0 dB, phantom off","weighting":"unweighted"})");
  const auto html = dir / "r.html";
  ASSERT_EQ(run_ampbench({"report", "1", "-o", html, "--db", db}).exit_code, 0);
  EXPECT_NE(slurp(html).find("<title>THD+N versus output level — 20 Hz–20 kHz, input mic, gain -20 "
                             "dB, bass +0 dB, treble +0 dB, phantom off</title>"),
            std::string::npos);
  // A datasheet's plots: each an SVG and its data, without limits, the responses normalised.
  const auto plots = dir / "plots";
  const auto r = run_ampbench({"report", "1", "--format", "plots", "-o", plots, "--no-limits",
                               "--normalize-hz", "1000", "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int svgs = 0;
  for (const auto& e : std::filesystem::directory_iterator(plots)) {
    if (e.path().extension() != ".svg") continue;
    ++svgs;
    const std::string svg = slurp(e.path());
    EXPECT_EQ(svg.find("class=\"limit\""), std::string::npos) << e.path();
    EXPECT_EQ(svg.find("class=\"mask\""), std::string::npos) << e.path();
    auto csv = e.path();
    EXPECT_TRUE(std::filesystem::exists(csv.replace_extension(".csv"))) << csv;
  }
  EXPECT_EQ(svgs, 15);  // every curve name of every step, one spectrum per step
  // The normalised responses: 0 dB at 1 kHz, between the two points around it in log frequency.
  const std::string response = slurp(plots + "/unnamed-run1-response_by_input-response_db.csv");
  EXPECT_EQ(response.rfind("channel,condition,Frequency (Hz),Level re 1 kHz (dB)\n", 0), 0u);
  const auto store = ampbench::store::open_results(db);
  const auto run_record = store->load_run("1");
  int normalised = 0;
  for (const auto& c : run_record.steps.at(0).curves) {
    if (c.name != "response_db") continue;
    std::size_t k = 0;
    while (c.x[k + 1] < 1000.0) ++k;
    const double t = std::log(1000.0 / c.x[k]) / std::log(c.x[k + 1] / c.x[k]);
    const double at_1k = c.y[k] + t * (c.y[k + 1] - c.y[k]);
    // The second point (12.3 Hz) re 1 kHz, every digit.
    std::ostringstream expected;
    expected.precision(17);
    expected << "\n"
             << c.channel << "," << c.point["dut.input"].get<std::string>() << " input," << c.x[1]
             << "," << c.y[1] - at_1k << "\n";
    EXPECT_NE(response.find(expected.str()), std::string::npos) << expected.str();
    ++normalised;
  }
  EXPECT_EQ(normalised, 4);  // line and mic, L and R
}

// Five bass and five treble settings: ten files per channel, each its own curve.
TEST(CliLab, RewExportWritesOneFilePerToneSetting) {
  TempDir dir;
  const auto db = dir / "r.db";
  ASSERT_EQ(run_ampbench({"run", kSource + "/sequences/preamp-lab.toml", "--station",
                          kSource + "/instruments/sim-preamp.toml", "--db", db, "--quiet"})
                .exit_code,
            0);
  const auto rew = dir / "rew";
  const auto r = run_ampbench({"report", "1", "--format", "rew", "-o", rew, "--db", db});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> contents;
  int tone_files = 0;
  for (const auto& e : std::filesystem::directory_iterator(rew)) {
    const auto name = e.path().filename().string();
    if (name.find("_family-") == std::string::npos) continue;
    ++tone_files;
    const std::string text = slurp(e.path());
    EXPECT_NE(text.find("* Condition: "), std::string::npos) << name;
    EXPECT_NE(text.find("Phase(degrees)"), std::string::npos) << name;  // measured, not 0.0
    contents.insert(text.substr(text.find("* Freq(Hz)")));
  }
  EXPECT_EQ(tone_files, 20);
  EXPECT_EQ(contents.size(), 20u);
  const auto curves = dir / "curves";
  ASSERT_EQ(run_ampbench({"report", "1", "--format", "curves", "-o", curves, "--db", db}).exit_code,
            0);
  const std::string bass = slurp(curves + "/unnamed-run1-bass_family-bass_6_dB-L-response_db.csv");
  EXPECT_EQ(bass.rfind("frequency (Hz),response_db (dB),phase_deg (deg)\n", 0), 0u) << bass;
  EXPECT_EQ(std::count(bass.begin(), bass.end(), '\n'), 32);  // header + 31 points
}

// A limit judges a value (SPEC §14): a unit that clips near 20 W, asked for 50 W with limits on
// THD+N and power, FAILS with the reason on the console, in the database and in JUnit — it
// never passes on nothing measured.
TEST(CliLab, AnOutputLevelTheUnitCannotReachFailsItsLimitsWithTheReason) {
  TempDir dir;
  const auto sequence = dir / "fifty.toml";
  std::ofstream(sequence) << R"([sequence]
name = "fifty watts"
channels = ["L", "R"]
[[step]]
id = "thdn_50w"
kind = "thdn"
load_ohm = 8
stimulus = { frequency_hz = 1000, output_level = "50 W" }
limits.thdn_pct = { max = 1.0 }
limits.power_w = { min = 45 }
)";
  const auto db = dir / "r.db";
  const auto junit = dir / "j.xml";
  const auto r = run_ampbench({"run", sequence, "--station", kStation, "--serial", "SIM-EARLY-CLIP",
                               "--db", db, "--junit", junit});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const auto console = r.out + r.err;
  EXPECT_NE(console.find("FAIL L power_w = no value (limit ≥ 45 W): 50 W not reached: L: the "
                         "output stops following the input at"),
            std::string::npos)
      << console;
  const auto rows = ampbench::testing::query(
      db, "SELECT channel, name, value IS NULL, verdict, note FROM measurements ORDER BY id");
  ASSERT_EQ(rows.size(), 4u);  // thdn_pct and power_w of both channels, none with a value
  for (const auto& row : rows) {
    EXPECT_EQ(row[2], "1") << row[1];
    EXPECT_EQ(row[3], "FAIL") << row[1];
    EXPECT_NE(row[4].find("50 W not reached: L: the output stops following the input at"),
              std::string::npos)
        << row[4];
  }
  EXPECT_EQ(ampbench::testing::scalar(db, "SELECT verdict FROM runs"), "FAIL");
  const auto xml = slurp(junit);
  EXPECT_NE(xml.find("<failure"), std::string::npos) << xml;
  EXPECT_NE(xml.find("thdn_pct = (none) %"), std::string::npos) << xml;
  EXPECT_NE(xml.find("(50 W not reached: L: the output stops following"), std::string::npos) << xml;
}

// A limit that judged nothing at all (no measurement of that name came out of the step) makes
// the step an ERROR, never a PASS.
TEST(CliLab, ALimitThatJudgedNothingIsAnError) {
  TempDir dir;
  const auto sequence = dir / "snr.toml";
  std::ofstream(sequence) << R"([sequence]
name = "noise only"
channels = ["L"]
[[step]]
id = "idle"
kind = "noise"
limits.snr_db = { min = 90 }
)";
  const auto db = dir / "r.db";
  const auto r =
      run_ampbench({"run", sequence, "--station", kStation, "--serial", "N-1", "--db", db});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(ampbench::testing::scalar(db, "SELECT verdict FROM steps"), "ERROR");
  EXPECT_NE(ampbench::testing::scalar(db, "SELECT message FROM steps")
                .find("nothing measured for snr_db, which the step's limits judge"),
            std::string::npos);
}
