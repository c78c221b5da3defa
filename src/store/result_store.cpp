#include "store/result_store.hpp"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/error.hpp"

namespace ampbench::store {
namespace {

// One prepared statement, finalised on scope exit; bind by 1-based index.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw IoError(std::string("database: cannot prepare statement: ") + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, const std::optional<double>& v) {
    if (v)
      sqlite3_bind_double(stmt_, i, *v);
    else
      sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Statement& bind_blob(int i, const std::vector<double>& v) {
    // float64 little-endian, as SPEC §7 says; this host is little-endian (checked at open).
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size() * sizeof(double)),
                      SQLITE_TRANSIENT);
    return *this;
  }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw IoError(std::string("database: ") + sqlite3_errmsg(db_));
  }
  void run() {
    step();
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : "";
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<double> real(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(stmt_, col);
  }
  std::vector<double> blob(int col) const {
    const auto* p = static_cast<const double*>(sqlite3_column_blob(stmt_, col));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)) / sizeof(double);
    return p ? std::vector<double>(p, p + n) : std::vector<double>{};
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw IoError("database: " + what);
  }
}

// Switching a new database to WAL needs it to itself for a moment, and SQLite answers
// SQLITE_BUSY at once, without the busy handler, while another process is creating it:
// two stations starting together. Retry for as long as the busy timeout.
void enable_wal(sqlite3* db, int timeout_ms) {
  for (int waited_ms = 0;; waited_ms += 10) {
    const int rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited_ms >= timeout_ms)
      throw IoError(std::string("database: ") + sqlite3_errmsg(db));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// A transaction that rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { exec(db, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3* db_;
  bool done_ = false;
};

const char* kSchemaV1 = R"sql(
CREATE TABLE runs(
  id INTEGER PRIMARY KEY,
  uuid TEXT UNIQUE NOT NULL,
  sequence_name TEXT NOT NULL,
  sequence_sha256 TEXT NOT NULL,
  sequence_text TEXT NOT NULL,
  station_name TEXT NOT NULL,
  station_text TEXT NOT NULL,
  serial TEXT NOT NULL,
  operator TEXT NOT NULL,
  software_version TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  verdict TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL);
CREATE TABLE steps(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,
  step_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  params_json TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  verdict TEXT NOT NULL,
  message TEXT NOT NULL DEFAULT '');
CREATE TABLE measurements(
  id INTEGER PRIMARY KEY,
  step_id INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  unit TEXT NOT NULL,
  low REAL,
  high REAL,
  verdict TEXT NOT NULL,
  point_json TEXT NOT NULL);
CREATE TABLE curves(
  id INTEGER PRIMARY KEY,
  step_id INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  name TEXT NOT NULL,
  x_unit TEXT NOT NULL,
  y_unit TEXT NOT NULL,
  x BLOB NOT NULL,
  y BLOB NOT NULL);
CREATE INDEX runs_serial ON runs(serial);
CREATE INDEX runs_started ON runs(started_at);
CREATE INDEX steps_run ON steps(run_id);
CREATE INDEX measurements_step ON measurements(step_id);
CREATE INDEX curves_step ON curves(step_id);
)sql";

std::string host_name() {
  char buffer[256] = {};
  gethostname(buffer, sizeof buffer - 1);
  return buffer;
}

}  // namespace

std::unique_ptr<ResultStore> ResultStore::open(const std::string& path, Mode mode) {
  sqlite3* db = nullptr;
  const int flags =
      mode == Mode::read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    const std::string what = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw IoError(path + ": cannot open database: " + what);
  }
  std::unique_ptr<ResultStore> store(new ResultStore(db, path));
  const char* busy = std::getenv("AMPBENCH_DB_BUSY_TIMEOUT_MS");
  const int busy_timeout_ms = busy ? std::atoi(busy) : 30000;
  sqlite3_busy_timeout(db, busy_timeout_ms);
  try {
    exec(db, "PRAGMA foreign_keys = ON");
    // Serial patterns match case-sensitively, as in PostgreSQL's LIKE.
    exec(db, "PRAGMA case_sensitive_like = ON");
    if (mode == Mode::read_write) {
      enable_wal(db, busy_timeout_ms);
      exec(db, "PRAGMA synchronous = NORMAL");
      if (const char* pages = std::getenv("AMPBENCH_DB_MAX_PAGES")) {
        Statement cap(db, ("PRAGMA max_page_count = " + std::to_string(std::atoll(pages))).c_str());
        cap.step();
      }
      store->migrate();
      store->recover_abandoned_runs();
    } else {
      Statement version(db, "PRAGMA user_version");
      version.step();
      if (version.integer(0) > kSchemaVersion)
        throw IoError(path + ": database schema " + std::to_string(version.integer(0)) +
                      " is newer than this ampbench");
    }
  } catch (const IoError& e) {
    const std::string what = e.what();
    throw IoError(what.rfind(path, 0) == 0 ? what : path + ": " + what);
  }
  return store;
}

