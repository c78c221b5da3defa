#include "store/postgres_store.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <pqxx/pqxx>

#include "common/error.hpp"
#include "common/postgres_uri.hpp"

namespace ampbench::store {
namespace {

std::string with_parameter(const std::string& uri, const std::string& key,
                           const std::string& value) {
  if (uri.find(key + "=") != std::string::npos) return uri;
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
}

const char* nullable(const std::optional<std::string>& s) {
  return s ? s->c_str() : nullptr;
}

// Numbers travel as text: %.17g round-trips every double; a NaN is stored as NULL.
std::optional<std::string> optional_number(const std::optional<double>& v) {
  if (!v || std::isnan(*v)) return std::nullopt;
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", *v);
  return b;
}

std::vector<double> float64_array(const pqxx::field& f) {
  const pqxx::binarystring bytes(f);
  std::vector<double> out(bytes.size() / sizeof(double));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(double));
  return out;
}

constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE runs(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  uuid uuid UNIQUE NOT NULL,
  sequence_name text NOT NULL,
  sequence_sha256 text NOT NULL,
  sequence_text text NOT NULL,
  station_name text NOT NULL,
  line text NOT NULL,
  station_text text NOT NULL,
  serial text NOT NULL,
  operator text NOT NULL,
  software_version text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  verdict text NOT NULL,
  station_run_id bigint NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE steps(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ordinal integer NOT NULL,
  step_id text NOT NULL,
  kind text NOT NULL,
  params_json jsonb NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  verdict text NOT NULL,
  message text NOT NULL DEFAULT '');
CREATE TABLE measurements(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  step_id bigint NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
  channel text NOT NULL,
  name text NOT NULL,
  value double precision,
  unit text NOT NULL,
  low double precision,
  high double precision,
  verdict text NOT NULL,
  point_json jsonb NOT NULL);
CREATE TABLE curves(
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  step_id bigint NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
  channel text NOT NULL,
  name text NOT NULL,
  x_unit text NOT NULL,
  y_unit text NOT NULL,
  x bytea NOT NULL,
  y bytea NOT NULL,
  point_json jsonb NOT NULL);
CREATE INDEX runs_serial ON runs(serial);
CREATE INDEX runs_started ON runs(started_at);
CREATE INDEX runs_station ON runs(station_name, started_at);
CREATE INDEX steps_run ON steps(run_id);
CREATE INDEX measurements_step ON measurements(step_id);
CREATE INDEX curves_step ON curves(step_id);
)sql";

// Times read back in the format the SQLite store writes.
std::string iso(const char* column) {
  return std::string("to_char(") + column +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

const std::string kRunColumns =
    "id, uuid::text, sequence_name, sequence_sha256, sequence_text, station_name, station_text, "
    "serial, operator, software_version, " +
    iso("started_at") + ", COALESCE(" + iso("finished_at") + ", ''), verdict, line";

// The filter's conditions on runs r, parameters $1…$7.
constexpr const char* kRunFilter =
    "($1::text IS NULL OR r.serial LIKE $1) AND ($2::text IS NULL OR r.verdict = $2) AND "
    "($3::timestamptz IS NULL OR r.started_at >= $3::timestamptz) AND "
    "($4::timestamptz IS NULL OR r.started_at < $4::timestamptz) AND "
    "($5::text IS NULL OR r.station_name = $5) AND ($6::text IS NULL OR r.line = $6) AND "
    "($7::text IS NULL OR r.sequence_name = $7)";

struct FilterParams {
  std::optional<std::string> serial, verdict, since, until, station, line, sequence;
  explicit FilterParams(const RunFilter& f)
      : serial(f.serial ? std::optional(glob_to_like(*f.serial)) : std::nullopt),
        verdict(f.verdict ? std::optional(std::string(record::verdict_name(*f.verdict)))
                          : std::nullopt),
        since(f.since),
        until(f.until),
        station(f.station),
        line(f.line),
        sequence(f.sequence) {}
};

record::RunRecord run_from(const pqxx::row& r) {
  record::RunRecord run;
  run.id = r[0].as<std::int64_t>();
  run.uuid = r[1].as<std::string>();
  run.sequence_name = r[2].as<std::string>();
  run.sequence_sha256 = r[3].as<std::string>();
  run.sequence_text = r[4].as<std::string>();
  run.station_name = r[5].as<std::string>();
  run.station_text = r[6].as<std::string>();
  run.serial = r[7].as<std::string>();
  run.operator_name = r[8].as<std::string>();
  run.software_version = r[9].as<std::string>();
  run.started_at = r[10].as<std::string>();
  run.finished_at = r[11].as<std::string>();
  run.verdict = record::parse_verdict(r[12].as<std::string>()).value_or(record::Verdict::error);
  run.line = r[13].as<std::string>();
  return run;
}

std::optional<double> optional_real(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

// channel, name, value, unit, low, high, verdict, point_json from column `c` on.
record::MeasurementRecord measurement_from(const pqxx::row& r, int c) {
  record::MeasurementRecord m;
  m.channel = r[c].as<std::string>();
  m.name = r[c + 1].as<std::string>();
  m.value = optional_real(r[c + 2]).value_or(0.0);
  m.unit = r[c + 3].as<std::string>();
  m.low = optional_real(r[c + 4]);
  m.high = optional_real(r[c + 5]);
  m.verdict = record::parse_verdict(r[c + 6].as<std::string>()).value_or(record::Verdict::error);
  m.point = nlohmann::json::parse(r[c + 7].as<std::string>(), nullptr, false);
  return m;
}

// libpq's messages may span lines (the statement, a caret under the error); ampbench's
// errors are one line: the first.
std::string one_line(const std::exception& e) {
  std::string what = e.what();
  what = what.substr(0, what.find('\n'));
  while (!what.empty() && what.back() == ' ') what.pop_back();
  return what;
}

// Runs a database call, its failures as IoError naming the store.
template <typename F>
auto guarded(const std::string& name, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::failure& e) {
    throw IoError(name + ": " + one_line(e));
  }
}

}  // namespace

struct PostgresStore::Connection {
  explicit Connection(const std::string& options) : db(options) {}
  pqxx::connection db;
};

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
      store->prepare_inserts();
    } else {
      pqxx::read_transaction t(store->connection_->db);
      const auto exists = t.exec1("SELECT to_regclass('ampbench_schema') IS NOT NULL");
      if (!exists[0].as<bool>())
        throw IoError(name + ": no ampbench results in this database (no ampbench_schema table)");
      const auto version = t.exec1("SELECT max(version) FROM ampbench_schema")[0].as<int>();
      if (version > kSchemaVersion)
        throw IoError(name + ": database schema " + std::to_string(version) +
                      " is newer than this ampbench");
    }
    return store;
  } catch (const pqxx::failure& e) {
    throw IoError(name + ": " + one_line(e));
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
    t.exec0(kSchemaV1);
    t.exec0("INSERT INTO ampbench_schema(version) VALUES(1)");
  }
  t.commit();
}

