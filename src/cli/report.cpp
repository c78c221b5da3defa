#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "report/export.hpp"
#include "report/files.hpp"
#include "report/html.hpp"
#include "report/junit.hpp"
#include "report/plot_files.hpp"
#include "report/rew.hpp"
#include "store/results_reader.hpp"

namespace ampbench::cli {
namespace {

struct ReportOptions {
  std::string run;
  std::string format = "html";
  std::string output;
  std::string db = "ampbench.db";
  bool no_limits = false;
  std::optional<double> normalize_hz;
};

// REW reads one curve per file, as do most plotting tools: one file per curve, condition
// and channel, in the output directory.
void write_curves(const record::RunRecord& run, const std::filesystem::path& dir, bool rew) {
  const auto written = report::write_curve_files(run, dir, rew);
  for (const auto& path : written) std::fprintf(stderr, "wrote %s\n", path.string().c_str());
  if (written.empty())
    throw InputError(run.uuid, rew ? "this run has no frequency-response curve to export for REW"
                                   : "this run has no curve to export");
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
  const report::PlotOptions plots{!o.no_limits, o.normalize_hz};
  if (o.format == "html") {
    out = into_dir(".html");
    write_file_atomically(out, report::render_html(run, plots));
  } else if (o.format == "junit") {
    out = into_dir(".xml");
    write_file_atomically(out, report::render_junit({run}));
  } else if (o.format == "csv") {
    out = into_dir(".csv");
    std::ostringstream csv;
    report::write_csv(csv, {run});
    write_file_atomically(out, csv.str());
  } else if (o.format == "rew" || o.format == "curves") {
    write_curves(run, out, o.format == "rew");
    return 0;
  } else if (o.format == "plots") {
    const auto written = report::write_plot_files(run, out, plots);
    for (const auto& path : written) std::fprintf(stderr, "wrote %s\n", path.string().c_str());
    if (written.empty()) throw InputError(run.uuid, "this run has no curve to plot");
    return 0;
  } else {
    throw UsageError("--format must be html, junit, csv, curves, rew or plots");
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
  app->add_option(
      "--format", o->format,
      "html (default) | junit | csv (measurements) | curves (a CSV file per curve) | rew | "
      "plots (an SVG and a CSV file per plot)");
  app->add_option("-o,--output", o->output,
                  "Output file, or a directory (curves, REW and plots: always a directory)")
      ->required();
  app->add_flag("--no-limits", o->no_limits, "Plots without the limits' lines and masks");
  app->add_option("--normalize-hz", o->normalize_hz,
                  "Responses in dB re their own level at this frequency (e.g. 1000)")
      ->check(CLI::PositiveNumber);
  app->add_option("--db", o->db,
                  "Results database: a SQLite file (default ampbench.db) or postgresql://…");
  return {app, [o] { return run_report(*o); }};
}

}  // namespace ampbench::cli