ResultStore::~ResultStore() {
  sqlite3_close(db_);
}

void ResultStore::migrate() {
  Transaction t(db_);
  Statement version(db_, "PRAGMA user_version");
  version.step();
  const auto current = version.integer(0);
  if (current > kSchemaVersion)
    throw IoError("database schema " + std::to_string(current) + " is newer than this ampbench (" +
                  std::to_string(kSchemaVersion) + ")");
  if (current < 1) {
    exec(db_, kSchemaV1);
    exec(db_, "PRAGMA user_version = 1");
  }
  if (current < 2) {
    // Version 2: a step sweeping loads or frequencies stores one curve per point.
    exec(db_, "ALTER TABLE curves ADD COLUMN point_json TEXT NOT NULL DEFAULT '{}'");
    exec(db_, "PRAGMA user_version = 2");
  }
  if (current < 3) {
    // Version 3: the station's production line, and the queue of runs forwarded to the
    // line's central store: one row per run and target once sending was tried.
    exec(db_, R"sql(
ALTER TABLE runs ADD COLUMN line TEXT NOT NULL DEFAULT '';
CREATE TABLE forwards(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  target TEXT NOT NULL,
  sent_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(run_id, target));
CREATE INDEX runs_station ON runs(station_name, started_at);
PRAGMA user_version = 3;
)sql");
  }
  t.commit();
}

void ResultStore::recover_abandoned_runs() {
  const std::string host = host_name();
  std::vector<std::int64_t> dead;
  {
    Statement q(db_, "SELECT id, host, pid FROM runs WHERE verdict = 'RUNNING'");
    while (q.step()) {
      const auto pid = static_cast<pid_t>(q.integer(2));
      // Only this machine's processes can be checked; a live pid keeps its run.
      const bool alive = q.text(1) == host && (::kill(pid, 0) == 0 || errno == EPERM);
      if (!alive && q.text(1) == host) dead.push_back(q.integer(0));
    }
  }
  if (dead.empty()) return;
  Transaction t(db_);
  const std::string now = record::utc_now_iso8601();
  Statement run(db_,
                "UPDATE runs SET verdict = 'ABORTED', finished_at = ?1 WHERE id = ?2 AND verdict = "
                "'RUNNING'");
  Statement step(db_,
                 "UPDATE steps SET verdict = 'ABORTED', finished_at = ?1, message = 'process ended "
                 "during the step' "
                 "WHERE run_id = ?2 AND verdict = 'RUNNING'");
  for (auto id : dead) {
    run.bind(1, now).bind(2, id).run();
    step.bind(1, now).bind(2, id).run();
  }
  t.commit();
  recovered_runs_ = static_cast<int>(dead.size());
}

std::int64_t ResultStore::begin_run(record::RunRecord& r) {
  if (r.uuid.empty()) r.uuid = record::new_uuid_v4();
  Statement s(db_,
              "INSERT INTO runs(uuid, sequence_name, sequence_sha256, sequence_text, station_name, "
              "station_text, serial, operator, software_version, started_at, verdict, host, pid, "
              "line) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'RUNNING', ?11, ?12, ?13)");
  s.bind(1, r.uuid)
      .bind(2, r.sequence_name)
      .bind(3, r.sequence_sha256)
      .bind(4, r.sequence_text)
      .bind(5, r.station_name)
      .bind(6, r.station_text)
      .bind(7, r.serial)
      .bind(8, r.operator_name)
      .bind(9, r.software_version)
      .bind(10, r.started_at)
      .bind(11, host_name())
      .bind(12, static_cast<std::int64_t>(::getpid()))
      .bind(13, r.line);
  s.run();
  r.id = sqlite3_last_insert_rowid(db_);
  return r.id;
}

