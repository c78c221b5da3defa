#include "store/postgres_store.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <pqxx/pqxx>
#include <stdexcept>

#include "common/error.hpp"
#include "common/postgres_uri.hpp"
#include "store/postgres_rows.hpp"
#include "store/rows.hpp"
#include "store/schema.hpp"

namespace ampbench::store {
namespace {

std::string with_parameter(const std::string& uri, const std::string& key,
                           const std::string& value) {
  if (uri.find(key + "=") != std::string::npos) return uri;
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
}

// Numbers travel as text: %.17g round-trips every double; a NaN is stored as NULL.
std::optional<std::string> optional_number(const std::optional<double>& v) {
  if (!v || std::isnan(*v)) return std::nullopt;
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", *v);
  return b;
}

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<Connection> connection, std::string name)
    : connection_(std::move(connection)), name_(std::move(name)) {}

PostgresStore::~PostgresStore() = default;

std::unique_ptr<PostgresStore> PostgresStore::open(const std::string& uri, Mode mode,
                                                   std::chrono::seconds connect_timeout) {
  const std::string name = redacted_uri(uri);
  std::string options = with_parameter(uri, "connect_timeout",
                                       std::to_string(std::max<long>(1, connect_timeout.count())));
  options = with_parameter(options, "application_name", "ampbench");
  try {
    auto connection = std::make_unique<Connection>(options);
    std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(connection), name));
    pqxx::nontransaction setup(store->connection_->db);
    setup.exec0("SET TIME ZONE 'UTC'");
    setup.commit();
    if (mode == Mode::read_write) {
      store->migrate();
      store->find_steps_sequence();
    } else {
      pqxx::read_transaction t(store->connection_->db);
      const auto exists = t.exec1("SELECT to_regclass('ampbench_schema') IS NOT NULL");
      if (!exists[0].as<bool>())
        throw IoError(name + ": no ampbench results in this database (no ampbench_schema table)");
      const auto version = t.exec1("SELECT max(version) FROM ampbench_schema")[0].as<int>();
      if (version > kSchemaVersion)
        throw IoError(name + ": database schema " + std::to_string(version) +
                      " is newer than this ampbench");
      t.commit();
      // Read, never migrated: what the older schema lacks reads as its default or NULL.
      if (version < kSchemaVersion) store->bridge_missing_columns();
    }
    return store;
  } catch (const pqxx::failure& e) {
    throw IoError(name + ": " + one_line(e));
  }
}

void PostgresStore::bridge_missing_columns() {
  pqxx::nontransaction t(connection_->db);
  for (const Table* table :
       {&kRunsTable, &kStepsTable, &kMeasurementsTable, &kCurvesTable, &kCalibrationsTable,
        &kRunCalibrationsTable, &kSelftestsTable, &kTextsTable}) {
    std::vector<std::string> present;
    for (const auto& row :
         t.exec_params("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                       "'public' AND table_name = $1",
                       std::string(table->name)))
      present.push_back(row[0].as<std::string>());
    if (const auto sql = postgres_bridge_view_sql(*table, present); !sql.empty()) t.exec0(sql);
  }
}

