// Line statistics from a store's aggregates (line_stats.hpp): the yields from its run
// tallies, each figure's capability from its moments, and the drift check from the moments
// of the units within limits and the last `window` of them, read newest first until every
// watched figure has its window, every figure its latest limits and, when charts are
// asked for, its newest units.
#include <algorithm>
#include <cmath>
#include <map>

#include "stats/line_stats.hpp"

namespace ampbench::stats {
namespace {

StationYield yield_of(const store::RunTally& t) {
  StationYield y;
  y.station = t.station;
  y.runs = static_cast<int>(t.runs);
  y.passed_runs = static_cast<int>(t.passed_runs);
  y.units = static_cast<int>(t.units);
  if (t.runs > 0) y.run_yield = static_cast<double>(t.passed_runs) / static_cast<double>(t.runs);
  if (t.units > 0) {
    y.first_pass_yield = static_cast<double>(t.first_passed) / static_cast<double>(t.units);
    y.final_yield = static_cast<double>(t.last_passed) / static_cast<double>(t.units);
  }
  return y;
}

std::string point_key(const nlohmann::json& point) {
  return point.is_object() && !point.empty() ? point.dump() : "";
}

// One figure at one station ("": the line), and the newest of its units within limits.
struct Group {
  store::FigureAggregate figure;
  bool watched = false;   // enough units within limits for the drift check
  std::int64_t seen = 0;  // its units read so far, newest first
  struct Recent {
    double linear;
    std::int64_t from_newest;  // units of the figure after it
    std::string serial;
  };
  std::vector<Recent> recent;     // newest first
  std::vector<UnitValue> newest;  // for the charts, newest first
};

struct Figure {
  std::map<std::string, Group> groups;             // by station, "" for the line
  std::optional<std::optional<double>> low, high;  // the latest unit's limits, once read
};

// Reads newest first until each watched group has its window, each figure its limits and
// each group its `newest_units` (or all it has).
void read_recent(const store::ResultsReader& store, const store::RunFilter& filter,
                 std::map<MeasurementKey, Figure>& figures, std::size_t window, bool line,
                 std::size_t newest_units) {
  const auto charted = [&](const Group& g) {
    return std::min<std::int64_t>(static_cast<std::int64_t>(newest_units), g.figure.value.n);
  };
  std::size_t pending = figures.size();
  for (const auto& [key, figure] : figures)
    for (const auto& [station, g] : figure.groups) pending += g.watched + (charted(g) > 0);
  if (pending == 0) return;
  store.visit_newest_measurements(filter, [&](const store::MeasurementRow& row) {
    const auto& m = row.measurement;
    if (!std::isfinite(m.value)) return true;
    const auto at =
        figures.find(MeasurementKey{row.step_id, m.channel, m.name, m.unit, point_key(m.point)});
    if (at == figures.end()) return true;
    Figure& figure = at->second;
    if (!figure.low) {
      figure.low = m.low;
      figure.high = m.high;
      --pending;
    }
    for (const std::string& station : {row.station_name, std::string()}) {
      if (station.empty() && !line) continue;
      const auto g = figure.groups.find(station);
      if (g == figure.groups.end()) continue;
      Group& group = g->second;
      const std::int64_t from_newest = group.seen++;
      const bool pass = m.verdict == record::Verdict::pass;
      if (from_newest < charted(group)) {
        group.newest.push_back({m.value, pass, row.serial, row.started_at});
        if (from_newest + 1 == charted(group)) --pending;
      }
      if (!group.watched || group.recent.size() >= window || !pass) continue;
      group.recent.push_back({to_linear(m.value, m.unit), from_newest, row.serial});
      if (group.recent.size() == window) --pending;
    }
    return pending > 0;
  });
}

MeasurementStats summary(const MeasurementKey& key, const std::string& station, const Group& g,
                         const Figure& figure, const DriftOptions& options) {
  MeasurementStats s;
  s.key = key;
  s.station = station;
  const auto low = figure.low ? *figure.low : std::nullopt;
  const auto high = figure.high ? *figure.high : std::nullopt;
  s.capability = capability(g.figure, low, high);
  std::vector<double> window;
  store::Moments last;
  for (auto it = g.recent.rbegin(); it != g.recent.rend(); ++it) {
    window.push_back(it->linear);
    last.add(it->linear);
  }
  s.drift = ewma_drift(g.figure.passed_linear.without(last), window, key.unit, options);
  s.series.assign(g.newest.rbegin(), g.newest.rend());
  s.series_from = g.figure.value.n - static_cast<std::int64_t>(s.series.size());
  if (s.drift.drifting) {
    // The window runs oldest first; `recent` newest first.
    const auto& unit = g.recent[g.recent.size() - 1 - static_cast<std::size_t>(s.drift.first_out)];
    s.drift.first_out = static_cast<int>(g.figure.value.n - 1 - unit.from_newest);
    s.drift.first_out_serial = unit.serial;
  }
  return s;
}

}  // namespace

LineStats line_stats(const store::ResultsReader& store, const store::RunFilter& filter,
                     const DriftOptions& options, std::size_t newest_units) {
  LineStats out;
  for (const auto& t : store.run_tallies(filter, false)) out.stations.push_back(yield_of(t));
  const bool line = out.stations.size() > 1;
  if (line)
    for (const auto& t : store.run_tallies(filter, true)) out.stations.push_back(yield_of(t));
  for (const auto& t : store.day_tallies(filter)) {
    DayYield d{t.day, t.station, static_cast<int>(t.runs), static_cast<int>(t.passed_runs), 0.0};
    if (t.runs > 0) d.yield = static_cast<double>(t.passed_runs) / static_cast<double>(t.runs);
    out.days.push_back(d);
  }

  const auto window = static_cast<std::size_t>(std::max(1, options.window));
  const auto watched = [&](const store::FigureAggregate& f) {
    return f.passed_linear.n >= static_cast<std::int64_t>(window) + options.min_baseline;
  };
  std::map<MeasurementKey, Figure> figures;
  for (auto& a : store.figure_aggregates(filter, {})) {
    const MeasurementKey key{a.step_id, a.channel, a.name, a.unit,
                             point_key(nlohmann::json::parse(a.point_json, nullptr, false))};
    Figure& figure = figures[key];
    if (line) {
      Group& whole = figure.groups[""];
      if (whole.figure.value.n == 0) whole.figure.unit = a.unit;
      whole.figure.merge(a);
    }
    Group& g = figure.groups[a.station];
    g.watched = watched(a);
    g.figure = std::move(a);
  }
  // The line's figure is shown where more than one station measured it.
  for (auto& [key, figure] : figures)
    if (const auto whole = figure.groups.find(""); whole != figure.groups.end()) {
      if (figure.groups.size() > 2)
        whole->second.watched = watched(whole->second.figure);
      else
        figure.groups.erase(whole);
    }
  read_recent(store, filter, figures, window, line, newest_units);

  for (const auto& [key, figure] : figures) {
    for (const auto& [station, g] : figure.groups)
      if (!station.empty()) out.measurements.push_back(summary(key, station, g, figure, options));
    if (const auto whole = figure.groups.find(""); whole != figure.groups.end())
      out.measurements.push_back(summary(key, "", whole->second, figure, options));
  }
  order_by_key(out.measurements);
  return out;
}

}  // namespace ampbench::stats
