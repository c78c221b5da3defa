// serve: the counts the operator page's header shows (docs/serve.md): for the station's
// local day, and for its shift where [station] shifts says when shifts start — units
// tested (distinct serial numbers; an aborted run tested nothing), first-pass yield (units
// whose first run of the period passed) and retests (runs of a unit after its first).
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "record/record.hpp"

namespace ampbench::serve {

struct UnitCounts {
  int units = 0;
  int first_pass = 0;
  int retests = 0;
};

// Runs in any order; those started before `since_utc` (ISO 8601), RUNNING or ABORTED are
// left out.
UnitCounts count_units(const std::vector<record::RunRecord>& runs, const std::string& since_utc);

// A period of the local clock: its name ("2026-12-04", "shift 06:00") and its start in UTC.
struct Period {
  std::string name;
  std::string since_utc;
};
// The local day holding `now`; and the shift holding it, from shift starts in minutes after
// local midnight (sorted; a shift before the first start began the day before). TZ decides
// the local time, as for every program on the station's computer.
Period local_day(std::time_t now);
std::optional<Period> current_shift(std::time_t now, const std::vector<int>& shift_start_minutes);

// {"day", "units", "passed" (first pass), "retests", "shift": {…} or null}, as the page
// reads it.
nlohmann::json counts_json(const Period& day, const UnitCounts& day_counts,
                           const std::optional<Period>& shift, const UnitCounts& shift_counts);

}  // namespace ampbench::serve