std::int64_t ResultStore::begin_step(std::int64_t run_id, record::StepRecord& step) {
  Statement s(db_,
              "INSERT INTO steps(run_id, ordinal, step_id, kind, params_json, started_at, verdict) "
              "VALUES(?1, ?2, ?3, "
              "?4, ?5, ?6, 'RUNNING')");
  s.bind(1, run_id)
      .bind(2, static_cast<std::int64_t>(step.ordinal))
      .bind(3, step.step_id)
      .bind(4, step.kind)
      .bind(5, step.params.dump())
      .bind(6, step.started_at);
  s.run();
  step.id = sqlite3_last_insert_rowid(db_);
  return step.id;
}

void ResultStore::finish_step(const record::StepRecord& step) {
  Transaction t(db_);
  Statement m(db_,
              "INSERT INTO measurements(step_id, channel, name, value, unit, low, high, verdict, "
              "point_json) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  for (const auto& x : step.measurements) {
    m.bind(1, step.id)
        .bind(2, x.channel)
        .bind(3, x.name)
        .bind(4, x.value)
        .bind(5, x.unit)
        .bind(6, x.low)
        .bind(7, x.high)
        .bind(8, std::string(record::verdict_name(x.verdict)))
        .bind(9, x.point.dump());
    m.run();
  }
  Statement c(db_,
              "INSERT INTO curves(step_id, channel, name, x_unit, y_unit, x, y, point_json) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, "
              "?7, ?8)");
  for (const auto& curve : step.curves) {
    c.bind(1, step.id)
        .bind(2, curve.channel)
        .bind(3, curve.name)
        .bind(4, curve.x_unit)
        .bind(5, curve.y_unit)
        .bind_blob(6, curve.x)
        .bind_blob(7, curve.y)
        .bind(8, curve.point.dump());
    c.run();
  }
  Statement s(db_, "UPDATE steps SET finished_at = ?1, verdict = ?2, message = ?3 WHERE id = ?4");
  s.bind(1, step.finished_at)
      .bind(2, std::string(record::verdict_name(step.verdict)))
      .bind(3, step.message)
      .bind(4, step.id);
  s.run();
  t.commit();
}

void ResultStore::finish_run(const record::RunRecord& run) {
  Statement s(db_, "UPDATE runs SET finished_at = ?1, verdict = ?2 WHERE id = ?3");
  s.bind(1, run.finished_at)
      .bind(2, std::string(record::verdict_name(run.verdict)))
      .bind(3, run.id);
  s.run();
}

bool ResultStore::mark_run_failed(std::int64_t run_id) noexcept {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "UPDATE runs SET verdict = 'ERROR', finished_at = ?1 WHERE id = ?2 AND "
                         "verdict = 'RUNNING'",
                         -1, &stmt, nullptr) != SQLITE_OK)
    return false;
  const std::string now = record::utc_now_iso8601();
  sqlite3_bind_text(stmt, 1, now.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(stmt, 2, run_id);
  const bool ok = sqlite3_step(stmt) == SQLITE_DONE;
  sqlite3_finalize(stmt);
  return ok;
}

