#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/command.hpp"
#include "cli/run_filter.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "record/point_words.hpp"
#include "report/export.hpp"
#include "report/html.hpp"
#include "store/results_reader.hpp"

namespace ampbench::cli {
namespace {

struct ResultsOptions {
  std::string db = "ampbench.db";
  RunFilterOptions runs_matching;
  std::string verdict, format = "csv", output;
  std::string run;
  std::vector<std::string> runs;
  int limit = 50;
  bool json = false;
};

store::RunFilter filter_of(const ResultsOptions& o) {
  store::RunFilter f = o.runs_matching.filter();
  if (!o.verdict.empty()) {
    std::string upper = o.verdict;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    f.verdict = record::parse_verdict(upper);
    if (!f.verdict) throw UsageError("--verdict must be PASS, FAIL, ERROR, ABORTED or RUNNING");
  }
  f.limit = o.limit;
  return f;
}

int list(const ResultsOptions& o) {
  auto db = store::open_results(o.db);
  const auto runs = db->list_runs(filter_of(o));
  const auto forwarding = db->forward_states(runs);
  const auto forward_state = [&](const record::RunRecord& r) {
    const auto it = forwarding.find(r.id);
    return it == forwarding.end() ? std::string("-") : it->second;
  };
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : runs) {
      j.push_back(report::run_to_json(r, false));
      if (!forwarding.empty()) j.back()["forward"] = forward_state(r);
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  // The slot column only where some run was tested in a slot (SPEC §11).
  const bool slots =
      std::any_of(runs.begin(), runs.end(), [](const auto& r) { return !r.slot.empty(); });
  // The forward column only where the station forwards.
  std::printf("%-6s %-8s %-24s %-8s %s%-24s %s%s\n", "ID", "UUID", "STARTED", "VERDICT",
              slots ? "SLOT     " : "", "SERIAL", forwarding.empty() ? "" : "FORWARD    ",
              "SEQUENCE");
  for (const auto& r : runs) {
    char slot[16] = "";
    if (slots) std::snprintf(slot, sizeof slot, "%-8.8s ", r.slot.empty() ? "-" : r.slot.c_str());
    char forward[32] = "";
    if (!forwarding.empty())
      std::snprintf(forward, sizeof forward, "%-10s ", forward_state(r).c_str());
    std::printf("%-6lld %-8.8s %-24s %-8s %s%-24s %s%s\n", static_cast<long long>(r.id),
                r.uuid.c_str(), r.started_at.c_str(),
                std::string(record::verdict_name(r.verdict)).c_str(), slot, r.serial.c_str(),
                forward, r.sequence_name.c_str());
  }
  return 0;
}

int show(const ResultsOptions& o) {
  auto db = store::open_results(o.db);
  const auto run = db->load_run(o.run);
  if (o.json) {
    std::cout << report::run_to_json(run).dump(2) << "\n";
    return 0;
  }
  std::printf(
      "run %lld  %s\nserial    %s\nverdict   %s\nsequence  %s (sha256 %.12s)\nstation   "
      "%s\noperator  %s\n"
      "software  %s\nstarted   %s\nfinished  %s\n",
      static_cast<long long>(run.id), run.uuid.c_str(), run.serial.c_str(),
      std::string(record::verdict_name(run.verdict)).c_str(), run.sequence_name.c_str(),
      run.sequence_sha256.c_str(),
      (run.slot.empty() ? run.station_name : run.station_name + ", slot " + run.slot).c_str(),
      run.operator_name.c_str(), run.software_version.c_str(), run.started_at.c_str(),
      run.finished_at.c_str());
  if (!run.limits_sha256.empty())
    std::printf("limits    the sequence's, with a limits file (sha256 %.12s)\n",
                run.limits_sha256.c_str());
  if (run.bench_time)  // docs/design.md, "unit_s"
    std::printf("bench     %.2f s held (stimulus %.2f s, analysis %.2f s, %lld transfers)\n",
                run.bench_time->unit_s, run.bench_time->stimulus_s, run.bench_time->analysis_s,
                static_cast<long long>(run.bench_time->transfers));
  // The calibration behind the volts (SPEC §15).
  std::string calibrations;
  for (const auto& uuid : run.calibration_uuids)
    calibrations += (calibrations.empty() ? "" : ", ") + uuid.substr(0, 8);
  std::printf("calibration %s\n", calibrations.empty()
                                      ? "the station file's nominal values (no record)"
                                      : ("records " + calibrations).c_str());
  for (const auto& s : run.steps) {
    std::printf("\n[%d] %s (%s)  %s%s%s\n", s.ordinal, s.step_id.c_str(), s.kind.c_str(),
                std::string(record::verdict_name(s.verdict)).c_str(), s.message.empty() ? "" : "  ",
                s.message.c_str());
    if (const auto conditions = record::conditions_in_words(s.params); !conditions.empty())
      std::printf("    %s\n", conditions.c_str());
    // As the console reads: value with unit, limits as people write them, point in words.
    for (const auto& m : s.measurements) {
      const std::string limits =
          m.low || m.high ? "[" + report::limit_in_words(m.low, m.high, m.unit) + "]" : "";
      const std::string where = record::point_in_words(m.point);
      const std::string value =
          report::value_in_words(m.value, m.unit) +
          (m.uncertainty ? " ± " + report::value_in_words(*m.uncertainty, m.unit) : std::string());
      std::printf("    %-5s %-26s %16s  %-22s %-5s %s%s%s%s%s\n", m.channel.c_str(), m.name.c_str(),
                  value.c_str(), limits.c_str(), std::string(record::shown_verdict(m)).c_str(),
                  where.empty() ? "" : "at ", where.c_str(),
                  m.note.empty()  ? ""
                  : where.empty() ? "("
                                  : " (",
                  m.note.empty() ? "" : (m.note + ")").c_str(),
                  m.flags.empty() ? "" : ("  [" + m.flags + "]").c_str());
    }
    for (const auto& c : s.curves)
      std::printf("    %-3s curve %s: %zu points (%s vs %s)\n", c.channel.c_str(), c.name.c_str(),
                  c.x.size(), c.y_unit.c_str(), c.x_unit.c_str());
  }
  return 0;
}

int export_runs(const ResultsOptions& o) {
  if (o.format != "csv" && o.format != "json") throw UsageError("--format must be csv or json");
  auto db = store::open_results(o.db);
  std::vector<record::RunRecord> runs;
  if (o.runs.empty()) {
    for (const auto& header : db->list_runs(filter_of(o)))
      runs.push_back(db->load_run(std::to_string(header.id)));
  } else {
    for (const auto& key : o.runs) runs.push_back(db->load_run(key));
  }
  std::ostringstream text;
  if (o.format == "csv") {
    report::write_csv(text, runs);
  } else {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : runs) j.push_back(report::run_to_json(r, true, true));
    text << j.dump(2) << "\n";
  }
  if (o.output.empty())
    std::cout << text.str();
  else
    write_file_atomically(o.output, text.str());
  return 0;
}

void add_filters(CLI::App* app, ResultsOptions& o) {
  o.runs_matching.add_to(app);
  app->add_option("--verdict", o.verdict, "Only runs with this verdict");
  app->add_option("--limit", o.limit, "At most this many runs (default 50)");
}

}  // namespace

