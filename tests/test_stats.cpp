// stats: line statistics — linear averaging of dB quantities, Cp/Cpk, the EWMA drift
// check — on analytic data, then on a synthetic line of simulated units (unit-to-unit
// gain spread, faulty serials, an injected step) checked against figures this test
// computes itself from the raw database rows, over SQLite and over PostgreSQL.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "db_query.hpp"
#include "pg_server.hpp"
#include "run_binary.hpp"
#include "stats/histogram.hpp"
#include "stats/limits_derive.hpp"
#include "stats/line_stats.hpp"
#include "stats/pareto.hpp"
#include "stats/tolerance.hpp"

using namespace ampbench;
using ampbench::testing::query;
using ampbench::testing::run_ampbench;
using ampbench::testing::TempDir;

TEST(LineStats, DecibelQuantitiesAreAveragedAsRatios) {
  // 0 dB and 20 dB are ratios 1 and 10: their mean is 5.5 (14.81 dB), not 10 dB.
  const auto c = stats::capability({0.0, 20.0}, {true, true}, "dB", std::nullopt, std::nullopt);
  EXPECT_NEAR(c.mean, 20.0 * std::log10(5.5), 1e-12);
  EXPECT_NEAR(c.mean_linear, 5.5, 1e-12);
  EXPECT_NEAR(c.sigma_linear, std::sqrt(40.5), 1e-12);
  EXPECT_NEAR(c.sigma, 20.0 * std::log10((5.5 + std::sqrt(40.5)) / 5.5), 1e-12);
  // Percent and volts are already linear.
  const auto v =
      stats::capability({1.0, 2.0, 3.0, 4.0, 5.0}, {true, true, true, true, false}, "V", 0.0, 6.0);
  EXPECT_DOUBLE_EQ(v.mean, 3.0);
  EXPECT_NEAR(v.sigma, std::sqrt(2.5), 1e-12);
  EXPECT_NEAR(*v.cp, 6.0 / (6.0 * std::sqrt(2.5)), 1e-12);
  EXPECT_NEAR(*v.cpk, 3.0 / (3.0 * std::sqrt(2.5)), 1e-12);
  EXPECT_DOUBLE_EQ(v.yield, 0.8);
  // One-sided limit: Cpk only.
  const auto upper = stats::capability({1.0, 2.0, 3.0}, {true, true, true}, "%", std::nullopt, 4.0);
  EXPECT_FALSE(upper.cp);
  EXPECT_NEAR(*upper.cpk, (4.0 - 2.0) / 3.0, 1e-12);
  // dB limits are converted to ratios for Cpk: gain 26 ± 0.1 dB around a 26 dB mean.
  const auto gain = stats::capability({25.9, 26.1}, {true, true}, "dB", 25.8, 26.2);
  const double mu = (std::pow(10.0, 25.9 / 20) + std::pow(10.0, 26.1 / 20)) / 2.0;
  const double sd =
      std::abs(std::pow(10.0, 26.1 / 20) - std::pow(10.0, 25.9 / 20)) / std::sqrt(2.0);
  EXPECT_NEAR(*gain.cpk,
              std::min(std::pow(10.0, 26.2 / 20) - mu, mu - std::pow(10.0, 25.8 / 20)) / (3 * sd),
              1e-12);
}

// Sweep points sort by their numbers (200 Hz before 1 kHz), not by their text, and are said
// in words; a key's stations keep their order.
TEST(LineStats, PointsSortByTheirNumbers) {
  std::vector<stats::MeasurementStats> m(4);
  m[0].key = {"thd", "L", "thd_pct", "%", R"({"stimulus.frequency_hz":1000})"};
  m[1].key = {"thd", "L", "thd_pct", "%", R"({"stimulus.frequency_hz":200})"};
  m[1].station = "b";
  m[2].key = m[1].key;
  m[2].station = "a";
  m[3].key = {"thd", "L", "thd_pct", "%", ""};
  stats::order_by_key(m);
  EXPECT_EQ(m[0].key.point, "");
  EXPECT_EQ(m[1].key.point, R"({"stimulus.frequency_hz":200})");
  EXPECT_EQ(m[1].station, "b");
  EXPECT_EQ(m[2].station, "a");
  EXPECT_EQ(m[3].key.point, R"({"stimulus.frequency_hz":1000})");
  EXPECT_EQ(m[3].key.label(), "thd L thd_pct @ 1 kHz");
}

TEST(LineStats, EwmaFlagsAStepAndNotAStableSeries) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.01);
  int false_alarms = 0, detected = 0;
  const stats::DriftOptions options;
  for (int trial = 0; trial < 100; ++trial) {
    std::vector<double> stable(200), stepped(200);
    for (int i = 0; i < 200; ++i) {
      stable[static_cast<std::size_t>(i)] = 20.0 + noise(rng);
      stepped[static_cast<std::size_t>(i)] = 20.0 + noise(rng) + (i >= 170 ? 0.02 : 0.0);
    }
    false_alarms += stats::ewma_drift(stable, "V", options).drifting;
    const auto d = stats::ewma_drift(stepped, "V", options);
    detected += d.drifting;
  }
  EXPECT_LE(false_alarms, 8);  // about 3 % expected over 200-unit series
  EXPECT_GE(detected, 99);     // a 2σ step 30 units back
  const auto short_series = stats::ewma_drift(std::vector<double>(60, 1.0), "V", options);
  EXPECT_FALSE(short_series.evaluated);
  EXPECT_EQ(short_series.units_needed, options.window + options.min_baseline);
}