// Parsed and planned once per connection.
void PostgresStore::prepare_inserts() {
  auto& db = connection_->db;
  db.prepare("insert_run",
             "INSERT INTO runs(uuid, sequence_name, sequence_sha256, sequence_text, station_name, "
             "line, station_text, serial, operator, software_version, started_at, finished_at, "
             "verdict, station_run_id) VALUES($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
             "$11::timestamptz, $12::timestamptz, $13, $14) ON CONFLICT (uuid) DO NOTHING "
             "RETURNING id");
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

 private:
  const pqxx::transaction_base& t_;
};

// A step's row and all its measurements and curves as statements sent together: the run
// costs a few round trips, not one per row. The step's id comes from its own sequence,
// which only this session advances between the statements.
void append_step_sql(std::string& sql, const Literals& q, std::int64_t run_id,
                     const record::StepRecord& step, const std::string& step_id_sql) {
  sql +=
      "INSERT INTO steps(run_id, ordinal, step_id, kind, params_json, started_at, finished_at, "
      "verdict, message) VALUES(" +
      std::to_string(run_id) + "," + std::to_string(step.ordinal) + "," + q.text(step.step_id) +
      "," + q.text(step.kind) + "," + q.text(step.params.dump()) + "," + q.text(step.started_at) +
      "," + q.text_or_null(step.finished_at) + "," +
      q.text(std::string(record::verdict_name(step.verdict))) + "," + q.text(step.message) + ");\n";
  const char* separator =
      "INSERT INTO measurements(step_id, channel, name, value, unit, low, high, "
      "verdict, point_json) VALUES";
  for (const auto& m : step.measurements) {
    sql += separator;
    sql += "(" + step_id_sql + "," + q.text(m.channel) + "," + q.text(m.name) + "," +
           q.number(m.value) + "," + q.text(m.unit) + "," + q.number(m.low) + "," +
           q.number(m.high) + "," + q.text(std::string(record::verdict_name(m.verdict))) + "," +
           q.text(m.point.dump()) + ")";
    separator = ",";
  }
  if (!step.measurements.empty()) sql += ";\n";
  separator = "INSERT INTO curves(step_id, channel, name, x_unit, y_unit, x, y, point_json) VALUES";
  for (const auto& c : step.curves) {
    sql += separator;
    sql += "(" + step_id_sql + "," + q.text(c.channel) + "," + q.text(c.name) + "," +
           q.text(c.x_unit) + "," + q.text(c.y_unit) + "," + q.bytes(c.x) + "," + q.bytes(c.y) +
           "," + q.text(c.point.dump()) + ")";
    separator = ",";
  }
  if (!step.curves.empty()) sql += ";\n";
}

}  // namespace

