// The station's forward queue (schema 3's forwards table): which finished runs still have
// to reach a forward target, and when to try again after a failure.
#include <algorithm>
#include <chrono>

#include "store/result_store.hpp"
#include "store/sqlite_statement.hpp"

namespace ampbench::store {

const char* const kForwardsTableSql = R"sql(
CREATE TABLE forwards(
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  target TEXT NOT NULL,
  sent_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error TEXT NOT NULL DEFAULT '',
  rejected_at TEXT,
  PRIMARY KEY(run_id, target));
)sql";

std::vector<PendingForward> ResultStore::pending_forwards(const std::string& target,
                                                          bool due_only) const {
  Statement q(db_,
              "SELECT r.id, r.uuid, COALESCE(f.attempts, 0) FROM runs r LEFT JOIN forwards f ON "
              "f.run_id = r.id AND f.target = ?1 WHERE r.verdict <> 'RUNNING' AND f.sent_at IS "
              "NULL AND f.rejected_at IS NULL AND (?2 = 0 OR f.next_attempt_at IS NULL OR "
              "f.next_attempt_at <= ?3) ORDER BY r.id");
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

void ResultStore::mark_forward_rejected(std::int64_t run_id, const std::string& target,
                                        const std::string& error) {
  Statement s(db_,
              "INSERT INTO forwards(run_id, target, attempts, last_error, rejected_at) VALUES(?1, "
              "?2, 1, ?3, ?4) ON CONFLICT(run_id, target) DO UPDATE SET attempts = attempts + 1, "
              "last_error = excluded.last_error, rejected_at = excluded.rejected_at, "
              "next_attempt_at = NULL");
  s.bind(1, run_id).bind(2, target).bind(3, error).bind(4, record::utc_now_iso8601());
  s.run();
}

std::map<std::int64_t, std::string> ResultStore::forward_states(
    const std::vector<record::RunRecord>& runs) const {
  std::map<std::int64_t, std::string> out;
  // A file older than the forward queue (schema 3), opened read-only, has no such table.
  Statement table(db_, "SELECT count(*) FROM sqlite_master WHERE name = 'forwards'");
  if (!table.step() || table.integer(0) == 0) return out;
  Statement any(db_, "SELECT EXISTS(SELECT 1 FROM forwards)");
  if (!any.step() || any.integer(0) == 0) return out;
  Statement q(db_,
              "SELECT group_concat(DISTINCT CASE WHEN f.sent_at IS NOT NULL THEN 'sent' WHEN "
              "f.rejected_at IS NOT NULL THEN 'set aside' WHEN f.attempts > 0 THEN 'waiting' ELSE "
              "'queued' END) FROM runs r LEFT JOIN forwards f ON f.run_id = r.id WHERE r.id = ?1 "
              "AND r.verdict <> 'RUNNING'");
  for (const auto& run : runs) {
    q.bind(1, run.id);
    if (q.step() && !q.text(0).empty()) out[run.id] = q.text(0);
    q.reset();
  }
  return out;
}

int ResultStore::retry_forwards(const std::string& target, const std::optional<std::string>& key) {
  std::optional<std::int64_t> run_id;
  if (key) run_id = load_run(*key).id;
  Statement s(db_,
              "UPDATE forwards SET rejected_at = NULL, next_attempt_at = NULL WHERE target = ?1 "
              "AND sent_at IS NULL AND (?2 IS NULL OR run_id = ?2)");
  s.bind(1, target);
  if (run_id) s.bind(2, *run_id);
  s.run();
  return sqlite3_changes(db_);
}

std::vector<RejectedForward> ResultStore::rejected_forwards(const std::string& target) const {
  Statement q(db_,
              "SELECT r.uuid, r.serial, f.last_error FROM forwards f JOIN runs r ON r.id = "
              "f.run_id WHERE f.target = ?1 AND f.rejected_at IS NOT NULL AND f.sent_at IS NULL "
              "ORDER BY r.id");
  q.bind(1, target);
  std::vector<RejectedForward> out;
  while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2)});
  return out;
}

}  // namespace ampbench::store
