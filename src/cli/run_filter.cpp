#include "cli/run_filter.hpp"

namespace ampbench::cli {
namespace {

std::optional<std::string> given(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional(value);
}

}  // namespace

void RunFilterOptions::add_to(CLI::App* app) {
  app->add_option("--sequence", sequence, "Only runs of this sequence (its name)");
  app->add_option("--station", station, "Only runs of this station");
  app->add_option("--line", line, "Only runs of this production line");
  app->add_option("--serial", serial, "Only these serial numbers: exact or a pattern (AMP-24*)");
  app->add_option("--since", since, "Started at or after (ISO 8601, e.g. 2026-11-24)");
  app->add_option("--until", until, "Started before (ISO 8601)");
}

store::RunFilter RunFilterOptions::filter() const {
  store::RunFilter f;
  f.sequence = given(sequence);
  f.station = given(station);
  f.line = given(line);
  f.serial = given(serial);
  f.since = given(since);
  f.until = given(until);
  return f;
}

}  // namespace ampbench::cli
