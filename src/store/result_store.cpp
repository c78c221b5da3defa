#include "store/result_store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "common/error.hpp"
#include "store/rows.hpp"
#include "store/schema.hpp"
#include "store/sqlite_statement.hpp"

namespace ampbench::store {
namespace {

// Switching a new database to WAL needs it to itself for a moment, and SQLite answers
// SQLITE_BUSY at once, without the busy handler, while another process is creating it:
// two stations starting together. Retry for as long as the busy timeout.
void enable_wal(sqlite3* db, int timeout_ms) {
  for (int waited_ms = 0;; waited_ms += 10) {
    const int rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || waited_ms >= timeout_ms)
      throw IoError(database_name(db) + ": " + sqlite3_errmsg(db));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// An SQLite URI for a path: '?', '#' and '%' would otherwise be read as URI syntax.
std::string file_uri(const std::string& path) {
  std::string uri = "file:";
  for (const unsigned char c : path) {
    if (c == '?' || c == '#' || c == '%' || c < 0x20) {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      uri += escaped;
    } else {
      uri += static_cast<char>(c);
    }
  }
  return uri;
}

sqlite3* open_connection(const std::string& name, const std::string& path, int flags) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(name.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    const std::string what = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw IoError(path + ": cannot open database: " + what);
  }
  return db;
}

// Reading a WAL database needs its shared-memory index beside it. In a folder this process
// cannot write (an archive, a read-only share) SQLite cannot create one, and the file is
// opened as immutable instead: nothing can be changing it that this reader could see.
sqlite3* open_for_reading(const std::string& path) {
  // A reader is used by one thread at a time (its owner's): without SQLite's own mutex a
  // scan of millions of rows spends a tenth less time in the column calls.
  sqlite3* db = open_connection(path, path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  const int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
  if ((rc & 0xff) != SQLITE_READONLY && (rc & 0xff) != SQLITE_CANTOPEN) return db;
  sqlite3_close(db);
  return open_connection(file_uri(path) + "?immutable=1", path,
                         SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
}

// A results file that cannot take a run is refused by name before anything is measured:
// SQLite would say "attempt to write a readonly database" at the first step.
void check_writable(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0)
    throw IoError(path + ": the file is read-only (" + std::strerror(errno) +
                  "): results cannot be stored in it");
  const fs::path parent = fs::path(path).parent_path();
  const std::string folder = parent.empty() ? "." : parent.string();
  if (fs::is_directory(folder, ec) && ::access(folder.c_str(), W_OK) != 0)
    throw IoError(path + ": its folder " + folder + " is read-only (" + std::strerror(errno) +
                  "): SQLite writes its journal beside the file");
}

std::string host_name() {
  char buffer[256] = {};
  gethostname(buffer, sizeof buffer - 1);
  return buffer;
}

// A file of an older schema, opened read-only, cannot be migrated: each table that lacks a
// column of today's schema is shadowed by a TEMP view (SQLite searches temp before main)
// that gives the column its default (or NULL), so the readers see one schema.
void bridge_missing_columns(sqlite3* db) {
  // Tables a file predates are empty TEMP tables: a run of schema 7 used no calibration record.
  for (const Table* table :
       {&kCalibrationsTable, &kRunCalibrationsTable, &kSelftestsTable, &kTextsTable}) {
    Statement info(db, ("PRAGMA main.table_info(" + std::string(table->name) + ")").c_str());
    if (info.step()) continue;
    const std::string sql = create_tables_sql({table}, Dialect::sqlite);
    exec(db, ("CREATE TEMP " + sql.substr(std::string("CREATE ").size(),
                                          sql.find(";\n") + 1 - std::string("CREATE ").size()))
                 .c_str());
  }
  for (const Table* table : {&kRunsTable, &kStepsTable, &kMeasurementsTable, &kCurvesTable}) {
    std::set<std::string> present;
    Statement info(db, ("PRAGMA main.table_info(" + std::string(table->name) + ")").c_str());
    while (info.step()) present.insert(info.text(1));
    if (present.empty()) continue;  // no such table: the reader says so
    std::string added;
    for (const Column& c : table->columns) {
      if (c.holder == Holder::central || present.count(std::string(c.name))) continue;
      const std::string value = c.default_sql.empty() ? "NULL" : std::string(c.default_sql);
      added += ", " + value + " AS " + std::string(c.name);
    }
    if (added.empty()) continue;
    exec(db, ("CREATE TEMP VIEW " + std::string(table->name) + " AS SELECT *" + added +
              " FROM main." + std::string(table->name))
                 .c_str());
  }
}

}  // namespace

std::unique_ptr<ResultStore> ResultStore::open(const std::string& path, Mode mode) {
  if (mode == Mode::read_write) check_writable(path);
  sqlite3* db = mode == Mode::read_only
                    ? open_for_reading(path)
                    : open_connection(path, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  std::unique_ptr<ResultStore> store(new ResultStore(db, path));
  const char* busy = std::getenv("AMPBENCH_DB_BUSY_TIMEOUT_MS");
  const int busy_timeout_ms = busy ? std::atoi(busy) : 30000;
  store->busy_timeout_ = std::chrono::milliseconds(busy_timeout_ms);
  sqlite3_busy_handler(db, &ResultStore::on_busy, store.get());
  try {
    exec(db, "PRAGMA foreign_keys = ON");
    // Serial patterns match case-sensitively, as in PostgreSQL's LIKE.
    exec(db, "PRAGMA case_sensitive_like = ON");
    if (mode == Mode::read_write) {
      // Each store has its own open file description: the locks of another store, in this
      // process or another, conflict with its own (OFD locks).
      store->run_locks_fd_ =
          ::open((path + "-runs.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (store->run_locks_fd_ < 0)
        throw IoError(path + "-runs.lock: cannot open the run-lock file: " + std::strerror(errno));
      enable_wal(db, busy_timeout_ms);
      exec(db, "PRAGMA synchronous = NORMAL");
      if (const char* pages = std::getenv("AMPBENCH_DB_MAX_PAGES")) {
        Statement cap(db, ("PRAGMA max_page_count = " + std::to_string(std::atoll(pages))).c_str());
        cap.step();
      }
      store->migrate();
      store->import_pending_runs();
      store->recover_abandoned_runs();
    } else {
      Statement version(db, "PRAGMA user_version");
      version.step();
      if (version.integer(0) > kSchemaVersion)
        throw IoError(path + ": database schema " + std::to_string(version.integer(0)) +
                      " is newer than this ampbench");
      if (version.integer(0) < kSchemaVersion) bridge_missing_columns(db);
    }
  } catch (const IoError& e) {
    const std::string what = e.what();
    const bool named = what.rfind(path, 0) == 0 || what.rfind(database_name(db), 0) == 0;
    throw IoError(named ? what : path + ": " + what);
  }
  return store;
}

void ResultStore::set_busy_timeout(std::chrono::milliseconds timeout) {
  if (!std::getenv("AMPBENCH_DB_BUSY_TIMEOUT_MS")) busy_timeout_ = timeout;
}

// SQLite calls this while another connection holds the lock (count: calls so far for this
// statement): wait in 10 ms steps up to the busy timeout, and say so when it lasts.
int ResultStore::on_busy(void* self, int count) {
  auto& store = *static_cast<ResultStore*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) {
    store.busy_since_ = now;
    store.busy_said_ = now - std::chrono::seconds(3);  // the first line after 2 s
  }
  const auto waited = now - store.busy_since_;
  if (waited >= store.busy_timeout_) return 0;
  if (waited >= std::chrono::seconds(2) && now - store.busy_said_ >= std::chrono::seconds(5)) {
    std::fprintf(stderr, "ampbench: %s is locked by another writer: waited %.0f s of %.0f s\n",
                 store.path_.c_str(), std::chrono::duration<double>(waited).count(),
                 std::chrono::duration<double>(store.busy_timeout_).count());
    store.busy_said_ = now;
  }
  std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
      std::chrono::milliseconds(10), store.busy_timeout_ - waited));
  return 1;
}

ResultStore::~ResultStore() {
  if (run_locks_fd_ >= 0) ::close(run_locks_fd_);
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
    exec(db_, create_results_sql(Dialect::sqlite).c_str());
    exec(db_, kForwardsTableSql);
    exec(db_, ("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    t.commit();
    return;
  }
  if (current < 2) {
    // Version 2: a step sweeping loads or frequencies stores one curve per point.
    exec(db_, "ALTER TABLE curves ADD COLUMN point_json TEXT NOT NULL DEFAULT '{}'");
    exec(db_, "PRAGMA user_version = 2");
  }
  if (current < 3) {
    // Version 3: the station's production line, and the queue of runs forwarded to the
    // line's central store.
    exec(db_, "ALTER TABLE runs ADD COLUMN line TEXT NOT NULL DEFAULT ''");
    exec(db_, "CREATE INDEX runs_station ON runs(station_name, started_at)");
    exec(db_, kForwardsTableSql);
    exec(db_, "PRAGMA user_version = 3");
  }
  if (current == 3) {
    // Version 4: a run the target refused for its content is set aside (rejected_at),
    // so the runs after it still go. (A file created at version 3 has no column yet.)
    exec(db_, "ALTER TABLE forwards ADD COLUMN rejected_at TEXT");
  }
  if (current < 5) {
    // Version 5: why a measurement has no value (or that it is a bound).
    exec(db_, "ALTER TABLE measurements ADD COLUMN note TEXT NOT NULL DEFAULT ''");
  }
  if (current < 6) {
    // Version 6: the test slot a run was measured in (SPEC §11); NULL on one-slot stations.
    exec(db_, "ALTER TABLE runs ADD COLUMN slot TEXT");
  }
  if (current < 7) {
    // Version 7: how a report draws each curve, stored with it (record::CurveStyle).
    exec(db_, "ALTER TABLE curves ADD COLUMN style_json TEXT NOT NULL DEFAULT '{}'");
  }
  if (current < 8) {
    // Version 8: the interface's calibration records and the runs that used them, and each
    // measurement's uncertainty and flags (SPEC §15).
    exec(db_,
         create_tables_sql({&kCalibrationsTable, &kRunCalibrationsTable}, Dialect::sqlite).c_str());
    exec(db_,
         "ALTER TABLE measurements ADD COLUMN uncertainty REAL; ALTER TABLE measurements ADD "
         "COLUMN coverage_k REAL; ALTER TABLE measurements ADD COLUMN flags TEXT NOT NULL "
         "DEFAULT ''");
  }
  if (current < 9) {
    // Version 9: the bench's self-tests (SPEC §15).
    exec(db_, create_tables_sql({&kSelftestsTable}, Dialect::sqlite).c_str());
  }
  if (current < 10) {
    // Version 10: how long each run held its bench (docs/design.md, "unit_s") and the limits
    // file layered on its sequence (SPEC §16).
    exec(db_,
         "ALTER TABLE runs ADD COLUMN stimulus_s REAL; ALTER TABLE runs ADD COLUMN unit_s REAL; "
         "ALTER TABLE runs ADD COLUMN analysis_s REAL; ALTER TABLE runs ADD COLUMN transfers "
         "INTEGER; ALTER TABLE runs ADD COLUMN limits_sha256 TEXT; ALTER TABLE runs ADD COLUMN "
         "limits_text TEXT");
  }
  if (current < 11) {
    // Version 11: sequence, station and limits texts once per content (`texts`), found by
    // their sha256 from each run; older runs keep theirs inline.
    exec(db_, create_tables_sql({&kTextsTable}, Dialect::sqlite).c_str());
    exec(db_, "ALTER TABLE runs ADD COLUMN station_sha256 TEXT");
  }
  // Version 12: every run filter reaches the runs by an index.
  if (current < 12) exec(db_, create_indexes_sql(kRunFilterIndexes).c_str());
  exec(db_, ("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
  t.commit();
}

namespace {

// The byte of the run-lock file that stands for run `run_id` (run_locks_fd_).
struct flock run_byte(std::int64_t run_id, short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = static_cast<off_t>(run_id);
  lock.l_len = 1;
  return lock;
}

}  // namespace

void ResultStore::lock_run(std::int64_t run_id) {
  if (run_locks_fd_ < 0) return;
  auto lock = run_byte(run_id, F_WRLCK);
  ::fcntl(run_locks_fd_, F_OFD_SETLK, &lock);
}

void ResultStore::unlock_run(std::int64_t run_id) noexcept {
  if (run_locks_fd_ < 0) return;
  auto lock = run_byte(run_id, F_UNLCK);
  ::fcntl(run_locks_fd_, F_OFD_SETLK, &lock);
}

void ResultStore::recover_abandoned_runs() {
  // A run is alive while its writer holds its byte of the run-lock file: the kernel lets go
  // of it when the writer dies however it dies, and the lock means the same in a container
  // whose writer was PID 1 or whose host name changed. (An ampbench older than schema 9
  // takes no lock: do not run one on the same file while runs are under way.)
  std::vector<std::int64_t> dead;
  {
    Statement q(db_, "SELECT id FROM runs WHERE verdict = 'RUNNING'");
    while (q.step()) {
      auto probe = run_byte(q.integer(0), F_WRLCK);
      const bool alive =
          ::fcntl(run_locks_fd_, F_OFD_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
      if (!alive) dead.push_back(q.integer(0));
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

void ResultStore::store_texts(const record::RunRecord& run) {
  Statement add(db_,
                "INSERT INTO texts(sha256, text) VALUES(?1, ?2) ON CONFLICT(sha256) DO NOTHING");
  for (const auto& [sha256, text] : run_texts(run)) add.bind(1, sha256).bind(2, text).run();
}

std::int64_t ResultStore::begin_run(record::RunRecord& r) {
  if (r.uuid.empty()) r.uuid = record::new_uuid_v4();
  record::RunRecord running = r;
  running.finished_at.clear();
  running.verdict = record::Verdict::running;
  running.steps.clear();
  Transaction t(db_);
  store_texts(running);
  static const std::string sql = sqlite_insert_sql(kRunsTable, {"host", "pid"});
  Statement s(db_, sql.c_str());
  s.bind(1, host_name())
      .bind(2, static_cast<std::int64_t>(::getpid()))
      .bind_all(3, stored_run_values(running));
  s.run();
  t.commit();
  r.id = sqlite3_last_insert_rowid(db_);
  lock_run(r.id);
  record_calibrations_used(r);
  return r.id;
}

std::int64_t ResultStore::begin_step(std::int64_t run_id, record::StepRecord& step) {
  record::StepRecord running = step;
  running.finished_at.clear();
  running.verdict = record::Verdict::running;
  running.message.clear();
  running.measurements.clear();
  running.curves.clear();
  static const std::string sql = sqlite_insert_sql(kStepsTable, {"run_id"});
  Statement s(db_, sql.c_str());
  s.bind(1, run_id).bind_all(2, step_values(running));
  s.run();
  step.id = sqlite3_last_insert_rowid(db_);
  return step.id;
}

void ResultStore::finish_step(const record::StepRecord& step) {
  Transaction t(db_);
  static const std::string measurement_sql = sqlite_insert_sql(kMeasurementsTable, {"step_id"});
  static const std::string curve_sql = sqlite_insert_sql(kCurvesTable, {"step_id"});
  Statement m(db_, measurement_sql.c_str());
  for (const auto& x : step.measurements)
    m.bind(1, step.id).bind_all(2, measurement_values(x)).run();
  Statement c(db_, curve_sql.c_str());
  for (const auto& curve : step.curves) c.bind(1, step.id).bind_all(2, curve_values(curve)).run();
  Statement s(db_, "UPDATE steps SET finished_at = ?1, verdict = ?2, message = ?3 WHERE id = ?4");
  s.bind(1, step.finished_at)
      .bind(2, std::string(record::verdict_name(step.verdict)))
      .bind(3, step.message)
      .bind(4, step.id);
  s.run();
  t.commit();
}

void ResultStore::finish_run(const record::RunRecord& run) {
  Statement s(db_, kFinishRunSql);
  s.bind_all(1, finish_values(run));
  s.run();
  unlock_run(run.id);
}

bool ResultStore::mark_run_failed(std::int64_t run_id) noexcept {
  // The step that was being stored ends ERROR too, not RUNNING forever. Without waiting: a
  // database still locked is finished by the run's side file instead.
  const auto busy_timeout = busy_timeout_;
  busy_timeout_ = std::chrono::milliseconds(0);
  struct Restore {
    ResultStore& store;
    std::chrono::milliseconds timeout;
    ~Restore() { store.busy_timeout_ = timeout; }
  } restore{*this, busy_timeout};
  const std::string now = record::utc_now_iso8601();
  bool ok = true;
  for (const char* sql :
       {"UPDATE steps SET verdict = 'ERROR', finished_at = ?1, message = 'not stored: the "
        "database failed' WHERE run_id = ?2 AND verdict = 'RUNNING'",
        "UPDATE runs SET verdict = 'ERROR', finished_at = ?1 WHERE id = ?2 AND verdict = "
        "'RUNNING'"}) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) return false;
    sqlite3_bind_text(stmt, 1, now.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(stmt, 2, run_id);
    ok = sqlite3_step(stmt) == SQLITE_DONE && ok;
    sqlite3_finalize(stmt);
  }
  if (ok) unlock_run(run_id);
  return ok;
}

std::vector<record::RunRecord> ResultStore::list_runs(const RunFilter& f) const {
  const std::string sql = "SELECT " + read_columns(kRunsTable, Dialect::sqlite, {}, true) +
                          " FROM runs WHERE " +
                          run_filter_sql(Dialect::sqlite, {}, filter_present(f)) +
                          " ORDER BY started_at DESC, id DESC LIMIT ?9";
  Statement q(db_, sql.c_str());
  bind_filter(q, f);
  q.bind(9, static_cast<std::int64_t>(f.limit > 0 ? f.limit : -1));
  std::vector<record::RunRecord> out;
  while (q.step()) out.push_back(run_from(q));
  return out;
}

std::vector<MeasurementRow> ResultStore::measurement_rows(const RunFilter& f) const {
  // CROSS JOIN keeps SQLite's join order: runs first, through the index of the filter's
  // column, then each run's steps and measurements by theirs. Left to itself, a file with
  // no statistics is read from the measurements up: 1.8 s for a filter matching no run of
  // 100 000, against 0.1 ms.
  const std::string sql =
      "SELECT r.uuid, r.station_name, r.line, r.serial, r.sequence_name, r.started_at, "
      "r.verdict, s.step_id, " +
      read_columns(kMeasurementsTable, Dialect::sqlite, "m") +
      " FROM runs r CROSS JOIN steps s ON s.run_id = r.id CROSS JOIN measurements m ON "
      "m.step_id = s.id "
      "WHERE r.verdict <> 'RUNNING' AND " +
      run_filter_sql(Dialect::sqlite, "r", filter_present(f)) +
      " ORDER BY r.started_at, r.id, s.ordinal, m.id";
  Statement q(db_, sql.c_str());
  bind_filter(q, f);
  std::vector<MeasurementRow> out;
  while (q.step()) out.push_back(measurement_row_from(q));
  return out;
}

record::RunRecord ResultStore::load_run(const std::string& key) const {
  const std::string sql =
      "SELECT " + read_columns(kRunsTable, Dialect::sqlite, {}, true) +
      " FROM runs WHERE id = ?2 OR uuid = ?1 OR (length(?1) >= 8 AND uuid >= ?1 AND uuid < ?1 "
      "|| '~') ORDER BY (id IS ?2) DESC";
  Statement q(db_, sql.c_str());
  q.bind(1, key);
  // Each term by its index (the row id, the uuid's): a prefix is a range of uuids. Reading
  // every run of a large store this way (limits derive) would otherwise scan it each time.
  if (!key.empty() && key.size() < 19 && key.find_first_not_of("0123456789") == std::string::npos)
    q.bind(2, static_cast<std::int64_t>(std::stoll(key)));
  if (!q.step()) throw InputError(path_, "no run '" + key + "' in this database");
  record::RunRecord run = run_from(q);
  if (std::to_string(run.id) != key && run.uuid != key) {
    std::vector<record::RunRecord> also;
    while (also.size() < 5 && q.step()) also.push_back(run_from(q));
    if (!also.empty()) {
      also.insert(also.begin(), run);
      throw InputError(path_, ambiguous_run_prefix(key, also));
    }
  }
  const std::string step_sql = "SELECT " + read_columns(kStepsTable, Dialect::sqlite, {}, true) +
                               " FROM steps WHERE run_id = ?1 ORDER BY ordinal, id";
  Statement steps(db_, step_sql.c_str());
  steps.bind(1, run.id);
  while (steps.step()) run.steps.push_back(step_from(steps));
  const std::string measurement_sql = "SELECT " +
                                      read_columns(kMeasurementsTable, Dialect::sqlite) +
                                      " FROM measurements WHERE step_id = ?1 ORDER BY id";
  const std::string curve_sql = "SELECT " + read_columns(kCurvesTable, Dialect::sqlite) +
                                " FROM curves WHERE step_id = ?1 ORDER BY id";
  Statement m(db_, measurement_sql.c_str());
  Statement c(db_, curve_sql.c_str());
  for (auto& s : run.steps) {
    m.bind(1, s.id);
    while (m.step()) s.measurements.push_back(measurement_from(m));
    m.reset();
    c.bind(1, s.id);
    while (c.step()) s.curves.push_back(curve_from(c));
    c.reset();
  }
  run.calibration_uuids = calibrations_used(run.id);
  return run;
}

}  // namespace ampbench::store
