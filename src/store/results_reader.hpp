// What the results, report and stats commands read, from either store: a station's SQLite
// file or the line's central PostgreSQL database. open_results picks by the name given:
// a postgresql:// (or postgres://) URI, else a SQLite path.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "record/record.hpp"
#include "store/line_aggregates.hpp"

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
  // What line statistics and derived limits read (line_aggregates.hpp), over the same
  // runs, in memory bounded by the number of figures: every finite value's figure by
  // station (of the named steps; every step's when none are named); the yield tallies by
  // station (or of the whole line) and by day.
  virtual std::vector<FigureAggregate> figure_aggregates(
      const RunFilter& filter, const std::set<std::string>& steps) const = 0;
  virtual std::vector<RunTally> run_tallies(const RunFilter& filter, bool whole_line) const = 0;
  virtual std::vector<DayTally> day_tallies(const RunFilter& filter) const = 0;
  virtual std::vector<std::string> slot_names(const RunFilter& filter) const = 0;
  // The same runs' measurements newest run first (a run's in no set order), until `visit`
  // returns false.
  virtual void visit_newest_measurements(
      const RunFilter& filter, const std::function<bool(const MeasurementRow&)>& visit) const = 0;
  // The curves of the named steps (every step's when none are named), run by run.
  virtual void visit_curves(const RunFilter& filter, const std::set<std::string>& steps,
                            const std::function<void(const std::string& step_id,
                                                     const record::CurveRecord&)>& visit) const = 0;
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
