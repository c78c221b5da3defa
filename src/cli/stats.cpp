#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/run_filter.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "report/files.hpp"
#include "report/line_html.hpp"
#include "stats/line_stats.hpp"
#include "stats/pareto.hpp"
#include "stats/stats_json.hpp"
#include "store/postgres_store.hpp"
#include "store/results_reader.hpp"

namespace ampbench::cli {
namespace {

struct StatsOptions {
  std::string db = "ampbench.db";
  RunFilterOptions runs_matching;
  std::string html;
  int drift_window = 50;
  bool json = false;
  bool by_slot = false;
  bool pareto = false;
};

// Enough to read a distribution and a trend from: every unit of 100 000 runs would be 2 MB
// a control chart (20 bytes a point), 250 MB for the synthetic line's page.
constexpr std::size_t kChartedUnits = 1000;

std::string number_or_dash(const std::optional<double>& v) {
  if (!v) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", *v);
  return b;
}

void print_table(const stats::LineStats& line) {
  std::printf("%-24s %6s %6s %9s %6s %9s %9s\n", "STATION", "RUNS", "PASS", "YIELD", "UNITS", "FPY",
              "FINAL");
  for (const auto& s : line.stations)
    std::printf("%-24s %6d %6d %8.1f%% %6d %8.1f%% %8.1f%%\n",
                s.station.empty() ? "(line)" : s.station.c_str(), s.runs, s.passed_runs,
                100.0 * s.run_yield, s.units, 100.0 * s.first_pass_yield, 100.0 * s.final_yield);
  std::printf("\n%-44s %-12s %5s %7s %12s %10s %-5s %6s %6s  %s\n", "MEASUREMENT", "STATION", "N",
              "YIELD", "MEAN", "SIGMA", "UNIT", "CP", "CPK", "DRIFT");
  for (const auto& m : line.measurements) {
    const auto& c = m.capability;
    std::string drift = !m.drift.evaluated
                            ? "needs " + std::to_string(m.drift.units_needed) + " units"
                        : m.drift.drifting ? "DRIFT"
                                           : "ok";
    if (m.drift.drifting)
      drift += " from unit " + std::to_string(m.drift.first_out + 1) + " (" +
               m.drift.first_out_serial + ")";
    std::printf("%-44s %-12s %5d %6.1f%% %12.6g %10.4g %-5s %6s %6s  %s\n", m.key.label().c_str(),
                m.station.empty() ? "(line)" : m.station.c_str(), c.count, 100.0 * c.yield, c.mean,
                c.sigma, m.key.unit.c_str(), number_or_dash(c.cp).c_str(),
                number_or_dash(c.cpk).c_str(), drift.c_str());
  }
}

void print_pareto(const stats::Pareto& p) {
  std::printf("%d failing run(s) of %d, %d failing unit(s)\n", p.failing_runs, p.runs,
              p.failing_units);
  if (p.causes.empty()) return;
  std::printf("\n%-20s %-28s %6s %6s %7s %8s %7s\n", "STEP", "MEASUREMENT", "UNITS", "RUNS",
              "ERRORS", "OF RUNS", "CUM");
  for (const auto& c : p.causes)
    std::printf("%-20s %-28s %6d %6d %7d %7.1f%% %6.1f%%\n",
                c.step_id.empty() ? "(run)" : c.step_id.c_str(),
                c.name.empty() ? "(step, no measurement)" : c.name.c_str(), c.units, c.runs,
                c.errors, 100.0 * c.share, 100.0 * c.cumulative);
}

void print_stats(const stats::LineStats& line, const store::ResultsReader& db, bool json) {
  if (line.stations.empty())
    std::fprintf(stderr, "ampbench: no finished runs in %s match\n", db.name().c_str());
  if (json)
    std::cout << stats::to_json(line).dump(2) << "\n";
  else
    print_table(line);
}

int run_stats(const StatsOptions& o) {
  if (o.drift_window < 2) throw UsageError("--drift-window must be at least 2 units");
  if (o.pareto && o.by_slot) throw UsageError("--pareto and --by-slot: give one of them");
  store::RunFilter filter = o.runs_matching.filter();
  filter.limit = 0;
  const auto db = store::open_results(o.db);
  stats::DriftOptions drift;
  drift.window = o.drift_window;
  // Everything is gathered by the store: memory bounded however many runs match.
  if (o.pareto) {
    const auto p = stats::pareto(*db, filter);
    if (p.runs == 0)
      std::fprintf(stderr, "ampbench: no finished runs in %s match\n", db->name().c_str());
    if (o.json)
      std::cout << stats::to_json(p).dump(2) << "\n";
    else
      print_pareto(p);
    return 0;
  }
  if (!o.by_slot && o.html.empty()) {
    print_stats(stats::line_stats(*db, filter, drift), *db, o.json);
    return 0;
  }
  if (o.by_slot) {
    // Each test slot's runs on their own (a fixture that drifts is a slot's problem, not the
    // product's), in slot-name order; runs without a slot are left out.
    std::vector<std::pair<std::string, stats::LineStats>> slots;
    for (const auto& slot : db->slot_names(filter)) {
      auto in_slot = filter;
      in_slot.slot = slot;
      slots.emplace_back(slot, stats::line_stats(*db, in_slot, drift));
    }
    if (slots.empty())
      std::fprintf(stderr, "ampbench: no finished runs in %s match that were tested in a slot\n",
                   db->name().c_str());
    nlohmann::json all = nlohmann::json::array();
    for (const auto& [slot, line] : slots) {
      if (o.json) {
        auto j = stats::to_json(line);
        j["slot"] = slot;
        all.push_back(std::move(j));
      } else {
        std::printf("%sSLOT %s\n", &slot == &slots.front().first ? "" : "\n", slot.c_str());
        print_table(line);
      }
    }
    if (o.json) std::cout << nlohmann::json({{"slots", all}}).dump(2) << "\n";
    return 0;
  }
  // The page charts each figure's newest units (and at least the drift check's window).
  const auto charted =
      std::max<std::size_t>(kChartedUnits, static_cast<std::size_t>(o.drift_window));
  const auto line = stats::line_stats(*db, filter, drift, charted);
  std::string scope = db->name();
  const auto& m = o.runs_matching;
  for (const auto& [what, value] : {std::pair{"sequence", m.sequence},
                                    {"station", m.station},
                                    {"line", m.line},
                                    {"slot", m.slot},
                                    {"serial", m.serial},
                                    {"since", m.since},
                                    {"until", m.until}})
    if (!value.empty()) scope += std::string(", ") + what + " " + value;
  write_file_atomically(o.html, report::render_line_html(line, scope));
  std::fprintf(stderr, "wrote %s\n", o.html.c_str());
  print_stats(line, *db, o.json);
  return 0;
}

}  // namespace

Subcommand add_stats_command(CLI::App& parent) {
  auto o = std::make_shared<StatsOptions>();
  CLI::App* app = parent.add_subcommand(
      "stats", "Line statistics: yield, mean, σ, Cp/Cpk and drift per measurement and station");
  app->add_option("--db", o->db,
                  "Results: a SQLite file (default ampbench.db) or postgresql://… (the line's)");
  o->runs_matching.add_to(app);
  app->add_option("--drift-window", o->drift_window,
                  "Units the drift check watches, against those before them (default 50)");
  app->add_option("--html", o->html, "Also write the line summary page (HTML) here");
  app->add_flag("--json", o->json, "JSON instead of the table");
  app->add_flag("--by-slot", o->by_slot,
                "Each test slot's runs on their own: one table (or JSON entry) per slot");
  app->add_flag("--pareto", o->pareto,
                "Why units fail: failing units and runs by step and measurement, largest first");
  return {app, [o] { return run_stats(*o); }};
}

}  // namespace ampbench::cli
