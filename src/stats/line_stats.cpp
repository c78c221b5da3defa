#include "stats/line_stats.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "record/point_words.hpp"

namespace ampbench::stats {

double from_linear(double value, std::string_view unit) {
  return is_level_unit(unit) ? 20.0 * std::log10(value) : value;
}

DriftCheck ewma_drift(const std::vector<double>& linear, std::string_view unit,
                      const DriftOptions& o) {
  const auto window = static_cast<std::size_t>(std::max(1, o.window));
  if (linear.size() < window + static_cast<std::size_t>(std::max(0, o.min_baseline))) {
    DriftCheck d;
    d.units_needed = static_cast<int>(window) + o.min_baseline;
    return d;
  }
  const std::size_t start = linear.size() - window;
  store::Moments baseline;
  for (std::size_t i = 0; i < start; ++i) baseline.add(linear[i]);
  DriftCheck d = ewma_drift(
      baseline, {linear.begin() + static_cast<std::ptrdiff_t>(start), linear.end()}, unit, o);
  if (d.drifting) d.first_out += static_cast<int>(start);
  return d;
}

DriftCheck ewma_drift(const store::Moments& base, const std::vector<double>& last,
                      std::string_view unit, const DriftOptions& o) {
  DriftCheck d;
  const auto window = static_cast<std::size_t>(std::max(1, o.window));
  d.units_needed = static_cast<int>(window) + o.min_baseline;
  if (last.size() < window || base.n < o.min_baseline) return d;
  d.evaluated = true;
  const double sigma = base.sd();
  d.baseline_mean = from_linear(base.mean, unit);
  const double asymptote = o.limit_sigmas * sigma * std::sqrt(o.lambda / (2.0 - o.lambda));
  d.upper = from_linear(base.mean + asymptote, unit);
  d.lower = base.mean - asymptote > 0.0 || !is_level_unit(unit)
                ? from_linear(base.mean - asymptote, unit)
                : -INFINITY;
  double z = base.mean;
  for (std::size_t i = last.size() - window; i < last.size(); ++i) {
    z = o.lambda * last[i] + (1.0 - o.lambda) * z;
    d.ewma.push_back(from_linear(z, unit));
    const double k = static_cast<double>(d.ewma.size());
    const double limit =
        o.limit_sigmas * sigma *
        std::sqrt(o.lambda / (2.0 - o.lambda) * (1.0 - std::pow(1.0 - o.lambda, 2.0 * k)));
    if (std::abs(z - base.mean) > limit && !d.drifting) {
      d.drifting = true;
      d.first_out = static_cast<int>(d.ewma.size()) - 1;  // within `last`'s window
    }
  }
  return d;
}

namespace {

Capability capability_of(std::int64_t count, std::int64_t passed, double min, double max,
                         const store::Moments& linear, std::string_view unit,
                         std::optional<double> low, std::optional<double> high) {
  Capability c;
  c.count = static_cast<int>(count);
  c.passed = static_cast<int>(passed);
  c.low = low;
  c.high = high;
  if (count == 0) return c;
  c.yield = static_cast<double>(passed) / static_cast<double>(count);
  c.min = min;
  c.max = max;
  const double sigma = linear.sd();
  c.mean_linear = linear.mean;
  c.sigma_linear = sigma;
  c.mean = from_linear(linear.mean, unit);
  c.sigma = is_level_unit(unit) ? 20.0 * std::log10((linear.mean + sigma) / linear.mean) : sigma;
  if (count < 2 || sigma <= 0.0) return c;
  const auto usl = high ? std::optional(to_linear(*high, unit)) : std::nullopt;
  const auto lsl = low ? std::optional(to_linear(*low, unit)) : std::nullopt;
  if (usl && lsl) c.cp = (*usl - *lsl) / (6.0 * sigma);
  if (usl) c.cpk = (*usl - linear.mean) / (3.0 * sigma);
  if (lsl) c.cpk = std::min(c.cpk.value_or(INFINITY), (linear.mean - *lsl) / (3.0 * sigma));
  return c;
}

}  // namespace

Capability capability(const std::vector<double>& values, const std::vector<bool>& passed,
                      std::string_view unit, std::optional<double> low,
                      std::optional<double> high) {
  store::Moments linear;
  for (double v : values) linear.add(to_linear(v, unit));
  const auto [min, max] = std::minmax_element(values.begin(), values.end());
  return capability_of(static_cast<std::int64_t>(values.size()),
                       std::count(passed.begin(), passed.end(), true), values.empty() ? 0.0 : *min,
                       values.empty() ? 0.0 : *max, linear, unit, low, high);
}

Capability capability(const store::FigureAggregate& f, std::optional<double> low,
                      std::optional<double> high) {
  return capability_of(f.value.n, f.passed, f.value.min, f.value.max, f.linear, f.unit, low, high);
}

std::string MeasurementKey::label() const {
  std::string s = step_id + " " + channel + " " + name;
  if (!point.empty())
    s += " @ " + record::point_in_words(nlohmann::json::parse(point, nullptr, false));
  return s;
}

void order_by_key(std::vector<MeasurementStats>& measurements) {
  // A point's numbers compare as numbers (JSON values), not as the text of its dump.
  std::vector<std::pair<nlohmann::json, std::size_t>> points;
  for (std::size_t i = 0; i < measurements.size(); ++i)
    points.emplace_back(measurements[i].key.point.empty()
                            ? nlohmann::json::object()
                            : nlohmann::json::parse(measurements[i].key.point, nullptr, false),
                        i);
  std::vector<std::size_t> order(measurements.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& ka = measurements[a].key;
    const auto& kb = measurements[b].key;
    const auto names = std::tie(ka.step_id, ka.channel, ka.name, ka.unit) <=>
                       std::tie(kb.step_id, kb.channel, kb.name, kb.unit);
    if (names != 0) return names < 0;
    return points[a].first < points[b].first;
  });
  std::vector<MeasurementStats> sorted;
  sorted.reserve(measurements.size());
  for (std::size_t i : order) sorted.push_back(std::move(measurements[i]));
  measurements = std::move(sorted);
}