void PostgresStore::migrate() {
  pqxx::work t(connection_->db);
  // Stations starting together: one creates the schema, the others wait and find it.
  t.exec("SELECT pg_advisory_xact_lock(7236110351)");
  t.exec0("CREATE TABLE IF NOT EXISTS ampbench_schema(version integer NOT NULL)");
  const int current = t.exec1("SELECT COALESCE(max(version), 0) FROM ampbench_schema")[0].as<int>();
  if (current > kSchemaVersion)
    throw IoError(name_ + ": database schema " + std::to_string(current) +
                  " is newer than this ampbench (" + std::to_string(kSchemaVersion) + ")");
  if (current < 1) {
    t.exec0(create_results_sql(Dialect::postgres));
  } else {
    // Version 2: why a measurement has no value (or that it is a bound).
    if (current < 2) t.exec0("ALTER TABLE measurements ADD COLUMN note text NOT NULL DEFAULT ''");
    // Version 3: the test slot a run was measured in (SPEC §11).
    if (current < 3) t.exec0("ALTER TABLE runs ADD COLUMN slot text");
    // Version 4: how a report draws each curve (record::CurveStyle).
    if (current < 4)
      t.exec0("ALTER TABLE curves ADD COLUMN style_json jsonb NOT NULL DEFAULT '{}'");
    // Version 5: the interfaces' calibration records and the runs that used them.
    if (current < 5) {
      t.exec0(create_tables_sql({&kCalibrationsTable, &kRunCalibrationsTable}, Dialect::postgres));
      t.exec0(
          "ALTER TABLE measurements ADD COLUMN uncertainty double precision, ADD COLUMN "
          "coverage_k double precision, ADD COLUMN flags text NOT NULL DEFAULT ''");
    }
    // Version 6: the bench's self-tests.
    if (current < 6) t.exec0(create_tables_sql({&kSelftestsTable}, Dialect::postgres));
    // Version 7: how long each run held its bench, and its limits file.
    if (current < 7)
      t.exec0(
          "ALTER TABLE runs ADD COLUMN stimulus_s double precision, ADD COLUMN unit_s double "
          "precision, ADD COLUMN analysis_s double precision, ADD COLUMN transfers integer, "
          "ADD COLUMN limits_sha256 text, ADD COLUMN limits_text text");
    // Version 8: texts once per content; measurements and curves name their run (indexed),
    // so that they can be partitioned by it (docs/line.md).
    if (current < 8) {
      t.exec0(create_tables_sql({&kTextsTable}, Dialect::postgres));
      t.exec0(
          "ALTER TABLE runs ADD COLUMN station_sha256 text;\n"
          "ALTER TABLE measurements ADD COLUMN run_id bigint;\n"
          "ALTER TABLE curves ADD COLUMN run_id bigint;\n"
          "UPDATE measurements m SET run_id = s.run_id FROM steps s WHERE s.id = m.step_id;\n"
          "UPDATE curves c SET run_id = s.run_id FROM steps s WHERE s.id = c.step_id;\n"
          "CREATE INDEX measurements_run ON measurements(run_id);\n"
          "CREATE INDEX curves_run ON curves(run_id);");
    }
    // Version 9: every run filter reaches the runs by an index.
    if (current < 9) t.exec0(create_indexes_sql(kRunFilterIndexes));
  }
  if (current < kSchemaVersion) {
    t.exec0("DELETE FROM ampbench_schema");
    t.exec0("INSERT INTO ampbench_schema(version) VALUES(" + std::to_string(kSchemaVersion) + ")");
  }
  t.commit();
}

// The identity sequence behind steps.id: a run's measurements and curves name their step
// by its currval (append_step_sql).
void PostgresStore::find_steps_sequence() {
  auto& db = connection_->db;
  pqxx::nontransaction t(db);
  steps_sequence_ = t.exec1("SELECT pg_get_serial_sequence('steps', 'id')")[0].as<std::string>();
}

namespace {

// A value as an SQL literal: text escaped by libpq for this connection, NULL for none.
// VALUES in an INSERT take their columns' types, so no casts are needed.
class Literals {
 public:
  explicit Literals(const pqxx::transaction_base& t) : t_(t) {}
  std::string text(const std::string& s) const { return t_.quote(s); }
  std::string text_or_null(const std::string& s) const { return s.empty() ? "NULL" : text(s); }
  std::string number(const std::optional<double>& v) const {
    const auto n = optional_number(v);
    return n ? "'" + *n + "'" : "NULL";
  }
  std::string bytes(const std::vector<double>& v) const {
    return t_.quote_raw(reinterpret_cast<const unsigned char*>(v.data()),
                        v.size() * sizeof(double));
  }
  std::string value(const SqlValue& v) const {
    if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
    if (const auto* d = std::get_if<double>(&v)) return number(*d);
    if (const auto* t = std::get_if<std::string>(&v)) return text(*t);
    if (const auto* a = std::get_if<const std::vector<double>*>(&v)) return bytes(**a);
    return "NULL";
  }
  // "(first, v1, v2, …)", or "(v1, v2, …)" without a first: a row of VALUES.
  std::string row(const std::string& first, const std::vector<SqlValue>& values) const {
    std::string out = "(" + first;
    for (const auto& v : values) out += (out.size() > 1 ? "," : "") + value(v);
    return out + ")";
  }