namespace {
constexpr const char* kRunColumns =
    "id, uuid, sequence_name, sequence_sha256, sequence_text, station_name, station_text, serial, "
    "operator, "
    "software_version, started_at, COALESCE(finished_at, ''), verdict, line";

// The filter's conditions on runs, parameters ?1…?7 (bind_filter).
constexpr const char* kRunFilter =
    "(?1 IS NULL OR serial LIKE ?1 ESCAPE '\\') AND (?2 IS NULL OR verdict = ?2) AND "
    "(?3 IS NULL OR started_at >= ?3) AND (?4 IS NULL OR started_at < ?4) AND "
    "(?5 IS NULL OR station_name = ?5) AND (?6 IS NULL OR line = ?6) AND "
    "(?7 IS NULL OR sequence_name = ?7)";

void bind_filter(Statement& q, const RunFilter& f) {
  if (f.serial) q.bind(1, glob_to_like(*f.serial));
  if (f.verdict) q.bind(2, std::string(record::verdict_name(*f.verdict)));
  if (f.since) q.bind(3, *f.since);
  if (f.until) q.bind(4, *f.until);
  if (f.station) q.bind(5, *f.station);
  if (f.line) q.bind(6, *f.line);
  if (f.sequence) q.bind(7, *f.sequence);
}

// channel, name, value, unit, low, high, verdict, point_json from column `c` on.
record::MeasurementRecord measurement_from(const Statement& q, int c) {
  record::MeasurementRecord m;
  m.channel = q.text(c);
  m.name = q.text(c + 1);
  m.value = q.real(c + 2).value_or(0.0);
  m.unit = q.text(c + 3);
  m.low = q.real(c + 4);
  m.high = q.real(c + 5);
  m.verdict = record::parse_verdict(q.text(c + 6)).value_or(record::Verdict::error);
  m.point = nlohmann::json::parse(q.text(c + 7), nullptr, false);
  return m;
}

record::RunRecord run_from(const Statement& q) {
  record::RunRecord r;
  r.id = q.integer(0);
  r.uuid = q.text(1);
  r.sequence_name = q.text(2);
  r.sequence_sha256 = q.text(3);
  r.sequence_text = q.text(4);
  r.station_name = q.text(5);
  r.station_text = q.text(6);
  r.serial = q.text(7);
  r.operator_name = q.text(8);
  r.software_version = q.text(9);
  r.started_at = q.text(10);
  r.finished_at = q.text(11);
  r.verdict = record::parse_verdict(q.text(12)).value_or(record::Verdict::error);
  r.line = q.text(13);
  return r;
}
}  // namespace

std::vector<record::RunRecord> ResultStore::list_runs(const RunFilter& f) const {
  const std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE " + kRunFilter +
                          " ORDER BY started_at DESC, id DESC LIMIT ?8";
  Statement q(db_, sql.c_str());
  bind_filter(q, f);
  q.bind(8, static_cast<std::int64_t>(f.limit > 0 ? f.limit : -1));
  std::vector<record::RunRecord> out;
  while (q.step()) out.push_back(run_from(q));
  return out;
}

