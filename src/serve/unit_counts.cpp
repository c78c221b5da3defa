#include "serve/unit_counts.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

namespace ampbench::serve {
namespace {

// The instant of local `minutes` after midnight of the local day `days` after `now`'s.
std::time_t local_time_at(std::time_t now, int days, int minutes) {
  std::tm local{};
  localtime_r(&now, &local);
  local.tm_mday += days;
  local.tm_hour = minutes / 60;
  local.tm_min = minutes % 60;
  local.tm_sec = 0;
  local.tm_isdst = -1;  // whatever the date's own daylight saving is
  return std::mktime(&local);
}

}  // namespace

UnitCounts count_units(const std::vector<record::RunRecord>& runs, const std::string& since_utc) {
  std::vector<const record::RunRecord*> counted;
  for (const auto& run : runs)
    if (run.started_at >= since_utc && run.verdict != record::Verdict::running &&
        run.verdict != record::Verdict::aborted)
      counted.push_back(&run);
  std::sort(counted.begin(), counted.end(), [](const auto* a, const auto* b) {
    return a->started_at != b->started_at ? a->started_at < b->started_at : a->id < b->id;
  });
  UnitCounts out;
  std::map<std::string, bool> seen;
  for (const auto* run : counted) {
    if (seen.count(run->serial)) {
      ++out.retests;
      continue;
    }
    seen[run->serial] = true;
    ++out.units;
    if (run->verdict == record::Verdict::pass) ++out.first_pass;
  }
  return out;
}

Period local_day(std::time_t now) {
  std::tm local{};
  localtime_r(&now, &local);
  char name[16];
  std::strftime(name, sizeof name, "%Y-%m-%d", &local);
  return {name, record::utc_iso8601(local_time_at(now, 0, 0))};
}

std::optional<Period> current_shift(std::time_t now, const std::vector<int>& starts) {
  if (starts.empty()) return std::nullopt;
  std::tm local{};
  localtime_r(&now, &local);
  const int minute = local.tm_hour * 60 + local.tm_min;
  // The latest start at or before now; before the first one, the last one of yesterday.
  int start = starts.back(), day = -1;
  for (int s : starts)
    if (s <= minute) start = s, day = 0;
  char name[32];
  std::snprintf(name, sizeof name, "shift %02d:%02d", start / 60, start % 60);
  return Period{name, record::utc_iso8601(local_time_at(now, day, start))};
}

nlohmann::json counts_json(const Period& day, const UnitCounts& d,
                           const std::optional<Period>& shift, const UnitCounts& s) {
  nlohmann::json out = {{"day", day.name},
                        {"units", d.units},
                        {"passed", d.first_pass},
                        {"retests", d.retests},
                        {"shift", nullptr}};
  if (shift)
    out["shift"] = {{"name", shift->name},
                    {"units", s.units},
                    {"passed", s.first_pass},
                    {"retests", s.retests}};
  return out;
}

}  // namespace ampbench::serve
