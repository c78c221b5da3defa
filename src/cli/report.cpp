#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "report/export.hpp"
#include "report/files.hpp"
#include "report/html.hpp"
#include "report/junit.hpp"
#include "report/rew.hpp"
#include "store/results_reader.hpp"

namespace ampbench::cli {
namespace {

struct ReportOptions {
  std::string run;
  std::string format = "html";
  std::string output;
  std::string db = "ampbench.db";
};

// REW reads one curve per file: one file per response curve, in the output directory.
void write_rew(const record::RunRecord& run, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  int written = 0;
  for (const auto& step : run.steps) {
    for (const auto& c : step.curves) {
      if (c.name != "response_db") continue;
      const record::CurveRecord* phase = nullptr;
      for (const auto& p : step.curves)
        if (p.name == "phase_deg" && p.channel == c.channel && p.point == c.point) phase = &p;
      const auto path = dir / (report::safe_file_stem(run.serial) + "-run" +
                               std::to_string(run.id) + "-" + report::safe_file_stem(step.step_id) +
                               "-" + report::safe_file_stem(c.channel) + ".txt");
      report::write_text_file(path, report::render_rew(run, step, c, phase));
      std::fprintf(stderr, "wrote %s\n", path.string().c_str());
      ++written;
    }
  }
  if (written == 0)
    throw InputError(run.uuid, "this run has no frequency-response curve to export for REW");
}

int run_report(const ReportOptions& o) {
  const auto db = store::open_results(o.db);
  const auto run = db->load_run(o.run);
  std::filesystem::path out = o.output;
  std::error_code ec;
  const auto into_dir = [&](const std::string& extension) {
    return std::filesystem::is_directory(out, ec) ? report::unique_report_path(out, run, extension)
                                                  : out;
  };
  if (o.format == "html") {
    out = into_dir(".html");
    report::write_text_file(out, report::render_html(run));
  } else if (o.format == "junit") {
    out = into_dir(".xml");
    report::write_text_file(out, report::render_junit({run}));
  } else if (o.format == "csv") {
    out = into_dir(".csv");
    std::ostringstream csv;
    report::write_csv(csv, {run});
    report::write_text_file(out, csv.str());
  } else if (o.format == "rew") {
    write_rew(run, out);
    return 0;
  } else {
    throw UsageError("--format must be html, junit, csv or rew");
  }
  std::fprintf(stderr, "wrote %s\n", out.string().c_str());
  return 0;
}

}  // namespace

Subcommand add_report_command(CLI::App& parent) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* app =
      parent.add_subcommand("report", "Write a run's report: HTML, JUnit XML, CSV or REW text");
  app->add_option("run", o->run, "Run id or uuid (or a unique uuid prefix)")->required();
  app->add_option("--format", o->format, "html (default) | junit | csv | rew");
  app->add_option("-o,--output", o->output, "Output file, or a directory (REW: always a directory)")
      ->required();
  app->add_option("--db", o->db,
                  "Results database: a SQLite file (default ampbench.db) or postgresql://…");
  return {app, [o] { return run_report(*o); }};
}

}  // namespace ampbench::cli