std::vector<MeasurementRow> ResultStore::measurement_rows(const RunFilter& f) const {
  const std::string sql =
      std::string(
          "SELECT r.uuid, r.station_name, r.line, r.serial, r.sequence_name, r.started_at, "
          "r.verdict, s.step_id, m.channel, m.name, m.value, m.unit, m.low, m.high, m.verdict, "
          "m.point_json FROM runs r JOIN steps s ON s.run_id = r.id JOIN measurements m ON "
          "m.step_id = s.id WHERE r.verdict <> 'RUNNING' AND r.id IN (SELECT id FROM runs WHERE ") +
      kRunFilter + ") ORDER BY r.started_at, r.id, s.ordinal, m.id";
  Statement q(db_, sql.c_str());
  bind_filter(q, f);
  std::vector<MeasurementRow> out;
  while (q.step()) {
    MeasurementRow row;
    row.run_uuid = q.text(0);
    row.station_name = q.text(1);
    row.line = q.text(2);
    row.serial = q.text(3);
    row.sequence_name = q.text(4);
    row.started_at = q.text(5);
    row.run_verdict = record::parse_verdict(q.text(6)).value_or(record::Verdict::error);
    row.step_id = q.text(7);
    row.measurement = measurement_from(q, 8);
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<PendingForward> ResultStore::pending_forwards(const std::string& target,
                                                          bool due_only) const {
  Statement q(db_,
              "SELECT r.id, r.uuid, COALESCE(f.attempts, 0) FROM runs r LEFT JOIN forwards f ON "
              "f.run_id = r.id AND f.target = ?1 WHERE r.verdict <> 'RUNNING' AND f.sent_at IS "
              "NULL AND (?2 = 0 OR f.next_attempt_at IS NULL OR f.next_attempt_at <= ?3) ORDER "
              "BY r.id");
  q.bind(1, target).bind(2, static_cast<std::int64_t>(due_only)).bind(3, record::utc_now_iso8601());
  std::vector<PendingForward> out;
  while (q.step()) out.push_back({q.integer(0), q.text(1), static_cast<int>(q.integer(2))});
  return out;
}

void ResultStore::mark_forwarded(std::int64_t run_id, const std::string& target) {
  Statement s(db_,
              "INSERT INTO forwards(run_id, target, sent_at, attempts) VALUES(?1, ?2, ?3, 1) "
              "ON CONFLICT(run_id, target) DO UPDATE SET sent_at = excluded.sent_at, attempts = "
              "attempts + 1, next_attempt_at = NULL, last_error = ''");
  s.bind(1, run_id).bind(2, target).bind(3, record::utc_now_iso8601());
  s.run();
}

void ResultStore::mark_forward_failed(const std::vector<PendingForward>& runs,
                                      const std::string& target, const std::string& error) {
  Transaction t(db_);
  Statement s(db_,
              "INSERT INTO forwards(run_id, target, attempts, next_attempt_at, last_error) "
              "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(run_id, target) DO UPDATE SET attempts = "
              "excluded.attempts, next_attempt_at = excluded.next_attempt_at, last_error = "
              "excluded.last_error");
  for (const auto& run : runs) {
    const std::int64_t failed = run.attempts + 1;
    const auto backoff = std::chrono::seconds(
        std::min<std::int64_t>(30LL << std::min<std::int64_t>(failed - 1, 7), 3600));
    s.bind(1, run.run_id)
        .bind(2, target)
        .bind(3, failed)
        .bind(4, record::utc_iso8601_in(
                     std::chrono::duration_cast<std::chrono::milliseconds>(backoff)))
        .bind(5, error);
    s.run();
  }
  t.commit();
}

record::RunRecord ResultStore::load_run(const std::string& key) const {
  const std::string sql =
      std::string("SELECT ") + kRunColumns +
      " FROM runs WHERE CAST(id AS TEXT) = ?1 OR uuid = ?1 OR (length(?1) >= 8 AND "
      "substr(uuid, 1, length(?1)) = ?1) ORDER BY (CAST(id AS TEXT) = ?1) DESC";
  Statement q(db_, sql.c_str());
  q.bind(1, key);
  if (!q.step()) throw InputError(path_, "no run '" + key + "' in this database");
  record::RunRecord run = run_from(q);
  Statement steps(db_,
                  "SELECT id, ordinal, step_id, kind, params_json, started_at, "
                  "COALESCE(finished_at, ''), verdict, "
                  "message FROM steps WHERE run_id = ?1 ORDER BY ordinal, id");
  steps.bind(1, run.id);
  while (steps.step()) {
    record::StepRecord s;
    s.id = steps.integer(0);
    s.ordinal = static_cast<int>(steps.integer(1));
    s.step_id = steps.text(2);
    s.kind = steps.text(3);
    s.params = nlohmann::json::parse(steps.text(4), nullptr, false);
    s.started_at = steps.text(5);
    s.finished_at = steps.text(6);
    s.verdict = record::parse_verdict(steps.text(7)).value_or(record::Verdict::error);
    s.message = steps.text(8);
    run.steps.push_back(std::move(s));
  }
  Statement m(db_,
              "SELECT channel, name, value, unit, low, high, verdict, point_json FROM measurements "
              "WHERE step_id = ?1 "
              "ORDER BY id");
  Statement c(db_,
              "SELECT channel, name, x_unit, y_unit, x, y, point_json FROM curves WHERE step_id = "
              "?1 ORDER BY id");
  for (auto& s : run.steps) {
    m.bind(1, s.id);
    while (m.step()) s.measurements.push_back(measurement_from(m, 0));
    m.reset();
    c.bind(1, s.id);
    while (c.step()) {
      s.curves.push_back({c.text(0), c.text(1), c.text(2), c.text(3), c.blob(4), c.blob(5),
                          nlohmann::json::parse(c.text(6), nullptr, false)});
    }
    c.reset();
  }
  return run;
}

}  // namespace ampbench::store