namespace {

MeasurementStats summarise(const MeasurementKey& key, const std::string& station,
                           std::vector<UnitValue> series, std::optional<double> low,
                           std::optional<double> high, const DriftOptions& options) {
  MeasurementStats s;
  s.key = key;
  s.station = station;
  std::vector<double> values, within_limits;
  std::vector<int> unit_of;  // index in the series of each unit within limits
  std::vector<bool> passed;
  for (std::size_t i = 0; i < series.size(); ++i) {
    values.push_back(series[i].value);
    passed.push_back(series[i].passed);
    if (series[i].passed) {
      within_limits.push_back(to_linear(series[i].value, key.unit));
      unit_of.push_back(static_cast<int>(i));
    }
  }
  s.capability = capability(values, passed, key.unit, low, high);
  // Drift is watched on the units within limits: a failing unit is already counted as a
  // failure, and one dead unit (−6 dB, say) must not read as a shift of the process.
  s.drift = ewma_drift(within_limits, key.unit, options);
  if (s.drift.drifting) {
    s.drift.first_out = unit_of[static_cast<std::size_t>(s.drift.first_out)];
    s.drift.first_out_serial = series[static_cast<std::size_t>(s.drift.first_out)].serial;
  }
  s.series = std::move(series);
  return s;
}

StationYield station_yield(const std::string& station,
                           const std::vector<const record::RunRecord*>& runs) {
  StationYield y;
  y.station = station;
  std::map<std::string, std::pair<bool, bool>> units;  // serial → first, last passed
  for (const auto* r : runs) {
    const bool pass = r->verdict == record::Verdict::pass;
    ++y.runs;
    y.passed_runs += pass;
    auto [it, fresh] = units.try_emplace(r->serial, pass, pass);
    if (!fresh) it->second.second = pass;
  }
  y.units = static_cast<int>(units.size());
  if (y.runs > 0) y.run_yield = static_cast<double>(y.passed_runs) / y.runs;
  int first = 0, last = 0;
  for (const auto& [serial, verdicts] : units) {
    first += verdicts.first;
    last += verdicts.second;
  }
  if (y.units > 0) {
    y.first_pass_yield = static_cast<double>(first) / y.units;
    y.final_yield = static_cast<double>(last) / y.units;
  }
  return y;
}

}  // namespace

LineStats line_stats(const std::vector<record::RunRecord>& runs_in,
                     const std::vector<store::MeasurementRow>& rows, const DriftOptions& options) {
  LineStats out;
  std::vector<const record::RunRecord*> runs;
  for (const auto& r : runs_in)
    if (r.verdict != record::Verdict::running) runs.push_back(&r);
  std::stable_sort(runs.begin(), runs.end(), [](const auto* a, const auto* b) {
    return a->started_at != b->started_at ? a->started_at < b->started_at : a->id < b->id;
  });
  std::map<std::string, std::vector<const record::RunRecord*>> by_station;
  std::map<std::pair<std::string, std::string>, DayYield> by_day;
  for (const auto* r : runs) {
    by_station[r->station_name].push_back(r);
    auto& day = by_day[{r->started_at.substr(0, 10), r->station_name}];
    day.day = r->started_at.substr(0, 10);
    day.station = r->station_name;
    ++day.runs;
    day.passed_runs += r->verdict == record::Verdict::pass;
  }
  for (const auto& [station, list] : by_station)
    out.stations.push_back(station_yield(station, list));
  if (by_station.size() > 1) out.stations.push_back(station_yield("", runs));
  for (auto& [key, day] : by_day) {
    day.yield = static_cast<double>(day.passed_runs) / day.runs;
    out.days.push_back(day);
  }

  struct Group {
    std::map<std::string, std::vector<UnitValue>> per_station;
    std::vector<UnitValue> line;
    std::optional<double> low, high;  // the limits in force now: the latest unit's
  };
  std::map<MeasurementKey, Group> groups;
  for (const auto& row : rows) {
    const auto& m = row.measurement;
    if (!std::isfinite(m.value)) continue;
    MeasurementKey key{row.step_id, m.channel, m.name, m.unit,
                       m.point.is_object() && !m.point.empty() ? m.point.dump() : ""};
    auto& g = groups[key];
    const UnitValue u{m.value, m.verdict == record::Verdict::pass, row.serial, row.started_at};
    g.per_station[row.station_name].push_back(u);
    g.line.push_back(u);
    g.low = m.low;
    g.high = m.high;
  }
  for (auto& [key, g] : groups) {
    for (auto& [station, series] : g.per_station)
      out.measurements.push_back(
          summarise(key, station, std::move(series), g.low, g.high, options));
    if (g.per_station.size() > 1)
      out.measurements.push_back(summarise(key, "", std::move(g.line), g.low, g.high, options));
  }
  order_by_key(out.measurements);
  return out;
}

}  // namespace ampbench::stats
