// `ampbench limits derive`: limits from the runs of good units (SPEC §16, stats/limits_derive).
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/run_filter.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "stats/limits_derive.hpp"
#include "store/results_reader.hpp"

namespace ampbench::cli {
namespace {

// Tolerance intervals of fewer units say more about the units than about the product.
constexpr std::size_t kFewestUnits = 10;

struct DeriveCommandOptions {
  std::string db = "ampbench.db";
  RunFilterOptions runs_matching;
  std::vector<std::string> steps;
  std::string method = "tolerance";
  double coverage = 0.99, confidence = 0.95, offset = 0.0;
  std::vector<std::string> exclude_hz;
  bool any_verdict = false, force = false, per_figure = false;
  std::string output;
};

std::pair<double, double> band(const std::string& text) {
  const auto colon = text.find(':');
  try {
    if (colon == std::string::npos) throw std::invalid_argument(text);
    const double lo = std::stod(text.substr(0, colon)), hi = std::stod(text.substr(colon + 1));
    if (!(lo > 0.0 && hi > lo)) throw std::invalid_argument(text);
    return {lo, hi};
  } catch (const std::logic_error&) {
    throw UsageError("--exclude-hz '" + text + "': expected LO:HI in Hz, 0 < LO < HI (e.g. 45:70)");
  }
}

int run_derive(const DeriveCommandOptions& o) {
  stats::DeriveOptions options;
  if (o.method == "tolerance")
    options.method = stats::LimitMethod::tolerance;
  else if (o.method == "envelope")
    options.method = stats::LimitMethod::envelope;
  else if (o.method == "offset")
    options.method = stats::LimitMethod::offset;
  else
    throw UsageError("--method '" + o.method + "': expected tolerance, envelope or offset");
  if (!(o.coverage > 0.0 && o.coverage < 1.0) || !(o.confidence > 0.0 && o.confidence < 1.0))
    throw UsageError("--coverage and --confidence lie between 0 and 1 (e.g. 0.99 and 0.95)");
  if (o.offset < 0.0) throw UsageError("--offset-db must not be negative");
  if (o.runs_matching.sequence.empty())
    throw UsageError("limits derive: name the sequence (--sequence NAME): limits belong to one");
  options.coverage = o.coverage;
  options.per_figure = o.per_figure;
  options.confidence = o.confidence;
  options.offset = o.offset;
  options.steps.insert(o.steps.begin(), o.steps.end());
  for (const auto& text : o.exclude_hz) options.exclude_hz.push_back(band(text));

  store::RunFilter filter = o.runs_matching.filter();
  filter.limit = 0;
  if (!o.any_verdict) filter.verdict = record::Verdict::pass;
  const auto db = store::open_results(o.db);
  stats::LimitsDeriver deriver(options);
  // Aggregated by the store, curves one at a time: memory stays within the figures' size
  // however many runs there are.
  for (const auto& line : db->run_tallies(filter, true))
    deriver.add_population(static_cast<std::size_t>(line.runs),
                           static_cast<std::size_t>(line.units));
  for (const auto& figure : db->figure_aggregates(filter, options.steps)) deriver.add(figure);
  db->visit_curves(filter, options.steps,
                   [&](const std::string& step_id, const record::CurveRecord& curve) {
                     deriver.add_curve(step_id, curve);
                   });
  std::fprintf(stderr, "limits derive: %zu runs of %zu units of '%s'%s\n", deriver.runs(),
               deriver.units(), o.runs_matching.sequence.c_str(),
               o.any_verdict ? "" : " (PASS runs only)");
  if (deriver.units() < kFewestUnits && !o.force)
    throw InputError(db->name(), std::to_string(deriver.units()) +
                                     " units; limits from fewer than " +
                                     std::to_string(kFewestUnits) +
                                     " units say more about those units than the product "
                                     "(--force to derive them anyway)");
  const std::string text =
      deriver.limits_file(db->name() + " (sequence '" + o.runs_matching.sequence + "')");
  if (o.output.empty() || o.output == "-") {
    std::cout << text;
  } else {
    write_file_atomically(o.output, text);
    std::fprintf(stderr, "limits derive: wrote %s\n", o.output.c_str());
  }
  return 0;
}

}  // namespace

Subcommand add_limits_command(CLI::App& parent) {
  CLI::App* limits = parent.add_subcommand("limits", "Limits from data");
  limits->require_subcommand(1);
  auto o = std::make_shared<DeriveCommandOptions>();
  CLI::App* app = limits->add_subcommand(
      "derive", "Derive limits from the stored runs of good units: a limits file for run --limits");
  app->add_option("--db", o->db,
                  "Results: a SQLite file (default ampbench.db) or postgresql://… (the line's)");
  o->runs_matching.add_to(app);
  app->add_option("--step", o->steps, "Only this step (repeatable; default every step)");
  app->add_option("--method", o->method,
                  "tolerance (mean ± k·s, default), envelope (min/max ± offset) or offset "
                  "(mean ± offset)");
  app->add_option("--coverage", o->coverage,
                  "Proportion of good units the tolerance limits pass, every value of the unit "
                  "inside its limits (default 0.99)");
  app->add_flag("--per-figure", o->per_figure,
                "The coverage for each value on its own, not for the whole unit");
  app->add_option("--confidence", o->confidence, "Confidence of that coverage (default 0.95)");
  app->add_option("--offset-db,--offset", o->offset,
                  "Widening of envelope and offset limits, in each figure's own unit (dB for "
                  "the dB figures, % for ratios, …)");
  app->add_option("--exclude-hz", o->exclude_hz,
                  "Leave out points in this band, LO:HI (repeatable, e.g. 45:70)");
  app->add_flag("--any-verdict", o->any_verdict, "Use runs of every verdict, not only PASS");
  app->add_flag("--force", o->force, "Derive from fewer than 10 units");
  app->add_option("-o,--output", o->output,
                  "Write the limits file here (default: standard output)");
  // One verb so far; `limits` is where the others (apply, compare) will go.
  return {limits, [o] { return run_derive(*o); }};
}

}  // namespace ampbench::cli
