// What the results, report and stats commands read, from either store: a station's SQLite
// file or the line's central PostgreSQL database. open_results picks by the name given:
// a postgresql:// (or postgres://) URI, else a SQLite path.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "record/record.hpp"

namespace ampbench::store {

// "run prefix 'ab12cd34' matches several runs: UUID (serial S, started T), …: give more of
// the uuid", for a key that names more than one run (at most six listed).
std::string ambiguous_run_prefix(const std::string& key,
                                 const std::vector<record::RunRecord>& candidates);

struct RunFilter {
  // Serial number: exact, or a glob pattern with * and ? ("AMP-24*").
  std::optional<std::string> serial;
  std::optional<record::Verdict> verdict;
  std::optional<std::string> since;  // ISO 8601: started_at >= since
  std::optional<std::string> until;  // started_at < until
  std::optional<std::string> station;
  std::optional<std::string> line;
  std::optional<std::string> sequence;
  std::optional<std::string> slot;  // the test slot's name (SPEC §11)
  int limit = 100;                  // runs; 0 = no limit
};

// One stored measurement with the run and step it belongs to: what line statistics read.
struct MeasurementRow {
  std::string run_uuid;
  std::string station_name;
  std::string line;
  std::string serial;
  std::string sequence_name;
  std::string started_at;
  record::Verdict run_verdict = record::Verdict::pass;
  std::string step_id;
  record::MeasurementRecord measurement;
};

class ResultsReader {
 public:
  virtual ~ResultsReader() = default;
  virtual std::string name() const = 0;  // for messages
  virtual std::vector<record::RunRecord> list_runs(
      const RunFilter& filter) const = 0;  // newest first
  // By row id or uuid (or a unique uuid prefix); throws InputError when not found.
  virtual record::RunRecord load_run(const std::string& id_or_uuid) const = 0;
  // Every measurement of the finished runs the filter selects (its limit ignored), oldest
  // run first, in step and measurement order.
  virtual std::vector<MeasurementRow> measurement_rows(const RunFilter& filter) const = 0;
  // Where each run stands with the station's forward target ("sent", "queued", "waiting"
  // after a failure, "set aside" once refused), by run id; empty where nothing forwards.
  virtual std::map<std::int64_t, std::string> forward_states(
      const std::vector<record::RunRecord>&) const {
    return {};
  }
};

// Opens for reading; a SQLite path must exist. Throws IoError naming the store.
std::unique_ptr<ResultsReader> open_results(const std::string& name);

// "AMP-1*" → "AMP-1%" for SQL LIKE with '\' as escape: the one pattern both stores share.
std::string glob_to_like(const std::string& glob);

}  // namespace ampbench::store
