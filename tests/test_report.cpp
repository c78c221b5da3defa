// report: HTML (well-formed, every measurement and verdict, one series per curve with its
// points), JUnit XML against tests/junit.xsd, REW text, CSV, and safe report file names.
// xmllint (libxml2-utils) checks the XML; .ci/run installs it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "report/files.hpp"
#include "report/html.hpp"
#include "report/junit.hpp"
#include "report/svg_plot.hpp"
#include "run_binary.hpp"
#include "store/result_store.hpp"

using namespace ampbench;
using ampbench::testing::run_ampbench;
using ampbench::testing::slurp;
using ampbench::testing::TempDir;

namespace {

const std::string kSource = AMPBENCH_SOURCE_DIR;

int xmllint(const std::vector<std::string>& args) {
  std::string cmd = "xmllint --noout";
  for (const auto& a : args) cmd += " " + ampbench::testing::shell_quote(a);
  cmd += " 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A database with a passing unit and a failing one (the hum fault) of the production test.
struct Runs {
  TempDir dir;
  std::string db = dir / "r.db";
  Runs() {
    run_ampbench({"run", kSource + "/sequences/poweramp-production.toml", "--db", db, "--serial",
                  "GOOD-1", "--serial", "SIM-HUM", "--quiet"});
  }
};

}  // namespace

TEST(Svg, TicksAreNiceNumbers) {
  EXPECT_EQ(report::axis_ticks(0.0, 10.0, false), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(report::axis_ticks(20.0, 20000.0, true), (std::vector<double>{100, 1000, 10000}));
  EXPECT_EQ(report::axis_ticks(20.0, 2000.0, true),
            (std::vector<double>{20, 50, 100, 200, 500, 1000, 2000}));
  EXPECT_EQ(report::xml_escape("a<b & \"c\"\n\x01"), "a&lt;b &amp; &quot;c&quot;\n\xEF\xBF\xBD");
}

// Ticks 0.0005 apart are labelled with the digits that tell them apart.
TEST(Svg, TickLabelsHaveTheDigitsTheirStepNeeds) {
  for (const auto& [low, high] : {std::pair{19.998, 20.002}, std::pair{1.2e-5, 1.9e-5}}) {
    report::Plot plot{"t", "x", "y", false, false, {{"s", {low, high}, {0.0, 1.0}, "", 0}},
                      {},  {},  {}};
    const std::string svg = report::render_svg(plot);
    std::vector<std::string> labels;
    const std::regex tick(
        "<text class=\"tick\" x=\"[0-9.]+\" y=\"[0-9.]+\" "
        "text-anchor=\"middle\">([^<]*)</text>");
    for (std::sregex_iterator it(svg.begin(), svg.end(), tick), end; it != end; ++it)
      labels.push_back((*it)[1]);
    ASSERT_GE(labels.size(), 3u) << svg;
    for (std::size_t i = 1; i < labels.size(); ++i)
      EXPECT_NE(labels[i], labels[i - 1]) << low << ": " << svg;
  }
}

// Nine conditions: seven colours, none of them twice unmarked; the eighth and ninth take the
// first two colours again with circles on their points (and in the legend), and the plot
// carries its own style so that it reads the same saved alone.
TEST(Svg, AFamilyBeyondTheColoursMarksItsPoints) {
  report::Plot plot{"family", "x", "y", false, false, {}, {}, {}, {}};
  for (int c = 0; c < 9; ++c)
    plot.series.push_back(
        {"L", {1.0, 2.0, 3.0}, {1.0 * c, 1.0 * c + 1, 1.0 * c}, "c" + std::to_string(c), 0});
  const std::string svg = report::render_svg(plot, 900, 420);
  const std::regex stroke("<polyline class=\"series\"[^>]* stroke=\"(#[0-9A-F]{6})\"");
  std::vector<std::string> colours;
  for (std::sregex_iterator it(svg.begin(), svg.end(), stroke), end; it != end; ++it)
    colours.push_back((*it)[1]);
  ASSERT_EQ(colours.size(), 9u);
  EXPECT_EQ(std::set<std::string>(colours.begin(), colours.begin() + 7).size(), 7u);
  EXPECT_EQ(colours[7], colours[0]);
  EXPECT_EQ(colours[8], colours[1]);
  // Three points on each of the two marked curves, one mark on each of their legend entries.
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 2u * 3u + 2u);
  EXPECT_NE(svg.find("<style>svg.plot{"), std::string::npos);
}

TEST(Html, WellFormedWithEveryMeasurementAndOneSeriesPerCurve) {
  Runs runs;
  for (const std::string id : {"1", "2"}) {
    const auto html_path = runs.dir / ("run" + id + ".html");
    ASSERT_EQ(run_ampbench({"report", id, "--format", "html", "-o", html_path, "--db", runs.db})
                  .exit_code,
              0);
    EXPECT_EQ(xmllint({html_path}), 0) << "not well-formed XML";
    const std::string html = slurp(html_path);
    const auto store = store::ResultStore::open(runs.db, store::ResultStore::Mode::read_only);
    const auto run = store->load_run(id);
    std::size_t measurements = 0, curves = 0;
    for (const auto& s : run.steps) {
      measurements += s.measurements.size();
      EXPECT_NE(html.find("data-verdict=\"" + std::string(record::verdict_name(s.verdict)) + "\""),
                std::string::npos);
      for (const auto& m : s.measurements) {
        // Every value as the report formats it, and a failing one marked.
        if (m.verdict == record::Verdict::fail) {
          EXPECT_NE(html.find("class=\"fail\" data-name=\"" + m.name + "\""), std::string::npos)
              << m.name;
        }
      }
      for (const auto& c : s.curves) {
        ++curves;
        EXPECT_NE(html.find("data-name=\"" + c.channel + "\" data-points=\"" +
                            std::to_string(c.x.size()) + "\""),
                  std::string::npos)
            << c.name << " " << c.channel;
      }
    }
    EXPECT_EQ(count(html, " data-name=\""),
              measurements + curves);  // table rows or cells, and series
    EXPECT_EQ(count(html, "<polyline"), curves);
    EXPECT_NE(html.find("id=\"verdict\">" + std::string(record::verdict_name(run.verdict)) + "<"),
              std::string::npos);
    EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org"));  // no network fetches
  }
}

TEST(Reports, AFigureWithNoLimitIsShownAsMeasuredNotPassed) {
  ampbench::record::RunRecord run;
  run.serial = "U1";
  run.verdict = ampbench::record::Verdict::pass;
  ampbench::record::StepRecord step;
  step.step_id = "gain";
  step.kind = "level";
  step.verdict = ampbench::record::Verdict::pass;
  step.measurements.push_back(
      {"L", "gain_db", 26.0, "dB", 25.5, 26.5, ampbench::record::Verdict::pass, {}, ""});
  step.measurements.push_back(
      {"L", "level_dbv", 6.0, "dBV", {}, {}, ampbench::record::Verdict::pass, {}, ""});
  run.steps.push_back(step);
  const auto html = ampbench::report::render_html(run);
  EXPECT_NE(html.find("<tr class=\"pass\" data-name=\"gain_db\">"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"measured\" data-name=\"level_dbv\">"), std::string::npos);
  const auto junit = ampbench::report::render_junit({run});
  EXPECT_NE(junit.find("PASS L gain_db"), std::string::npos) << junit;
  EXPECT_NE(junit.find("measured L level_dbv"), std::string::npos) << junit;
  EXPECT_EQ(junit.find("PASS L level_dbv"), std::string::npos) << junit;
}

TEST(JUnit, ValidatesWithAFailingAndAnErroringStep) {
  TempDir dir;
  const auto seq = dir / "s.toml";
  std::ofstream(seq) << R"([sequence]
name = "junit"
channels = ["L", "R"]
[[step]]
id = "passes"
kind = "level"
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
[[step]]
id = "fails"
kind = "level"
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
limits.gain_db = { min = 30 }
[[step]]
id = "errs"
kind = "max_power"
load_ohm = 8
stimulus = { frequency_hz = 1000 }
)";
  const auto xml = dir / "junit.xml";
  // The attenuator too low for a power amp: the max-power step clips the input: ERROR.
  std::string station = slurp(kSource + "/instruments/sim-bench.toml");
  station.replace(station.find("gain_db = -26.0"), 15, "gain_db = -6.0");
  std::ofstream(dir / "station.toml") << station;
  auto r = run_ampbench({"run", seq, "--station", dir / "station.toml", "--db", dir / "r.db",
                         "--junit", xml, "--quiet"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(xmllint({"--schema", kSource + "/tests/junit.xsd", xml}), 0);
  const std::string text = slurp(xml);
  EXPECT_EQ(count(text, "<testcase "), 3u);
  EXPECT_EQ(count(text, "<failure "), 1u);
  EXPECT_EQ(count(text, "<error "), 1u);
  EXPECT_NE(text.find("failures=\"1\" errors=\"1\""), std::string::npos);
  EXPECT_NE(text.find("max_input_dbfs"), std::string::npos);
}

TEST(Reports, FileNamesFromSerialsStayInTheDirectory) {
  EXPECT_EQ(report::safe_file_stem("../../etc/x"), "etc_x");
  EXPECT_EQ(report::safe_file_stem("SN 12\nA"), "SN_12_A");
  EXPECT_EQ(report::safe_file_stem("..."), "unit");
  TempDir dir;
  const auto reports = dir / "reports";
  auto r = run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--db", dir / "r.db",
                         "--serial", "../../etc/x", "--serial", "bad name", "--serial",
                         "../../etc/x", "--report-dir", reports, "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(reports))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 3u);  // the same serial twice: two reports, none overwritten
  for (const auto& n : names)
    EXPECT_TRUE(std::regex_match(n, std::regex("[A-Za-z0-9_-]+\\.html"))) << n;
  EXPECT_EQ(names[0].rfind("bad_name-run2-", 0), 0u);
  EXPECT_EQ(names[1].rfind("etc_x-run1-", 0), 0u);
  EXPECT_EQ(names[2].rfind("etc_x-run3-", 0), 0u);
  EXPECT_FALSE(std::filesystem::exists(dir / "etc"));
}

TEST(Reports, RewAndCsvFromTheDatabase) {
  Runs runs;
  const auto rew = runs.dir / "rew";
  ASSERT_EQ(run_ampbench({"report", "1", "--format", "rew", "-o", rew, "--db", runs.db}).exit_code,
            0);
  const auto file = rew + "/GOOD-1-run1-response-L.txt";
  ASSERT_TRUE(std::filesystem::exists(file));
  const std::string text = slurp(file);
  std::istringstream lines(text);
  int data = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '*') continue;
    double f, db, phase;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf %lf %lf", &f, &db, &phase), 3) << line;
    EXPECT_NEAR(db, 25.95, 0.1) << line;
    ++data;
  }
  EXPECT_EQ(data, 31);
  const auto csv = runs.dir / "r.csv";
  ASSERT_EQ(run_ampbench({"report", "2", "--format", "csv", "-o", csv, "--db", runs.db}).exit_code,
            0);
  EXPECT_EQ(count(slurp(csv), "\n"), 294u);
  EXPECT_EQ(run_ampbench({"report", "1", "--format", "pdf", "-o", csv, "--db", runs.db}).exit_code,
            64);
}
