// store: what line statistics and derived limits read of many runs, gathered by the store
// so that memory is bounded by the number of figures, not of runs (SPEC §16): each
// figure's moments by station, the runs' yield tallies, and a scan from the newest run
// back that its reader stops. PostgreSQL aggregates in the server (GROUP BY); SQLite,
// in process anyway, streams the rows into a hash table, since its GROUP BY sorts every
// row first (35 s against 3 s over 6.4 M measurements).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace ampbench::store {

// Count, mean, sum of squared deviations and extremes of a set of values (Welford's
// update; Chan's combination to merge two sets and to take one out of another).
struct Moments {
  std::int64_t n = 0;
  double mean = 0.0, m2 = 0.0, min = 0.0, max = 0.0;
  void add(double v);
  void merge(const Moments& other);
  // The moments of this set without `part` (a subset of it); min and max are kept.
  Moments without(const Moments& part) const;
  double sd() const;  // sample standard deviation (n − 1); 0 below two values
};

// dB-family units (dB, dBV, dBu, dBFS, dBr…) are amplitude ratios: statistics of them are
// taken of the linear ratio.
bool is_level_unit(std::string_view unit);
double to_linear(double value, std::string_view unit);

// One figure (step, channel, name, unit, sweep point) at one station over the runs read.
struct FigureAggregate {
  std::string station, step_id, channel, name, unit;
  std::string point_json;          // as stored: "{}" for no sweep point
  std::int64_t passed = 0;         // values judged PASS
  Moments value;                   // the values as stored (dB as dB)
  Moments linear;                  // to_linear of each value
  Moments passed_linear;           // to_linear of the values judged PASS
  bool low = false, high = false;  // some value was judged against a lower / upper limit
  void add(double v, bool pass, bool has_low, bool has_high);
  void merge(const FigureAggregate& other);  // the same figure's other values
};

// A station's runs ("" in `station`: every station's runs taken as one line).
struct RunTally {
  std::string station;
  std::int64_t runs = 0, passed_runs = 0;
  std::int64_t units = 0;         // distinct serial numbers
  std::int64_t first_passed = 0;  // units whose first run passed
  std::int64_t last_passed = 0;   // units whose last run passed
};

struct DayTally {
  std::string day;  // UTC, YYYY-MM-DD
  std::string station;
  std::int64_t runs = 0, passed_runs = 0;
};

// The yield tallies' query: each station's runs, or (`whole_line`) all of them as one;
// `filter_sql` selects the runs (alias r), `day_sql` is the dialect's UTC day of
// r.started_at. Results: station, runs, passed_runs, units, first_passed, last_passed.
std::string run_tally_sql(const std::string& filter_sql, bool whole_line);
// Results: day, station, runs, passed_runs.
std::string day_tally_sql(const std::string& filter_sql, const std::string& day_sql);
// The test slots the runs were tested in, by name (runs without one left out).
std::string slot_names_sql(const std::string& filter_sql);
// " AND s.step_id IN ('a', 'b')" naming the steps as SQL literals; "" for none.
std::string steps_in_sql(const std::set<std::string>& steps);

}  // namespace ampbench::store