// One unit 80 dB off among 200 within 0.05 dB: the bulk still spreads over its bins and the
// unit is listed apart, not drawn as a bin that squeezes the rest into one.
TEST(LineStats, HistogramBinsTheBulkAndListsOutliersApart) {
  std::mt19937 rng(7);
  std::normal_distribution<double> spread(20.0, 0.05);
  std::vector<double> values;
  for (int i = 0; i < 200; ++i) values.push_back(spread(rng));
  values.push_back(100.0);
  const auto h = stats::robust_histogram(values);
  EXPECT_EQ(h.outliers, std::vector<std::size_t>{200});
  EXPECT_EQ(std::accumulate(h.counts.begin(), h.counts.end(), 0), 200);
  EXPECT_GE(std::count_if(h.counts.begin(), h.counts.end(), [](int n) { return n > 0; }), 8);
  EXPECT_LE(h.start, *std::min_element(values.begin(), values.end() - 1));
  EXPECT_LT(h.start + h.bin_width * static_cast<double>(h.counts.size()), 21.0);
  // Few values, or most of them equal: every one is drawn.
  EXPECT_TRUE(stats::robust_histogram({1.0, 2.0, 50.0}).outliers.empty());
  const auto flat = stats::robust_histogram(std::vector<double>(20, 3.0));
  EXPECT_EQ(flat.counts, std::vector<int>{20});
  EXPECT_TRUE(flat.outliers.empty());
}

namespace {

const std::string kSource = AMPBENCH_SOURCE_DIR;

const char* kLineSequence = R"toml([sequence]
name = "Line check"
channels = ["L", "R"]

[defaults]
settle_s = 0.02
capture_s = 0.1
load_ohm = 8

[[step]]
id = "gain_1k"
kind = "level"
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
limits.gain_db = { min = 25.85, max = 26.05 }

[[step]]
id = "thdn_1k"
kind = "thdn"
stimulus = { frequency_hz = 1000, level = "-10 dBV" }
limits.thdn_pct = { max = 0.05 }
)toml";

// The default simulated amplifier with a unit-to-unit gain spread of σ = 0.05 dB, and
// `shift_db` more gain in every unit (a changed part lot).
std::string line_station(const TempDir& dir, const std::string& file, double shift_db,
                         const std::string& forward = "") {
  std::ifstream in(kSource + "/instruments/sim-bench.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const auto replace = [&](const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
  };
  replace("name = \"sim-bench\"", "name = \"bench-1\"\nline = \"L1\"");
  replace("seed = 1", "seed = 1\nunit_gain_sigma_db = 0.05");
  replace("[sim.preamp]                    # the amplifier's input buffer\ngain_db = 0.0",
          "[sim.preamp]\ngain_db = " + std::to_string(shift_db));
  if (!forward.empty()) s += "\n[results]\nforward = \"" + forward + "\"\n";
  std::ofstream(dir / file) << s;
  return dir / file;
}

std::vector<std::string> units(const std::string& prefix, int from, int to) {
  std::vector<std::string> args;
  for (int i = from; i <= to; ++i) {
    args.push_back("--serial");
    args.push_back(prefix + std::to_string(i));
  }
  return args;
}

int run_units(const std::string& sequence, const std::string& station, const std::string& db,
              std::vector<std::string> serials, const std::string& env = "") {
  std::vector<std::string> args = {"run", sequence, "--station", station, "--db", db, "--quiet"};
  args.insert(args.end(), serials.begin(), serials.end());
  return run_ampbench(args, "", env).exit_code;
}

const nlohmann::json& find(const nlohmann::json& stats, const std::string& step,
                           const std::string& channel, const std::string& name) {
  for (const auto& m : stats["measurements"])
    if (m["step_id"] == step && m["channel"] == channel && m["name"] == name) return m;
  throw std::runtime_error("no " + step + " " + channel + " " + name + " in stats");
}

// Yield, mean, σ (linear) and Cpk of one measurement, from the raw rows.
struct Independent {
  int n = 0, passed = 0;
  double mean_db = 0, cpk = 0, sigma_db = 0;
};

Independent independent(const std::string& db, const std::string& step, const std::string& ch) {
  const auto rows = query(db,
                          "SELECT m.value, m.verdict, m.low, m.high FROM measurements m JOIN steps "
                          "s ON m.step_id = s.id JOIN runs r ON s.run_id = r.id WHERE s.step_id = "
                          "'" +
                              step + "' AND m.channel = '" + ch +
                              "' AND m.name = 'gain_db' ORDER BY r.started_at");
  Independent r;
  std::vector<double> ratio;
  double lo = 0, hi = 0;
  for (const auto& row : rows) {
    ratio.push_back(std::pow(10.0, std::stod(row[0]) / 20.0));
    r.passed += row[1] == "PASS";
    lo = std::pow(10.0, std::stod(row[2]) / 20.0);
    hi = std::pow(10.0, std::stod(row[3]) / 20.0);
  }
  r.n = static_cast<int>(ratio.size());
  double sum = 0, ss = 0;
  for (double x : ratio) sum += x;
  const double mu = sum / r.n;
  for (double x : ratio) ss += (x - mu) * (x - mu);
  const double sd = std::sqrt(ss / (r.n - 1));
  r.mean_db = 20.0 * std::log10(mu);
  r.sigma_db = 20.0 * std::log10((mu + sd) / mu);
  r.cpk = std::min(hi - mu, mu - lo) / (3.0 * sd);
  return r;
}

}  // namespace

