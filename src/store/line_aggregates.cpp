#include "store/line_aggregates.hpp"

#include <algorithm>
#include <cmath>

namespace ampbench::store {

void Moments::add(double v) {
  if (n == 0) min = max = v;
  min = std::min(min, v);
  max = std::max(max, v);
  ++n;
  const double delta = v - mean;
  mean += delta / static_cast<double>(n);
  m2 += delta * (v - mean);
}

void Moments::merge(const Moments& o) {
  if (o.n == 0) return;
  if (n == 0) {
    *this = o;
    return;
  }
  const auto total = static_cast<double>(n + o.n);
  const double delta = o.mean - mean;
  m2 += o.m2 + delta * delta * static_cast<double>(n) * static_cast<double>(o.n) / total;
  mean += delta * static_cast<double>(o.n) / total;
  min = std::min(min, o.min);
  max = std::max(max, o.max);
  n += o.n;
}

Moments Moments::without(const Moments& part) const {
  Moments rest = *this;
  rest.n = n - part.n;
  if (rest.n <= 0) return Moments{};
  const auto whole = static_cast<double>(n), kept = static_cast<double>(rest.n),
             taken = static_cast<double>(part.n);
  rest.mean = (whole * mean - taken * part.mean) / kept;
  const double delta = part.mean - rest.mean;
  rest.m2 = std::max(0.0, m2 - part.m2 - delta * delta * kept * taken / whole);
  return rest;
}

double Moments::sd() const {
  return n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1)) : 0.0;
}

bool is_level_unit(std::string_view unit) {
  return unit.substr(0, 2) == "dB";
}

double to_linear(double value, std::string_view unit) {
  return is_level_unit(unit) ? std::pow(10.0, value / 20.0) : value;
}

void FigureAggregate::add(double v, bool pass, bool has_low, bool has_high) {
  value.add(v);
  const double lin = to_linear(v, unit);
  linear.add(lin);
  if (pass) {
    ++passed;
    passed_linear.add(lin);
  }
  low = low || has_low;
  high = high || has_high;
}

void FigureAggregate::merge(const FigureAggregate& o) {
  passed += o.passed;
  value.merge(o.value);
  linear.merge(o.linear);
  passed_linear.merge(o.passed_linear);
  low = low || o.low;
  high = high || o.high;
}

std::string run_tally_sql(const std::string& filter_sql, bool whole_line) {
  // One window, one sort: a unit's first run is its row 1, its last its row n.
  const std::string station = whole_line ? "''" : "r.station_name";
  const std::string partition = whole_line ? "r.serial" : "r.station_name, r.serial";
  return "SELECT station, COUNT(*), SUM(pass), SUM(CASE WHEN k = 1 THEN 1 ELSE 0 END), "
         "SUM(CASE WHEN k = 1 THEN pass ELSE 0 END), SUM(CASE WHEN k = n THEN pass ELSE 0 END) "
         "FROM (SELECT " +
         station +
         " AS station, CASE WHEN r.verdict = 'PASS' THEN 1 ELSE 0 END AS pass, ROW_NUMBER() "
         "OVER w AS k, COUNT(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED "
         "FOLLOWING) AS n FROM runs r WHERE r.verdict <> 'RUNNING' AND " +
         filter_sql + " WINDOW w AS (PARTITION BY " + partition +
         " ORDER BY r.started_at, r.id)) t GROUP BY station ORDER BY station";
}

std::string day_tally_sql(const std::string& filter_sql, const std::string& day_sql) {
  return "SELECT " + day_sql +
         " AS day, r.station_name, COUNT(*), SUM(CASE WHEN r.verdict = 'PASS' THEN 1 ELSE 0 END) "
         "FROM runs r WHERE r.verdict <> 'RUNNING' AND " +
         filter_sql + " GROUP BY 1, 2 ORDER BY 1, 2";
}

std::string slot_names_sql(const std::string& filter_sql) {
  return "SELECT DISTINCT r.slot FROM runs r WHERE r.verdict <> 'RUNNING' AND r.slot <> '' AND " +
         filter_sql + " ORDER BY 1";
}

std::string steps_in_sql(const std::set<std::string>& steps) {
  if (steps.empty()) return "";
  std::string names;
  for (const auto& step : steps) {
    names += names.empty() ? "'" : ", '";
    for (char c : step) names += c == '\'' ? std::string("''") : std::string(1, c);
    names += "'";
  }
  return " AND s.step_id IN (" + names + ")";
}

}  // namespace ampbench::store
