// store: the SQLite results database (SPEC §7). WAL, foreign keys, schema version in
// user_version with forward migrations, prepared statements only, a busy timeout so
// several ampbench processes can share one file. Each step commits when it ends, so a
// crash keeps every finished step; runs left RUNNING by a dead process are marked
// ABORTED the next time the database is opened for writing: a writer holds a lock on its
// run's byte of DB-runs.lock (an OFD lock the kernel drops when the process dies), so the
// judgement needs no pid or host name (a container's PID 1, a new host name).
//
// A statement meeting another writer's lock waits up to the busy timeout (the station's
// [results] busy_timeout_s, 30 s by default), saying so on stderr every 5 s after the
// first 2; a run whose store fails is kept in a side file (store/pending_run.hpp) that the
// next open for writing imports before it recovers dead runs.
//
// Environment: AMPBENCH_DB_BUSY_TIMEOUT_MS overrides the busy timeout; AMPBENCH_DB_MAX_PAGES caps
// the file's size in pages (a station with a small disk can keep room for the rest of the system;
// tests use it to fill the "disk").
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "record/calibration.hpp"
#include "record/record.hpp"
#include "store/results_reader.hpp"

struct sqlite3;

namespace ampbench::store {

struct PendingRun;

// The forward queue's table (forward_queue.cpp): one row per run and target once sending
// was tried.
extern const char* const kForwardsTableSql;

// A run the forward target refused, set aside with the server's reason.
struct RejectedForward {
  std::string uuid;
  std::string serial;
  std::string error;
};

// A finished run not yet in a forward target, with how often sending it has failed.
struct PendingForward {
  std::int64_t run_id = 0;
  std::string uuid;
  int attempts = 0;
};

class ResultStore : public ResultsReader {
 public:
  enum class Mode { read_write, read_only };
  // Throws IoError naming the file when it cannot be opened or migrated.
  static std::unique_ptr<ResultStore> open(const std::string& path, Mode mode = Mode::read_write);
  ~ResultStore() override;
  ResultStore(const ResultStore&) = delete;
  ResultStore& operator=(const ResultStore&) = delete;

  static constexpr int kSchemaVersion = 12;
  // How long a statement waits for another writer's lock before failing (IoError).
  void set_busy_timeout(std::chrono::milliseconds timeout);
  // Whether a run is still RUNNING (under way, or left by a writer that could not end it).
  bool has_unfinished_runs() const;
  // Side files of runs imported while opening (store/pending_run.hpp).
  int imported_runs() const { return imported_runs_; }
  const std::string& path() const { return path_; }
  // Runs found RUNNING from a dead process and marked ABORTED while opening.
  int recovered_runs() const { return recovered_runs_; }

  // Writing a run as it happens.
  std::int64_t begin_run(record::RunRecord& run);
  std::int64_t begin_step(std::int64_t run_id, record::StepRecord& step);
  void finish_step(
      const record::StepRecord& step);  // measurements, curves, verdict: one transaction
  void finish_run(const record::RunRecord& run);
  // After a failure while recording (disk full, lock timeout): mark the run ERROR with
  // whatever can still be written. Returns false when even that fails.
  bool mark_run_failed(std::int64_t run_id) noexcept;

  // Reading.
  std::string name() const override { return path_; }
  std::vector<record::RunRecord> list_runs(const RunFilter& filter) const override;  // headers only
  std::map<std::int64_t, std::string> forward_states(
      const std::vector<record::RunRecord>& runs) const override;
  record::RunRecord load_run(const std::string& id_or_uuid) const override;
  std::vector<MeasurementRow> measurement_rows(const RunFilter& filter) const override;
  // Line statistics' reads (sqlite_aggregates.cpp).
  std::vector<FigureAggregate> figure_aggregates(const RunFilter& filter,
                                                 const std::set<std::string>& steps) const override;
  std::vector<RunTally> run_tallies(const RunFilter& filter, bool whole_line) const override;
  std::vector<DayTally> day_tallies(const RunFilter& filter) const override;
  std::vector<std::string> slot_names(const RunFilter& filter) const override;
  void visit_newest_measurements(
      const RunFilter& filter,
      const std::function<bool(const MeasurementRow&)>& visit) const override;
  void visit_curves(const RunFilter& filter, const std::set<std::string>& steps,
                    const std::function<void(const std::string&, const record::CurveRecord&)>&
                        visit) const override;