 private:
  const pqxx::transaction_base& t_;
};

// "INSERT INTO table(leading, columns both stores write) VALUES".
std::string insert_head(const Table& table, std::string_view leading) {
  std::string sql = "INSERT INTO " + std::string(table.name) + "(" + std::string(leading);
  for (auto column : record_columns(table))
    sql += (sql.back() == '(' ? "" : ", ") + std::string(column);
  return sql + ") VALUES";
}

// A step's row and all its measurements and curves as statements sent together: the run
// costs a few round trips, not one per row. The step's id comes from its own sequence,
// which only this session advances between the statements.
void append_step_sql(std::string& sql, const Literals& q, std::int64_t run_id,
                     const record::StepRecord& step, const std::string& step_id_sql) {
  static const std::string steps = insert_head(kStepsTable, "run_id");
  static const std::string measurements = insert_head(kMeasurementsTable, "step_id, run_id");
  static const std::string curves = insert_head(kCurvesTable, "step_id, run_id");
  sql += steps + q.row(std::to_string(run_id), step_values(step)) + ";\n";
  const std::string parents = step_id_sql + ", " + std::to_string(run_id);
  const std::string* separator = &measurements;
  const std::string comma = ",";
  for (const auto& m : step.measurements) {
    sql += *separator + q.row(parents, measurement_values(m));
    separator = &comma;
  }
  if (!step.measurements.empty()) sql += ";\n";
  separator = &curves;
  for (const auto& c : step.curves) {
    sql += *separator + q.row(parents, curve_values(c));
    separator = &comma;
  }
  if (!step.curves.empty()) sql += ";\n";
}

// Whether a refusal is the run's own: a data exception (SQLSTATE class 22) or an integrity
// violation (23). Anything else on a live connection — a privilege (42501), a missing
// table or column, a read-only or full server — every run would meet. libpqxx 6 leaves
// sqlstate() empty for most errors, so its exception classes say it.
bool refusal_is_the_runs(const pqxx::sql_error& e) {
  if (dynamic_cast<const pqxx::data_exception*>(&e) ||
      dynamic_cast<const pqxx::integrity_constraint_violation*>(&e))
    return true;
  const std::string sqlclass = e.sqlstate().substr(0, 2);
  return sqlclass == "22" || sqlclass == "23";
}

}  // namespace

bool PostgresStore::insert_run(const record::RunRecord& run,
                               const std::vector<record::CalibrationRecord>& calibrations,
                               const std::optional<nlohmann::json>& selftest) {
  try {
    pqxx::work t(connection_->db);
    const Literals q(t);
    // The records the run's volts came from, once each however many runs used them.
    static const std::string calibration_rows = insert_head(kCalibrationsTable, "");
    for (const auto& c : calibrations)
      t.exec0(calibration_rows + q.row("", calibration_values(c)) +
              " ON CONFLICT (uuid) DO NOTHING");
    // Likewise the bench's self-test its at_analyzer_limit flags came from.
    static const std::string selftest_rows = insert_head(kSelftestsTable, "");
    if (selftest)
      t.exec0(selftest_rows + q.row("", selftest_values(*selftest)) +
              " ON CONFLICT (uuid) DO NOTHING");
    std::string texts;
    for (const auto& [sha256, text] : run_texts(run))
      texts += "INSERT INTO texts(sha256, text) VALUES(" + q.text(sha256) + ", " + q.text(text) +
               ") ON CONFLICT (sha256) DO NOTHING;\n";
    if (!texts.empty()) t.exec0(texts);
    static const std::string runs = insert_head(kRunsTable, "station_run_id");
    const auto inserted = t.exec(runs + q.row(std::to_string(run.id), stored_run_values(run)) +
                                 " ON CONFLICT (uuid) DO NOTHING RETURNING id");
    if (inserted.empty()) return false;
    const auto run_id = inserted[0][0].as<std::int64_t>();
    const std::string step_id_sql = "currval(" + q.text(steps_sequence_) + ")";
    std::string sql;
    for (const auto& step : run.steps) append_step_sql(sql, q, run_id, step, step_id_sql);
    for (const auto& uuid : run.calibration_uuids)
      sql += "INSERT INTO run_calibrations(run_id, calibration_id) SELECT " +
             std::to_string(run_id) + ", id FROM calibrations WHERE uuid = " + q.text(uuid) + ";\n";
    if (!sql.empty()) t.exec0(sql);
    t.commit();
    return true;
  } catch (const std::invalid_argument& e) {
    // libpq would not quote a value for the connection's encoding (text that is not
    // UTF-8): the run's content, before anything reached the server.
    throw RunRejected(name_ + ": run " + run.uuid +
                      " refused: a value is not valid text for the server (" + one_line(e) + ")");
  } catch (const pqxx::sql_error& e) {
    // The statement failed on a live connection: the server refused this run's content,
    // or any run.
    if (connection_->db.is_open()) {
      if (refusal_is_the_runs(e))
        throw RunRejected(name_ + ": run " + run.uuid + " refused: " + one_line(e));
      throw TargetRefused(name_ + " refuses every run: " + one_line(e) + "; runs stay queued");
    }
    throw IoError(name_ + ": run " + run.uuid +
                  " not stored: the connection to the server was lost");
  } catch (const pqxx::failure& e) {
    // libpqxx words a server that went away mid-run as a failure to read the encoding.
    const std::string why =
        connection_->db.is_open() ? one_line(e) : "the connection to the server was lost";
    throw IoError(name_ + ": run " + run.uuid + " not stored: " + why);
  }
}

