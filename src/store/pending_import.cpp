// The side files of runs the database could not take (store/pending_run.hpp), imported
// when the database is next opened for writing.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "store/pending_run.hpp"
#include "store/result_store.hpp"
#include "store/rows.hpp"
#include "store/schema.hpp"
#include "store/sqlite_statement.hpp"

namespace ampbench::store {

bool ResultStore::has_unfinished_runs() const {
  Statement q(db_, "SELECT EXISTS(SELECT 1 FROM runs WHERE verdict = 'RUNNING')");
  return q.step() && q.integer(0) != 0;
}

void ResultStore::import_pending_runs() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto dir = pending_dir(path_);
  if (!fs::is_directory(dir, ec)) return;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const auto& file = entry.path();
    // Temporaries (.UUID.json.partial-…) and the files of runs still under way stay.
    if (file.extension() != ".json" || pending_file_in_use(file)) continue;
    std::stringstream text;
    text << std::ifstream(file).rdbuf();
    PendingRun pending;
    try {
      pending = parse_pending_run(text.str());
    } catch (const std::exception&) {
      // Room reserved for a run that never needed it (its process was killed): that run,
      // if stored, is recovered as ABORTED next.
      fs::remove(file, ec);
      continue;
    }
    store_pending_run(pending);
    fs::remove(file, ec);
    ++imported_runs_;
  }
}

// One transaction: the run's row finished (or added, when even its start was not stored)
// and, when the side file holds the whole run, its steps replaced by the file's.
void ResultStore::store_pending_run(const PendingRun& pending) {
  Transaction t(db_);
  record::RunRecord run = pending.run;
  Statement find(db_, "SELECT id FROM runs WHERE uuid = ?1");
  find.bind(1, run.uuid);
  if (find.step()) {
    run.id = find.integer(0);
    Statement finish(db_, kFinishRunSql);
    finish.bind_all(1, finish_values(run));
    finish.run();
    if (pending.whole) {
      Statement drop(db_, "DELETE FROM steps WHERE run_id = ?1");
      drop.bind(1, run.id).run();
    } else {
      Statement unfinished(db_,
                           "UPDATE steps SET verdict = 'ERROR', finished_at = ?1, message = ?2 "
                           "WHERE run_id = ?3 AND verdict = 'RUNNING'");
      unfinished.bind(1, run.finished_at)
          .bind(2, "not stored: " + pending.reason)
          .bind(3, run.id)
          .run();
    }
  } else {
    store_texts(run);
    static const std::string sql = sqlite_insert_sql(kRunsTable, {"host", "pid"});
    Statement add(db_, sql.c_str());
    add.bind(1, std::string()).bind(2, std::int64_t{0}).bind_all(3, stored_run_values(run));
    add.run();
    run.id = sqlite3_last_insert_rowid(db_);
    record_calibrations_used(run);
  }
  if (pending.whole) {
    static const std::string step_sql = sqlite_insert_sql(kStepsTable, {"run_id"});
    static const std::string measurement_sql = sqlite_insert_sql(kMeasurementsTable, {"step_id"});
    static const std::string curve_sql = sqlite_insert_sql(kCurvesTable, {"step_id"});
    Statement s(db_, step_sql.c_str());
    Statement m(db_, measurement_sql.c_str());
    Statement c(db_, curve_sql.c_str());
    for (const auto& step : run.steps) {
      s.bind(1, run.id).bind_all(2, step_values(step)).run();
      const std::int64_t step_id = sqlite3_last_insert_rowid(db_);
      for (const auto& x : step.measurements)
        m.bind(1, step_id).bind_all(2, measurement_values(x)).run();
      for (const auto& curve : step.curves)
        c.bind(1, step_id).bind_all(2, curve_values(curve)).run();
    }
  }
  t.commit();
}

}  // namespace ampbench::store