Subcommand add_results_command(CLI::App& parent) {
  auto o = std::make_shared<ResultsOptions>();
  CLI::App* app = parent.add_subcommand("results", "Query the results database");
  app->add_option("--db", o->db,
                  "Results database: a SQLite file (default ampbench.db) or postgresql://…");
  app->require_subcommand(1);
  CLI::App* l = app->add_subcommand("list", "List runs, newest first");
  add_filters(l, *o);
  l->add_flag("--json", o->json, "JSON output");
  l->add_option("--db", o->db, "Results database");
  CLI::App* s = app->add_subcommand("show", "Show one run with every step and measurement");
  s->add_option("run", o->run, "Run id or uuid (or a unique uuid prefix)")->required();
  s->add_flag("--json", o->json, "JSON output");
  s->add_option("--db", o->db, "Results database");
  CLI::App* e = app->add_subcommand("export", "Export runs as CSV or JSON");
  e->add_option("runs", o->runs, "Run ids or uuids (default: the filtered list)");
  e->add_option("--format", o->format, "csv (default) or json");
  e->add_option("-o,--output", o->output, "Output file (default stdout)");
  e->add_option("--db", o->db, "Results database");
  add_filters(e, *o);
  return {app, [o, l, s] {
            if (l->parsed()) return list(*o);
            if (s->parsed()) return show(*o);
            return export_runs(*o);
          }};
}

}  // namespace ampbench::cli
