// The SQLite store's reads for line statistics (results_reader.hpp): rows streamed, never
// held; figures gathered here rather than by GROUP BY (line_aggregates.hpp says why).
#include <algorithm>
#include <cmath>
#include <future>
#include <thread>
#include <unordered_map>

#include "store/result_store.hpp"
#include "store/schema.hpp"
#include "store/sqlite_statement.hpp"

namespace ampbench::store {
namespace {

// Runs first through the filter's index, then each run's steps and rows by theirs (see
// measurement_rows).
std::string joined(const std::string& table, const std::string& alias, const RunFilter& f) {
  return " FROM runs r CROSS JOIN steps s ON s.run_id = r.id CROSS JOIN " + table + " " + alias +
         " ON " + alias + ".step_id = s.id WHERE r.verdict <> 'RUNNING' AND " +
         run_filter_sql(Dialect::sqlite, "r", filter_present(f));
}

}  // namespace

std::vector<FigureAggregate> ResultStore::figure_aggregates(
    const RunFilter& f, const std::set<std::string>& steps) const {
  // Each core reads a share of the runs on a connection of its own: the scan is the cost
  // (3–4 s a core for 6.4 M measurements), and read transactions do not block each other.
  const unsigned parts = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  std::vector<std::future<std::vector<FigureAggregate>>> others;
  for (unsigned part = 1; part < parts; ++part)
    others.push_back(std::async(std::launch::async, [this, &f, &steps, part, parts] {
      return open(path_, Mode::read_only)->figure_part(f, steps, part, parts);
    }));
  std::vector<FigureAggregate> out = figure_part(f, steps, 0, parts);
  std::unordered_map<std::string, std::size_t> index;
  const auto key_of = [](const FigureAggregate& a) {
    return a.station + '\x1f' + a.step_id + '\x1f' + a.channel + '\x1f' + a.name + '\x1f' + a.unit +
           '\x1f' + a.point_json;
  };
  for (std::size_t i = 0; i < out.size(); ++i) index.emplace(key_of(out[i]), i);
  for (auto& other : others)
    for (auto& a : other.get()) {
      const auto [at, added] = index.try_emplace(key_of(a), out.size());
      if (added)
        out.push_back(std::move(a));
      else
        out[at->second].merge(a);
    }
  return out;
}

std::vector<FigureAggregate> ResultStore::figure_part(const RunFilter& f,
                                                      const std::set<std::string>& steps,
                                                      unsigned part, unsigned parts) const {
  const std::string sql =
      "SELECT r.station_name, s.step_id, m.channel, m.name, m.unit, m.point_json, m.value, "
      "m.verdict = 'PASS', m.low IS NOT NULL, m.high IS NOT NULL" +
      joined("measurements", "m", f) + steps_in_sql(steps) +
      " AND m.value IS NOT NULL AND r.id % " + std::to_string(parts) + " = " + std::to_string(part);
  Statement q(db_, sql.c_str());
  bind_filter(q, f);
  std::vector<FigureAggregate> out;
  std::unordered_map<std::string, std::size_t> index;
  std::string key;
  while (q.step()) {
    const double value = *q.real(6);
    if (!std::isfinite(value)) continue;
    key.clear();
    for (int c = 0; c < 6; ++c) (key += q.view(c)) += '\x1f';
    auto [at, added] = index.try_emplace(key, out.size());
    if (added) out.push_back(figure_named_by(q));
    out[at->second].add(value, q.integer(7) != 0, q.integer(8) != 0, q.integer(9) != 0);
  }
  return out;
}

std::vector<RunTally> ResultStore::run_tallies(const RunFilter& f, bool whole_line) const {
  Statement q(
      db_,
      run_tally_sql(run_filter_sql(Dialect::sqlite, "r", filter_present(f)), whole_line).c_str());
  bind_filter(q, f);
  std::vector<RunTally> out;
  while (q.step())
    out.push_back(
        {q.text(0), q.integer(1), q.integer(2), q.integer(3), q.integer(4), q.integer(5)});
  return out;
}

std::vector<DayTally> ResultStore::day_tallies(const RunFilter& f) const {
  Statement q(db_, day_tally_sql(run_filter_sql(Dialect::sqlite, "r", filter_present(f)),
                                 "substr(r.started_at, 1, 10)")
                       .c_str());
  bind_filter(q, f);
  std::vector<DayTally> out;
  while (q.step()) out.push_back({q.text(0), q.text(1), q.integer(2), q.integer(3)});
  return out;
}

std::vector<std::string> ResultStore::slot_names(const RunFilter& f) const {
  Statement q(db_, slot_names_sql(run_filter_sql(Dialect::sqlite, "r", filter_present(f))).c_str());
  bind_filter(q, f);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

void ResultStore::visit_newest_measurements(
    const RunFilter& f, const std::function<bool(const MeasurementRow&)>& visit) const {
  // Only the runs' order is asked for: SQLite walks the runs' index backwards and stops
  // when the reader does, however many runs there are.
  const std::string sql =
      "SELECT r.uuid, r.station_name, r.line, r.serial, r.sequence_name, r.started_at, "
      "r.verdict, s.step_id, " +
      read_columns(kMeasurementsTable, Dialect::sqlite, "m") + joined("measurements", "m", f) +
      " ORDER BY r.started_at DESC, r.id DESC";
  Statement q(db_, sql.c_str());
  bind_filter(q, f);
  while (q.step())
    if (!visit(measurement_row_from(q))) return;
}

void ResultStore::visit_curves(
    const RunFilter& f, const std::set<std::string>& steps,
    const std::function<void(const std::string&, const record::CurveRecord&)>& visit) const {
  const std::string sql = "SELECT s.step_id, " + read_columns(kCurvesTable, Dialect::sqlite, "c") +
                          joined("curves", "c", f) + steps_in_sql(steps);
  Statement q(db_, sql.c_str());
  bind_filter(q, f);
  while (q.step()) visit(q.text(0), curve_from(q, 1));
}

}  // namespace ampbench::store
