#include "cli/run_filter.hpp"

#include <chrono>
#include <regex>

#include "common/error.hpp"

namespace ampbench::cli {
namespace {

std::optional<std::string> given(const std::string& value) {
  return value.empty() ? std::nullopt : std::optional(value);
}

// A UTC time as ISO 8601 (2026-11-24, 2026-11-24T13:07, …T13:07:16.123Z): runs are kept
// with such times and compared as text, so anything else would select nothing silently.
std::optional<std::string> checked_time(const std::string& flag, const std::string& value) {
  if (value.empty()) return std::nullopt;
  static const std::regex iso(
      R"(^(\d{4})-(\d{2})-(\d{2})(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,3})?)?Z?)?$)");
  std::smatch m;
  const auto bad = [&] {
    return UsageError(flag + " '" + value +
                      "': expected a UTC date or time in ISO 8601, e.g. 2026-11-24 or "
                      "2026-11-24T13:07:16Z");
  };
  if (!std::regex_match(value, m, iso)) throw bad();
  const std::chrono::year_month_day day{std::chrono::year(std::stoi(m[1])),
                                        std::chrono::month(static_cast<unsigned>(std::stoi(m[2]))),
                                        std::chrono::day(static_cast<unsigned>(std::stoi(m[3])))};
  if (!day.ok()) throw bad();
  return value;
}

}  // namespace

void RunFilterOptions::add_to(CLI::App* app) {
  app->add_option("--sequence", sequence, "Only runs of this sequence (its name)");
  app->add_option("--station", station, "Only runs of this station");
  app->add_option("--line", line, "Only runs of this production line");
  app->add_option("--slot", slot, "Only runs measured in this test slot (its name)");
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
  f.slot = given(slot);
  f.since = checked_time("--since", since);
  f.until = checked_time("--until", until);
  return f;
}

}  // namespace ampbench::cli
