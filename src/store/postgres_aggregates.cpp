// The PostgreSQL store's reads for line statistics (results_reader.hpp): figures aggregated
// by the server; rows that must be read one by one come through a cursor, a batch at a
// time, so that neither side holds them all.
#include "store/postgres_rows.hpp"
#include "store/schema.hpp"

namespace ampbench::store {
namespace {

const std::string kJoin =
    " FROM runs r JOIN steps s ON s.run_id = r.id JOIN measurements m ON m.step_id = s.id WHERE "
    "r.verdict <> 'RUNNING' AND ";

// A dB figure's amplitude ratio, as to_linear.
const std::string kLinear =
    "(CASE WHEN m.unit LIKE 'dB%' THEN power(10::float8, m.value / 20) ELSE m.value END)";
const std::string kPassed = " FILTER (WHERE m.verdict = 'PASS')";

// Each aggregate costs, and so does each evaluation of kLinear (6.4 M rows on two cores: 17
// aggregates, 6.3 s; 11, 4.2 s; 9 with kLinear evaluated twice a row, 3.7 s; COUNT(*) alone
// 2.7 s). AVG and var_pop of one expression share their state in the server, the rows of
// the value and of its ratio are the same rows, so one COUNT serves both; read back by
// moments_at.
const std::string kFigureAggregates =
    "COUNT(*), AVG(m.value), var_pop(m.value), MIN(m.value), MAX(m.value), AVG(" + kLinear +
    "), var_pop(" + kLinear + "), COUNT(*)" + kPassed + ", AVG(" + kLinear + ")" + kPassed +
    ", var_pop(" + kLinear + ")" + kPassed +
    ", bool_or(m.low IS NOT NULL), bool_or(m.high IS NOT NULL)";

// Moments from a count at column `n` and AVG, var_pop at `c`, `c + 1` (MIN, MAX after them
// if `extremes`).
Moments moments_at(const pqxx::row& row, int n, int c, bool extremes) {
  Moments m;
  m.n = row[n].as<std::int64_t>();
  if (m.n == 0) return m;
  m.mean = row[c].as<double>();
  m.m2 = row[c + 1].is_null() ? 0.0 : row[c + 1].as<double>() * static_cast<double>(m.n);
  if (extremes) {
    m.min = row[c + 2].as<double>();
    m.max = row[c + 3].as<double>();
  }
  return m;
}

// Runs `query` (which takes the filter's parameters) as a cursor and hands its rows to
// `visit` a batch at a time until it returns false.
template <typename Visit>
void fetch_each(pqxx::connection& db, const std::string& query, const RunFilter& f, int batch,
                Visit&& visit) {
  pqxx::work t(db);
  exec_filtered(t, "DECLARE rows_newest NO SCROLL CURSOR FOR " + query, f);
  for (;;) {
    const auto rows = t.exec("FETCH " + std::to_string(batch) + " FROM rows_newest");
    if (rows.empty()) return;
    for (const auto& r : rows)
      if (!visit(r)) return;
  }
}

}  // namespace

std::vector<FigureAggregate> PostgresStore::figure_aggregates(
    const RunFilter& f, const std::set<std::string>& steps) const {
  return guarded(name_, [&] {
    pqxx::read_transaction t(connection_->db);
    // Measured over 6.4 M measurements on two cores: compiling the plan (JIT, which its
    // cost estimate asks for) took 2.1 s of 6.3, and the default 4 MB of hash table sent
    // the steps' join to disk in eight batches.
    t.exec0("SET LOCAL jit = off");
    t.exec0("SET LOCAL work_mem = '64MB'");
    const auto rows = exec_filtered(
        t,
        "SELECT r.station_name, s.step_id, m.channel, m.name, m.unit, m.point_json::text, " +
            kFigureAggregates + kJoin + run_filter_sql(Dialect::postgres, "r") +
            steps_in_sql(steps) +
            " AND m.value IS NOT NULL AND m.value NOT IN ('NaN', 'Infinity', '-Infinity') "
            "GROUP BY r.station_name, s.step_id, m.channel, m.name, m.unit, m.point_json",
        f);
    std::vector<FigureAggregate> out;
    for (const auto& r : rows) {
      FigureAggregate a = figure_named_by(PgRow{r});
      a.value = moments_at(r, 6, 7, true);
      a.linear = moments_at(r, 6, 11, false);
      a.passed_linear = moments_at(r, 13, 14, false);
      a.passed = a.passed_linear.n;
      a.low = r[16].as<bool>();
      a.high = r[17].as<bool>();
      out.push_back(std::move(a));
    }
    return out;
  });
}

std::vector<RunTally> PostgresStore::run_tallies(const RunFilter& f, bool whole_line) const {
  return guarded(name_, [&] {
    pqxx::read_transaction t(connection_->db);
    const auto rows =
        exec_filtered(t, run_tally_sql(run_filter_sql(Dialect::postgres, "r"), whole_line), f);
    std::vector<RunTally> out;
    for (const auto& r : rows)
      out.push_back({r[0].as<std::string>(), r[1].as<std::int64_t>(), r[2].as<std::int64_t>(),
                     r[3].as<std::int64_t>(), r[4].as<std::int64_t>(), r[5].as<std::int64_t>()});
    return out;
  });
}

std::vector<DayTally> PostgresStore::day_tallies(const RunFilter& f) const {
  return guarded(name_, [&] {
    pqxx::read_transaction t(connection_->db);
    const auto rows =
        exec_filtered(t,
                      day_tally_sql(run_filter_sql(Dialect::postgres, "r"),
                                    "to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
                      f);
    std::vector<DayTally> out;
    for (const auto& r : rows)
      out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::int64_t>(),
                     r[3].as<std::int64_t>()});
    return out;
  });
}

std::vector<std::string> PostgresStore::slot_names(const RunFilter& f) const {
  return guarded(name_, [&] {
    pqxx::read_transaction t(connection_->db);
    const auto rows = exec_filtered(t, slot_names_sql(run_filter_sql(Dialect::postgres, "r")), f);
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r[0].as<std::string>());
    return out;
  });
}

void PostgresStore::visit_newest_measurements(
    const RunFilter& f, const std::function<bool(const MeasurementRow&)>& visit) const {
  guarded(name_, [&] {
    fetch_each(connection_->db,
               "SELECT r.uuid::text, r.station_name, r.line, r.serial, r.sequence_name, "
               "to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
               "r.verdict, s.step_id, " +
                   read_columns(kMeasurementsTable, Dialect::postgres, "m") + kJoin +
                   run_filter_sql(Dialect::postgres, "r") +
                   " ORDER BY r.started_at DESC, r.id DESC",
               f, 5000, [&](const pqxx::row& r) { return visit(measurement_row_from(PgRow{r})); });
  });
}

void PostgresStore::visit_curves(
    const RunFilter& f, const std::set<std::string>& steps,
    const std::function<void(const std::string&, const record::CurveRecord&)>& visit) const {
  guarded(name_, [&] {
    fetch_each(connection_->db,
               "SELECT s.step_id, " + read_columns(kCurvesTable, Dialect::postgres, "c") +
                   " FROM runs r JOIN steps s ON s.run_id = r.id JOIN curves c ON c.step_id = "
                   "s.id WHERE r.verdict <> 'RUNNING' AND " +
                   run_filter_sql(Dialect::postgres, "r") + steps_in_sql(steps),
               f, 500, [&](const pqxx::row& r) {
                 visit(r[0].as<std::string>(), curve_from(PgRow{r}, 1));
                 return true;
               });
  });
}

}  // namespace ampbench::store