bool PostgresStore::insert_run(const record::RunRecord& run) {
  try {
    pqxx::work t(connection_->db);
    const auto inserted =
        t.exec_prepared("insert_run", run.uuid, run.sequence_name, run.sequence_sha256,
                        run.sequence_text, run.station_name, run.line, run.station_text, run.serial,
                        run.operator_name, run.software_version, run.started_at,
                        run.finished_at.empty() ? nullptr : run.finished_at.c_str(),
                        std::string(record::verdict_name(run.verdict)), run.id);
    if (inserted.empty()) return false;
    const auto run_id = inserted[0][0].as<std::int64_t>();
    const Literals q(t);
    const std::string step_id_sql = "currval(" + q.text(steps_sequence_) + ")";
    std::string sql;
    for (const auto& step : run.steps) append_step_sql(sql, q, run_id, step, step_id_sql);
    if (!sql.empty()) t.exec0(sql);
    t.commit();
    return true;
  } catch (const pqxx::failure& e) {
    // libpqxx words a server that went away mid-run as a failure to read the encoding.
    const std::string why =
        connection_->db.is_open() ? one_line(e) : "the connection to the server was lost";
    throw IoError(name_ + ": run " + run.uuid + " not stored: " + why);
  }
}

std::vector<record::RunRecord> PostgresStore::list_runs(const RunFilter& f) const {
  return guarded(name_, [&] {
    const FilterParams p(f);
    const auto limit = f.limit > 0 ? std::optional(std::to_string(f.limit)) : std::nullopt;
    pqxx::read_transaction t(connection_->db);
    const auto rows =
        t.exec_params("SELECT " + kRunColumns + " FROM runs r WHERE " + kRunFilter +
                          " ORDER BY started_at DESC, id DESC LIMIT $8::bigint",
                      nullable(p.serial), nullable(p.verdict), nullable(p.since), nullable(p.until),
                      nullable(p.station), nullable(p.line), nullable(p.sequence), nullable(limit));
    std::vector<record::RunRecord> out;
    for (const auto& r : rows) out.push_back(run_from(r));
    return out;
  });
}