// Hundreds of simulated units: 200 good ones with a 0.05 dB gain spread and three runs of
// a faulty serial (−6 dB); `stats` agrees with the raw rows; the drift flag stays down;
// 40 more units with +0.1 dB (2σ) raise it on the gain of both channels, after unit 200.
TEST(LineStats, SyntheticLineYieldCpkAndDrift) {
  TempDir dir;
  const auto sequence = dir / "line.toml";
  std::ofstream(sequence) << kLineSequence;
  const auto db = dir / "line.db";
  const auto stable = line_station(dir, "stable.toml", 0.0);
  auto serials = units("U", 1, 100);
  for (int retest = 0; retest < 3; ++retest)
    serials.insert(serials.end(), {"--serial", "SIM-LOW-GAIN"});
  const auto more = units("U", 101, 200);
  serials.insert(serials.end(), more.begin(), more.end());
  EXPECT_EQ(run_units(sequence, stable, db, serials), 1);  // some units fail

  const auto r = run_ampbench({"stats", "--db", db, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto stats = nlohmann::json::parse(r.out);
  ASSERT_EQ(stats["stations"].size(), 1u);
  const auto& station = stats["stations"][0];
  EXPECT_EQ(station["runs"], 203);
  EXPECT_EQ(station["units"], 201);  // the faulty serial ran three times
  EXPECT_EQ(station["passed_runs"],
            std::stoi(query(db, "SELECT count(*) FROM runs WHERE verdict = 'PASS'")[0][0]));

  for (const std::string ch : {"L", "R"}) {
    const auto truth = independent(db, "gain_1k", ch);
    const auto& m = find(stats, "gain_1k", ch, "gain_db");
    EXPECT_EQ(m["count"], truth.n);
    EXPECT_EQ(m["passed"], truth.passed);
    EXPECT_LT(truth.passed, truth.n - 3);  // the spread fails units too, not only the faults
    EXPECT_NEAR(m["mean"].get<double>(), truth.mean_db, 1e-9);
    EXPECT_NEAR(m["sigma"].get<double>(), truth.sigma_db, 1e-9);
    EXPECT_NEAR(m["cpk"].get<double>(), truth.cpk, 1e-9);
    EXPECT_FALSE(m["drift"]["drifting"].get<bool>()) << ch;
    EXPECT_TRUE(m["drift"]["evaluated"].get<bool>()) << ch;
  }
  // The known spread, from the good units alone: σ 0.05 dB within its sampling error.
  const auto good =
      nlohmann::json::parse(run_ampbench({"stats", "--db", db, "--json", "--serial", "U*"}).out);
  EXPECT_NEAR(find(good, "gain_1k", "L", "gain_db")["sigma"].get<double>(), 0.05, 0.01);
  EXPECT_EQ(find(good, "gain_1k", "L", "gain_db")["count"], 200);

  const auto shifted = line_station(dir, "shifted.toml", 0.1);
  EXPECT_EQ(run_units(sequence, shifted, db, units("V", 1, 40)) <= 1, true);
  const auto after = nlohmann::json::parse(run_ampbench({"stats", "--db", db, "--json"}).out);
  for (const std::string ch : {"L", "R"}) {
    const auto& drift = find(after, "gain_1k", ch, "gain_db")["drift"];
    EXPECT_TRUE(drift["drifting"].get<bool>()) << ch;
    EXPECT_GT(drift["first_unit"].get<int>(), 203) << ch;
    EXPECT_EQ(drift["first_serial"].get<std::string>().front(), 'V') << ch;
  }
  // What `stats` prints and the page below come from the store's aggregates; the same
  // figures, drift and all, as from every row; a chart's newest units are the rows' last.
  const auto store = store::open_results(db);
  store::RunFilter all;
  all.limit = 0;
  const auto from_rows = stats::line_stats(store->list_runs(all), store->measurement_rows(all), {});
  constexpr std::size_t kCharted = 7;
  const auto summary = stats::line_stats(*store, all, {}, kCharted);
  ASSERT_EQ(summary.stations.size(), from_rows.stations.size());
  EXPECT_EQ(summary.stations[0].units, from_rows.stations[0].units);
  EXPECT_DOUBLE_EQ(summary.stations[0].first_pass_yield, from_rows.stations[0].first_pass_yield);
  EXPECT_DOUBLE_EQ(summary.stations[0].final_yield, from_rows.stations[0].final_yield);
  ASSERT_EQ(summary.measurements.size(), from_rows.measurements.size());
  int drifting = 0;
  for (std::size_t i = 0; i < summary.measurements.size(); ++i) {
    const auto& a = summary.measurements[i];
    const auto& b = from_rows.measurements[i];
    ASSERT_EQ(a.key, b.key);
    EXPECT_EQ(a.capability.count, b.capability.count);
    EXPECT_EQ(a.capability.passed, b.capability.passed);
    EXPECT_NEAR(a.capability.mean, b.capability.mean, 1e-9) << a.key.label();
    EXPECT_NEAR(a.capability.sigma, b.capability.sigma, 1e-9) << a.key.label();
    EXPECT_EQ(a.capability.cpk.has_value(), b.capability.cpk.has_value());
    if (a.capability.cpk) {
      EXPECT_NEAR(*a.capability.cpk, *b.capability.cpk, 1e-6);
    }
    EXPECT_EQ(a.drift.evaluated, b.drift.evaluated) << a.key.label();
    EXPECT_EQ(a.drift.drifting, b.drift.drifting) << a.key.label();
    EXPECT_EQ(a.drift.first_out, b.drift.first_out) << a.key.label();
    EXPECT_EQ(a.drift.first_out_serial, b.drift.first_out_serial) << a.key.label();
    if (a.drift.evaluated) {
      EXPECT_NEAR(a.drift.ewma.back(), b.drift.ewma.back(), 1e-9);
    }
    drifting += a.drift.drifting;
    const auto shown = std::min(kCharted, b.series.size());
    ASSERT_EQ(a.series.size(), shown) << a.key.label();
    EXPECT_EQ(a.series_from, static_cast<std::int64_t>(b.series.size() - shown));
    for (std::size_t u = 0; u < shown; ++u) {
      const auto& row = b.series[b.series.size() - shown + u];
      EXPECT_EQ(a.series[u].value, row.value) << a.key.label();
      EXPECT_EQ(a.series[u].passed, row.passed);
      EXPECT_EQ(a.series[u].serial, row.serial);
    }
  }
  EXPECT_GE(drifting, 2);  // both channels' gain, at least
  // The summary page: well-formed, a chart per limited measurement.
  const auto page = dir / "line.html";
  ASSERT_EQ(run_ampbench({"stats", "--db", db, "--html", page}).exit_code, 0);
  const std::string html = ampbench::testing::slurp(page);
  EXPECT_NE(html.find("Control chart"), std::string::npos);
  EXPECT_NE(html.find("DRIFT from unit"), std::string::npos);
  // The faulty serial's three runs, 6 dB down, are listed apart from the gain histogram.
  EXPECT_NE(html.find("3 units outside the chart: unit 101 (SIM-LOW-GAIN)"), std::string::npos);
}

// The same line forwarded to PostgreSQL gives the same statistics read from there.
TEST(LineStats, SameFiguresFromTheCentralStore) {
  ampbench::testing::PgServer pg;
  TempDir dir;
  const auto sequence = dir / "line.toml";
  std::ofstream(sequence) << kLineSequence;
  const auto db = dir / "line.db";
  const auto station = line_station(dir, "st.toml", 0.0, pg.uri());
  const std::string env = "PGPASSWORD=" + std::string(ampbench::testing::PgServer::kPassword);
  run_units(sequence, station, db, units("U", 1, 80), env);
  const auto local = nlohmann::json::parse(run_ampbench({"stats", "--db", db, "--json"}).out);
  const auto central = run_ampbench({"stats", "--db", pg.uri(), "--json", "--line", "L1"}, "", env);
  ASSERT_EQ(central.exit_code, 0) << central.err;
  const auto remote = nlohmann::json::parse(central.out);
  ASSERT_EQ(remote["measurements"].size(), local["measurements"].size());
  for (std::size_t i = 0; i < local["measurements"].size(); ++i) {
    const auto& a = local["measurements"][i];
    const auto& b = remote["measurements"][i];
    EXPECT_EQ(a["name"], b["name"]);
    EXPECT_EQ(a["count"], b["count"]);
    EXPECT_EQ(a["passed"], b["passed"]);
    // The server sums in its own order (GROUP BY, var_pop): equal to rounding.
    for (const char* figure : {"mean", "sigma", "mean_linear", "sigma_linear", "min", "max"})
      EXPECT_NEAR(a[figure].get<double>(), b[figure].get<double>(),
                  1e-12 * std::max(1.0, std::abs(a[figure].get<double>())))
          << a["name"] << " " << figure;
    EXPECT_EQ(a["drift"]["drifting"], b["drift"]["drifting"]);
    EXPECT_EQ(a["drift"]["evaluated"], b["drift"]["evaluated"]);
  }
  EXPECT_EQ(local["stations"], remote["stations"]);
  EXPECT_EQ(local["days"], remote["days"]);
  // Limits derived from either store are the same file but for the line naming the store.
  const auto derived = [&](const std::string& from) {
    const auto d = run_ampbench(
        {"limits", "derive", "--db", from, "--sequence", "Line check", "--any-verdict"}, "", env);
    EXPECT_EQ(d.exit_code, 0) << d.err;
    return d.out.substr(d.out.find('\n'));
  };
  const std::string from_station = derived(db);
  EXPECT_NE(from_station.find("[limits.gain_1k]"), std::string::npos);
  EXPECT_EQ(from_station, derived(pg.uri()));
}

// ---- Tolerance factors (stats/tolerance.hpp) ----

// Against an independent computation of the same integral (scipy: quad over the sample
// mean, brentq for the half-width and for k; the script is in tests/data/tolerance_k.py).
TEST(Tolerance, FactorsAreIso16269Exact) {
  const struct {
    int n;
    double coverage, confidence, k;
  } cases[] = {{5, 0.99, 0.95, 6.597977},   {10, 0.99, 0.95, 4.436909}, {30, 0.99, 0.95, 3.354576},
               {100, 0.99, 0.95, 2.935549}, {10, 0.95, 0.95, 3.393429}, {30, 0.90, 0.99, 2.393966}};
  for (const auto& c : cases)
    EXPECT_NEAR(stats::tolerance_factor(c.n, c.coverage, c.confidence), c.k, 1e-3 * c.k)
        << "n = " << c.n << ", p = " << c.coverage << ", γ = " << c.confidence;
  EXPECT_THROW(stats::tolerance_factor(1, 0.99, 0.95), std::invalid_argument);
  EXPECT_THROW(stats::tolerance_factor(10, 1.0, 0.95), std::invalid_argument);
  // From kHoweFrom values on, Howe–Guenther: the exact integral's k to 1e-5 (a line's
  // hundred thousand units; 0.998326 is 0.99 of a unit over its six values).
  const struct {
    int n;
    double coverage, k;
  } many[] = {{1000, 0.99, 2.675906},
              {1000, 0.998326, 3.264793},
              {3000, 0.998326, 3.211550},
              {10000, 0.99, 2.606302},
              {50000, 0.998326, 3.159166}};
  for (const auto& c : many)
    EXPECT_NEAR(stats::tolerance_factor(c.n, c.coverage, 0.95), c.k, 1e-5 * c.k)
        << "n = " << c.n << ", p = " << c.coverage;
  EXPECT_NEAR(stats::tolerance_factor(stats::kHoweFrom - 1, 0.99, 0.95),
              stats::tolerance_factor(stats::kHoweFrom, 0.99, 0.95), 1e-4);
}

// What a tolerance interval promises, checked by drawing: of many samples of 10 normal
// values, 95 % give an interval mean ± k·s that holds at least 99 % of the population.
TEST(Tolerance, NinetyFivePercentOfIntervalsCoverTheirProportion) {
  const int n = 10, trials = 20000;
  const double k = stats::tolerance_factor(n, 0.99, 0.95);
  std::mt19937_64 random(7);
  std::normal_distribution<double> unit;
  int covering = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> x(n);
    for (double& v : x) v = unit(random);
    const double mean = std::accumulate(x.begin(), x.end(), 0.0) / n;
    double ss = 0.0;
    for (double v : x) ss += (v - mean) * (v - mean);
    const double s = std::sqrt(ss / (n - 1));
    const auto phi = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
    if (phi(mean + k * s) - phi(mean - k * s) >= 0.99) ++covering;
  }
  const double share = static_cast<double>(covering) / trials;
  EXPECT_NEAR(share, 0.95, 3.0 * std::sqrt(0.95 * 0.05 / trials));
}

// ---- Limits from good units (stats/limits_derive.hpp) ----

namespace {

record::RunRecord unit_run(const std::string& serial, double gain_db, double thdn_pct,
                           const std::vector<double>& response_db) {
  record::RunRecord run;
  run.serial = serial;
  record::StepRecord step;
  step.step_id = "gain_1k";
  const auto measured = [](std::string name, double value, std::string unit,
                           std::optional<double> low, std::optional<double> high,
                           nlohmann::json point = nlohmann::json::object()) {
    record::MeasurementRecord m;
    m.channel = "L";
    m.name = std::move(name);
    m.value = value;
    m.unit = std::move(unit);
    m.low = low;
    m.high = high;
    m.point = std::move(point);
    return m;
  };
  const auto gain = measured("gain_db", gain_db, "dB", 25.5, 26.5);
  const auto thdn = measured("thdn_pct", thdn_pct, "%", std::nullopt, 0.1);
  const auto at_10k = measured("level_dbv", gain_db - 20.0, "dBV", std::nullopt, std::nullopt,
                               {{"stimulus.frequency_hz", 10000}});
  const auto at_level =
      measured("thdn_pct", thdn_pct, "%", std::nullopt, 0.1, {{"stimulus.level", "-10 dBV"}});
  step.measurements = {gain, thdn, at_10k, at_level};
  step.curves.push_back({"L", "response_db", "Hz", "dB", {100.0, 1000.0, 10000.0}, response_db});
  step.curves.push_back({"L", "spectrum_dbv", "Hz", "dBV", {100.0, 200.0}, {-100.0, -110.0}});
  run.steps.push_back(step);
  return run;
}

}  // namespace

// Ten units with gains 26.00 … 26.09 dB: mean 26.045, s = 0.0302765 (closed form for an
// arithmetic series: s = d·√(n(n+1)/12)), k(10, 0.99, 0.95) = 4.436909 (scipy, above).
TEST(LimitsDerive, ToleranceLimitsAreMeanPlusMinusKsRoundedOutwards) {
  stats::DeriveOptions per_value;
  per_value.per_figure = true;
  stats::LimitsDeriver deriver(per_value);
  for (int i = 0; i < 10; ++i)
    deriver.add(unit_run("U" + std::to_string(i), 26.0 + 0.01 * i, 0.010 + 0.001 * i,
                         {-0.1 - 0.01 * i, 0.0, -0.2 + 0.01 * i}));
  EXPECT_EQ(deriver.units(), 10u);
  const std::string text = deriver.limits_file("test");
  const double s = 0.01 * std::sqrt(10.0 * 11.0 / 12.0), k = 4.436909;
  const double lo = std::floor((26.045 - k * s) * 100.0) / 100.0;
  const double hi = std::ceil((26.045 + k * s) * 100.0) / 100.0;
  // The file is TOML in the sequence's limit syntax.
  const toml::table limits = toml::parse(text);
  const auto* gain = limits["limits"]["gain_1k"]["gain_db"].as_table();
  ASSERT_NE(gain, nullptr) << text;
  EXPECT_NEAR((*gain)["min"].value<double>().value(), lo, 1e-9);
  EXPECT_NEAR((*gain)["max"].value<double>().value(), hi, 1e-9);
  // thdn_pct is limited above only in the sequence: only its max, to four figures.
  const auto* thdn = limits["limits"]["gain_1k"]["thdn_pct"].as_table();
  ASSERT_NE(thdn, nullptr);
  EXPECT_FALSE(thdn->contains("min"));
  const double thdn_hi = 0.0145 + k * 0.001 * std::sqrt(10.0 * 11.0 / 12.0);
  EXPECT_NEAR((*thdn)["max"].value<double>().value(), std::ceil(thdn_hi * 1e5) / 1e5, 1e-12);
  // A measurement at a stimulus frequency: one segment there; in dBV, to 0.01.
  const auto* level = limits["limits"]["gain_1k"]["level_dbv"].as_array();
  ASSERT_NE(level, nullptr);
  ASSERT_EQ(level->size(), 1u);
  EXPECT_EQ((*level)[0].as_table()->at("from_hz").value<double>(), 10000.0);
  EXPECT_NEAR((*level)[0].as_table()->at("min").value<double>().value(),
              std::floor((6.045 - k * s) * 100.0) / 100.0, 1e-9);
  // The response curve: a segment per point, meeting halfway on a log axis; the 1 kHz
  // point never moves, so its limits are its value.
  const auto* response = limits["limits"]["gain_1k"]["response_db"].as_array();
  ASSERT_NE(response, nullptr);
  ASSERT_EQ(response->size(), 3u);
  const auto& middle = *(*response)[1].as_table();
  EXPECT_NEAR(middle.at("from_hz").value<double>().value(), std::sqrt(1e5), 1e-2);
  EXPECT_NEAR(middle.at("to_hz").value<double>().value(), std::sqrt(1e7), 1e-1);
  EXPECT_EQ(middle.at("min").value<double>(), 0.0);
  EXPECT_EQ(middle.at("max").value<double>(), 0.0);
  EXPECT_EQ(text.find("-0 "), std::string::npos);
  // Level-swept points and spectra are named, not derived.
  EXPECT_NE(text.find("# not derived (swept in level, load or condition; spectra): "
                      "spectrum_dbv, thdn_pct"),
            std::string::npos)
      << text;
}

// By default the coverage is the whole unit's: each unit here gives 6 values (gain, THD+N,
// the level at 10 kHz, three response points; the level-swept THD+N and the spectrum are
// not derived), each of them 0.99^(1/6), k(10, 0.998326, 0.95) = 5.391852 (scipy,
// tests/data/tolerance_k.py's integral).
TEST(LimitsDerive, TheCoverageIsTheWholeUnitsSplitOverItsValues) {
  stats::LimitsDeriver deriver({});
  for (int i = 0; i < 10; ++i)
    deriver.add(unit_run("U" + std::to_string(i), 26.0 + 0.01 * i, 0.010 + 0.001 * i,
                         {-0.1 - 0.01 * i, 0.0, -0.2 + 0.01 * i}));
  const std::string text = deriver.limits_file("test");
  const double s = 0.01 * std::sqrt(10.0 * 11.0 / 12.0), k = 5.391852;
  const toml::table limits = toml::parse(text);
  const auto* gain = limits["limits"]["gain_1k"]["gain_db"].as_table();
  ASSERT_NE(gain, nullptr) << text;
  EXPECT_NEAR((*gain)["min"].value<double>().value(), std::floor((26.045 - k * s) * 100.0) / 100.0,
              1e-9);
  EXPECT_NEAR((*gain)["max"].value<double>().value(), std::ceil((26.045 + k * s) * 100.0) / 100.0,
              1e-9);
  EXPECT_NE(text.find("coverage 0.99 of units over their 6 values each (each value 0.998326)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("k 5.392"), std::string::npos) << text;
}

TEST(LimitsDerive, EnvelopeAndOffsetWidenByTheirOffset) {
  stats::DeriveOptions envelope;
  envelope.method = stats::LimitMethod::envelope;
  envelope.offset = 0.2;
  stats::DeriveOptions offset = envelope;
  offset.method = stats::LimitMethod::offset;
  stats::LimitsDeriver a(envelope), b(offset);
  for (int i = 0; i < 10; ++i) {
    a.add(unit_run("U" + std::to_string(i), 26.0 + 0.01 * i, 0.01, {0.0, 0.0, 0.0}));
    b.add(unit_run("U" + std::to_string(i), 26.0 + 0.01 * i, 0.01, {0.0, 0.0, 0.0}));
  }
  const toml::table ea = toml::parse(a.limits_file("a")), eb = toml::parse(b.limits_file("b"));
  EXPECT_NEAR(ea["limits"]["gain_1k"]["gain_db"]["min"].value<double>().value(), 25.8, 1e-9);
  EXPECT_NEAR(ea["limits"]["gain_1k"]["gain_db"]["max"].value<double>().value(), 26.29, 1e-9);
  EXPECT_NEAR(eb["limits"]["gain_1k"]["gain_db"]["min"].value<double>().value(), 25.84, 1e-9);
  EXPECT_NEAR(eb["limits"]["gain_1k"]["gain_db"]["max"].value<double>().value(), 26.25, 1e-9);
}

// The whole way, as a line would go: good units measured, limits derived from them, the
// limits layered on the sequence; a new good unit passes them and a faulty one fails.
TEST(LimitsDerive, LimitsFromGoodUnitsPassAGoodUnitAndCatchAFault) {
  TempDir dir;
  std::ifstream in(kSource + "/instruments/sim-bench.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string station = text.str();
  station.replace(station.find("[sim]\n"), 6, "[sim]\nunit_gain_sigma_db = 0.05\n");
  const auto station_path = dir / "station.toml";
  std::ofstream(station_path) << station;
  const std::string sequence = kSource + "/sequences/poweramp-fast.toml";
  const auto db = dir / "good.db";
  std::vector<std::string> args = {"run",  sequence, "--station", station_path,
                                   "--db", db,       "--quiet"};
  for (int i = 1; i <= 12; ++i) {
    args.push_back("--serial");
    args.push_back("GOOD-" + std::to_string(i));
  }
  ASSERT_EQ(run_ampbench(args).exit_code, 0);
  const std::string name = "Power amplifier fast production test";
  const auto limits = dir / "derived.toml";
  auto few = run_ampbench({"limits", "derive", "--db", db, "--sequence", name, "--serial",
                           "GOOD-1?", "-o", limits});  // GOOD-10 … GOOD-12: three units
  EXPECT_EQ(few.exit_code, 65);
  EXPECT_NE(few.err.find("3 units; limits from fewer than 10 units"), std::string::npos) << few.err;
  auto derived = run_ampbench({"limits", "derive", "--db", db, "--sequence", name, "-o", limits});
  ASSERT_EQ(derived.exit_code, 0) << derived.err;
  EXPECT_NE(derived.err.find("12 runs of 12 units"), std::string::npos) << derived.err;

  const auto judged = dir / "judged.db";
  auto good = run_ampbench({"run", sequence, "--station", station_path, "--db", judged, "--serial",
                            "GOOD-99", "--limits", limits, "--quiet"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  auto faulty = run_ampbench({"run", sequence, "--station", station_path, "--db", judged,
                              "--serial", "SIM-LOW-GAIN", "--limits", limits, "--quiet"});
  EXPECT_EQ(faulty.exit_code, 1) << faulty.err;
  // A unit 0.3 dB hot: inside the sequence's own 25.5–26.5 dB, outside what good units do.
  std::string hot = station;
  hot.replace(hot.find("gain_db = 26.0"), 14, "gain_db = 26.3");
  const auto hot_path = dir / "hot.toml";
  std::ofstream(hot_path) << hot;
  EXPECT_EQ(run_ampbench({"run", sequence, "--station", hot_path, "--db", dir / "hot.db",
                          "--serial", "HOT-1", "--quiet"})
                .exit_code,
            0);
  EXPECT_EQ(run_ampbench({"run", sequence, "--station", hot_path, "--db", dir / "hot.db",
                          "--serial", "HOT-1", "--limits", limits, "--quiet"})
                .exit_code,
            1);
  // Each run keeps the file that judged it: its text, byte for byte, and its sha256.
  std::ifstream derived_file(limits);
  std::stringstream derived_text;
  derived_text << derived_file.rdbuf();
  EXPECT_EQ(ampbench::testing::scalar(judged,
                                      "SELECT count(*) FROM runs r JOIN texts t ON t.sha256 = "
                                      "r.limits_sha256 WHERE length(CAST(t.text AS BLOB)) = " +
                                          std::to_string(derived_text.str().size())),
            "2");
  // A limits file that names a step the sequence lacks: its file, line and field.
  const auto stray = dir / "stray.toml";
  std::ofstream(stray) << "[limits.power_8]\npower_w = { min = 100 }\nbogus_db = { max = 1 }\n"
                          "thd_pct = { max = \"x\" }\n[limits.nosuch]\nx = { max = 1 }\n";
  auto refused = run_ampbench({"validate", sequence, "--station", station_path, "--limits", stray});
  EXPECT_EQ(refused.exit_code, 65);
  // Every error names the limits file, its line and the field, never the sequence.
  for (const std::string& expected :
       {stray + ":3: field 'limits.power_8.bogus_db': 'bogus_db' is not a measurement or curve "
                "of a max_power step",
        stray + ":4: field 'limits.power_8.thd_pct.max': must be a number",
        stray + ":5: field 'limits.nosuch': the sequence has no step 'nosuch'"})
    EXPECT_NE(refused.err.find(expected), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find(sequence), std::string::npos) << refused.err;
}

// ---- stats --pareto ----

namespace {

store::MeasurementRow failing_row(const std::string& run, const std::string& serial,
                                  const std::string& step, const std::string& channel,
                                  const std::string& name, record::Verdict verdict) {
  store::MeasurementRow row;
  row.run_uuid = run;
  row.serial = serial;
  row.step_id = step;
  row.run_verdict = record::Verdict::fail;
  row.measurement.channel = channel;
  row.measurement.name = name;
  row.measurement.verdict = verdict;
  return row;
}

record::RunRecord run_header(const std::string& uuid, const std::string& serial,
                             record::Verdict verdict) {
  record::RunRecord run;
  run.uuid = uuid;
  run.serial = serial;
  run.verdict = verdict;
  return run;
}

}  // namespace

// Counted by hand: A fails gain on both channels, then gain again; B fails gain and THD+N;
// C's THD+N could not be measured; D passes; E fails on a curve only (its step, read back
// whole); F was aborted and tests nothing.
TEST(Pareto, FailingUnitsByStepAndMeasurementLargestFirst) {
  using V = record::Verdict;
  const std::vector<record::RunRecord> runs = {
      run_header("a1", "A", V::fail),   run_header("a2", "A", V::fail),
      run_header("b1", "B", V::fail),   run_header("c1", "C", V::error),
      run_header("d1", "D", V::pass),   run_header("e1", "E", V::fail),
      run_header("f1", "F", V::aborted)};
  const std::vector<store::MeasurementRow> rows = {
      failing_row("a1", "A", "gain_1k", "L", "gain_db", V::fail),
      failing_row("a1", "A", "gain_1k", "R", "gain_db", V::fail),
      failing_row("a2", "A", "gain_1k", "L", "gain_db", V::fail),
      failing_row("b1", "B", "gain_1k", "L", "gain_db", V::fail),
      failing_row("b1", "B", "thdn_1k", "L", "thdn_pct", V::fail),
      failing_row("c1", "C", "thdn_1k", "R", "thdn_pct", V::error),
      failing_row("d1", "D", "gain_1k", "L", "gain_db", V::pass)};
  std::vector<std::string> loaded;
  const auto p = stats::pareto(runs, rows, [&](const std::string& uuid) {
    loaded.push_back(uuid);
    record::RunRecord whole = run_header(uuid, "E", V::fail);
    record::StepRecord passed, failed;
    passed.step_id = "gain_1k";
    passed.verdict = V::pass;
    failed.step_id = "response";
    failed.verdict = V::fail;
    whole.steps = {passed, failed};
    return whole;
  });
  EXPECT_EQ(loaded, std::vector<std::string>{"e1"});
  EXPECT_EQ(p.runs, 6);
  EXPECT_EQ(p.failing_runs, 5);
  EXPECT_EQ(p.failing_units, 4);
  ASSERT_EQ(p.causes.size(), 3u);
  const auto& gain = p.causes[0];
  EXPECT_EQ(gain.step_id, "gain_1k");
  EXPECT_EQ(gain.name, "gain_db");
  EXPECT_EQ(gain.units, 2);
  EXPECT_EQ(gain.runs, 3);
  EXPECT_DOUBLE_EQ(gain.share, 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(gain.cumulative, 2.0 / 4.0);
  const auto& thdn = p.causes[1];
  EXPECT_EQ(thdn.name, "thdn_pct");
  EXPECT_EQ(thdn.units, 2);
  EXPECT_EQ(thdn.runs, 2);
  EXPECT_EQ(thdn.errors, 1);
  EXPECT_DOUBLE_EQ(thdn.cumulative, 3.0 / 4.0);
  const auto& curve = p.causes[2];
  EXPECT_EQ(curve.step_id, "response");
  EXPECT_EQ(curve.name, "");
  EXPECT_EQ(curve.units, 1);
  EXPECT_DOUBLE_EQ(curve.cumulative, 1.0);
}

// The simulated faults through `run` and `stats --pareto --json`: a unit low on gain (twice),
// one with hum, one with a dead right channel; two good units.
TEST(Pareto, TheSimulatedFaultsRankedFromTheStore) {
  TempDir dir;
  const auto station = line_station(dir, "station.toml", 0.0);
  std::ofstream(dir / "line.toml") << kLineSequence;
  const auto db = dir / "line.db";
  EXPECT_EQ(run_units(dir / "line.toml", station, db,
                      {"--serial", "G1", "--serial", "G2", "--serial", "SIM-LOW-GAIN", "--serial",
                       "SIM-HUM", "--serial", "SIM-DEAD-R", "--serial", "SIM-LOW-GAIN"}),
            1);
  const auto r = run_ampbench({"stats", "--db", db, "--pareto", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["runs"], 6);
  EXPECT_EQ(j["failing_runs"], 4);
  EXPECT_EQ(j["failing_units"], 3);
  ASSERT_EQ(j["causes"].size(), 2u) << j.dump();
  // Low gain fails gain_db (−6 dB) twice, the dead channel's R once: 2 units, 3 runs.
  EXPECT_EQ(j["causes"][0]["step"], "gain_1k");
  EXPECT_EQ(j["causes"][0]["measurement"], "gain_db");
  EXPECT_EQ(j["causes"][0]["units"], 2);
  EXPECT_EQ(j["causes"][0]["runs"], 3);
  // Hum (3 mV at the input) and the dead channel's silence fail THD+N.
  EXPECT_EQ(j["causes"][1]["measurement"], "thdn_pct");
  EXPECT_EQ(j["causes"][1]["units"], 2);
  const auto table = run_ampbench({"stats", "--db", db, "--pareto"});
  EXPECT_NE(table.out.find("4 failing run(s) of 6, 3 failing unit(s)"), std::string::npos)
      << table.out;
}