std::vector<record::RunRecord> PostgresStore::list_runs(const RunFilter& f) const {
  return guarded(name_, [&] {
    const auto limit = f.limit > 0 ? std::optional(std::to_string(f.limit)) : std::nullopt;
    pqxx::read_transaction t(connection_->db);
    const auto rows =
        exec_filtered(t,
                      "SELECT " + read_columns(kRunsTable, Dialect::postgres, "r", true) +
                          " FROM runs r WHERE " + run_filter_sql(Dialect::postgres, "r") +
                          " ORDER BY started_at DESC, id DESC LIMIT $9::bigint",
                      f, nullable(limit));
    std::vector<record::RunRecord> out;
    for (const auto& r : rows) out.push_back(run_from(PgRow{r}));
    return out;
  });
}

record::RunRecord PostgresStore::load_run(const std::string& key) const {
  return guarded(name_, [&] {
    pqxx::read_transaction t(connection_->db);
    const auto runs = t.exec_params(
        "SELECT " + read_columns(kRunsTable, Dialect::postgres, {}, true) +
            " FROM runs WHERE id::text = $1 OR uuid::text = $1 OR (length($1) >= 8 AND "
            "left(uuid::text, length($1)) = $1) ORDER BY (id::text = $1) DESC LIMIT 6",
        key);
    if (runs.empty()) throw InputError(name_, "no run '" + key + "' in this database");
    record::RunRecord run = run_from(PgRow{runs[0]});
    if (std::to_string(run.id) != key && run.uuid != key && runs.size() > 1) {
      std::vector<record::RunRecord> candidates;
      for (const auto& r : runs) candidates.push_back(run_from(PgRow{r}));
      throw InputError(name_, ambiguous_run_prefix(key, candidates));
    }
    const auto steps =
        t.exec_params("SELECT " + read_columns(kStepsTable, Dialect::postgres, {}, true) +
                          " FROM steps WHERE run_id = $1 ORDER BY ordinal, id",
                      run.id);
    for (const auto& r : steps) run.steps.push_back(step_from(PgRow{r}));
    const auto measurements = t.exec_params(
        "SELECT m.step_id, " + read_columns(kMeasurementsTable, Dialect::postgres, "m") +
            " FROM measurements m JOIN steps s ON s.id = m.step_id WHERE s.run_id = $1 ORDER BY "
            "m.id",
        run.id);
    const auto curves = t.exec_params(
        "SELECT c.step_id, " + read_columns(kCurvesTable, Dialect::postgres, "c") +
            " FROM curves c JOIN steps s ON s.id = c.step_id WHERE s.run_id = $1 ORDER BY c.id",
        run.id);
    const auto step_of = [&](std::int64_t id) -> record::StepRecord& {
      for (auto& s : run.steps)
        if (s.id == id) return s;
      throw IoError(name_ + ": measurement of a missing step");
    };
    for (const auto& r : measurements)
      step_of(r[0].as<std::int64_t>()).measurements.push_back(measurement_from(PgRow{r}, 1));
    for (const auto& r : curves)
      step_of(r[0].as<std::int64_t>()).curves.push_back(curve_from(PgRow{r}, 1));
    for (const auto& r :
         t.exec_params("SELECT c.uuid::text FROM run_calibrations rc JOIN calibrations c ON c.id = "
                       "rc.calibration_id WHERE rc.run_id = $1 ORDER BY c.direction, c.channel",
                       run.id))
      run.calibration_uuids.push_back(r[0].as<std::string>());
    return run;
  });
}

std::vector<MeasurementRow> PostgresStore::measurement_rows(const RunFilter& f) const {
  return guarded(name_, [&] {
    pqxx::read_transaction t(connection_->db);
    const auto rows = exec_filtered(
        t,
        "SELECT r.uuid::text, r.station_name, r.line, r.serial, r.sequence_name, "
        "to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
        "r.verdict, s.step_id, " +
            read_columns(kMeasurementsTable, Dialect::postgres, "m") +
            " FROM runs r JOIN steps s ON s.run_id = r.id JOIN measurements m ON m.step_id = "
            "s.id WHERE r.verdict <> 'RUNNING' AND " +
            run_filter_sql(Dialect::postgres, "r") +
            " ORDER BY r.started_at, r.id, s.ordinal, m.id",
        f);
    std::vector<MeasurementRow> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(measurement_row_from(PgRow{r}));
    return out;
  });
}

}  // namespace ampbench::store