  // Calibration records (calibration_store.cpp), never updated: add one (its id and uuid
  // set), list a station's newest first (all stations for ""), load one by id or uuid
  // (InputError when there is none), and the newest of each channel and direction at a
  // sample rate.
  std::int64_t add_calibration(record::CalibrationRecord& calibration);
  std::vector<record::CalibrationRecord> list_calibrations(const std::string& station_name) const;
  record::CalibrationRecord load_calibration(const std::string& id_or_uuid) const;
  std::vector<record::CalibrationRecord> current_calibrations(const std::string& station_name,
                                                              double sample_rate_hz) const;

  // Self-tests (selftest_store.cpp), never updated: add one (its result as JSON with its
  // "uuid", "station", "started_at" and "verdict"), and a station's latest, if any — or the
  // latest started by `started_by` (ISO 8601 UTC): the one a run started then was judged
  // against.
  void add_selftest(const nlohmann::json& result);
  std::optional<nlohmann::json> latest_selftest(
      const std::string& station_name,
      const std::optional<std::string>& started_by = std::nullopt) const;

  // The forward queue: finished runs not yet sent to `target` (a URI without password),
  // all of them or only those whose retry time has come; runs set aside are not in it.
  std::vector<PendingForward> pending_forwards(const std::string& target, bool due_only) const;
  void mark_forwarded(std::int64_t run_id, const std::string& target);
  // Each run's next try after 30 s, doubling with each failure up to an hour; all in one
  // transaction, so a long queue meeting a dead server costs one commit.
  void mark_forward_failed(const std::vector<PendingForward>& runs, const std::string& target,
                           const std::string& error);
  // The target refused the run itself (its content, not the connection): it is set aside
  // with the reason and no longer blocks or delays the queue.
  void mark_forward_rejected(std::int64_t run_id, const std::string& target,
                             const std::string& error);
  // The runs set aside for `target`, with why.
  std::vector<RejectedForward> rejected_forwards(const std::string& target) const;
  // Puts runs set aside or waiting their backoff for `target` back in the queue, due now:
  // the run `key` (id, uuid or unique prefix) or, with no key, all of them. Returns how many.
  int retry_forwards(const std::string& target, const std::optional<std::string>& key);

 private:
  // The figures of the runs whose id is `part` modulo `parts` (sqlite_aggregates.cpp).
  std::vector<FigureAggregate> figure_part(const RunFilter& filter,
                                           const std::set<std::string>& steps, unsigned part,
                                           unsigned parts) const;
  // The run's sequence, station and limits texts into `texts`, once per content.
  void store_texts(const record::RunRecord& run);
  ResultStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  void migrate();
  void recover_abandoned_runs();
  void import_pending_runs();
  void store_pending_run(const PendingRun& pending);
  static int on_busy(void* store, int count);
  void record_calibrations_used(const record::RunRecord& run);
  // A RUNNING run's byte in DB-runs.lock, held while this store writes it (liveness).
  void lock_run(std::int64_t run_id);
  void unlock_run(std::int64_t run_id) noexcept;
  std::vector<std::string> calibrations_used(std::int64_t run_id) const;
  sqlite3* db_;
  std::string path_;
  int recovered_runs_ = 0;
  int imported_runs_ = 0;
  int run_locks_fd_ = -1;
  std::chrono::milliseconds busy_timeout_{30000};
  std::chrono::steady_clock::time_point busy_since_;
  std::chrono::steady_clock::time_point busy_said_;
};

}  // namespace ampbench::store