record::RunRecord PostgresStore::load_run(const std::string& key) const {
  return guarded(name_, [&] {
    pqxx::read_transaction t(connection_->db);
    const auto runs = t.exec_params(
        "SELECT " + kRunColumns +
            " FROM runs WHERE id::text = $1 OR uuid::text = $1 OR (length($1) >= 8 AND "
            "left(uuid::text, length($1)) = $1) ORDER BY (id::text = $1) DESC LIMIT 1",
        key);
    if (runs.empty()) throw InputError(name_, "no run '" + key + "' in this database");
    record::RunRecord run = run_from(runs[0]);
    const auto steps = t.exec_params(
        "SELECT id, ordinal, step_id, kind, params_json::text, " + iso("started_at") +
            ", COALESCE(" + iso("finished_at") +
            ", ''), verdict, message FROM steps WHERE run_id = $1 ORDER BY ordinal, id",
        run.id);
    std::vector<std::int64_t> step_rows;
    for (const auto& r : steps) {
      record::StepRecord s;
      step_rows.push_back(r[0].as<std::int64_t>());
      s.id = step_rows.back();
      s.ordinal = r[1].as<int>();
      s.step_id = r[2].as<std::string>();
      s.kind = r[3].as<std::string>();
      s.params = nlohmann::json::parse(r[4].as<std::string>(), nullptr, false);
      s.started_at = r[5].as<std::string>();
      s.finished_at = r[6].as<std::string>();
      s.verdict = record::parse_verdict(r[7].as<std::string>()).value_or(record::Verdict::error);
      s.message = r[8].as<std::string>();
      run.steps.push_back(std::move(s));
    }
    const auto measurements = t.exec_params(
        "SELECT m.step_id, m.channel, m.name, m.value, m.unit, m.low, m.high, m.verdict, "
        "m.point_json::text FROM "
        "measurements m JOIN steps s ON s.id = m.step_id WHERE s.run_id = $1 ORDER BY m.id",
        run.id);
    const auto curves = t.exec_params(
        "SELECT c.step_id, c.channel, c.name, c.x_unit, c.y_unit, c.x, c.y, c.point_json::text "
        "FROM curves c "
        "JOIN steps s ON s.id = c.step_id WHERE s.run_id = $1 ORDER BY c.id",
        run.id);
    const auto step_of = [&](std::int64_t id) -> record::StepRecord& {
      for (auto& s : run.steps)
        if (s.id == id) return s;
      throw IoError(name_ + ": measurement of a missing step");
    };
    for (const auto& r : measurements) {
      step_of(r[0].as<std::int64_t>()).measurements.push_back(measurement_from(r, 1));
    }
    for (const auto& r : curves) {
      step_of(r[0].as<std::int64_t>())
          .curves.push_back({r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
                             r[4].as<std::string>(), float64_array(r[5]), float64_array(r[6]),
                             nlohmann::json::parse(r[7].as<std::string>(), nullptr, false)});
    }
    return run;
  });
}

std::vector<MeasurementRow> PostgresStore::measurement_rows(const RunFilter& f) const {
  return guarded(name_, [&] {
    const FilterParams p(f);
    pqxx::read_transaction t(connection_->db);
    const auto rows = t.exec_params(
        "SELECT r.uuid::text, r.station_name, r.line, r.serial, r.sequence_name, " +
            iso("r.started_at") +
            ", r.verdict, s.step_id, m.channel, m.name, m.value, m.unit, m.low, m.high, "
            "m.verdict, m.point_json::text FROM runs r JOIN steps s ON s.run_id = r.id JOIN "
            "measurements m ON m.step_id = s.id WHERE r.verdict <> 'RUNNING' AND " +
            kRunFilter + " ORDER BY r.started_at, r.id, s.ordinal, m.id",
        nullable(p.serial), nullable(p.verdict), nullable(p.since), nullable(p.until),
        nullable(p.station), nullable(p.line), nullable(p.sequence));
    std::vector<MeasurementRow> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
      MeasurementRow row;
      row.run_uuid = r[0].as<std::string>();
      row.station_name = r[1].as<std::string>();
      row.line = r[2].as<std::string>();
      row.serial = r[3].as<std::string>();
      row.sequence_name = r[4].as<std::string>();
      row.started_at = r[5].as<std::string>();
      row.run_verdict =
          record::parse_verdict(r[6].as<std::string>()).value_or(record::Verdict::error);
      row.step_id = r[7].as<std::string>();
      row.measurement = measurement_from(r, 8);
      out.push_back(std::move(row));
    }
    return out;
  });
}

}  // namespace ampbench::store
