// store: the production line's central results database, PostgreSQL through libpqxx.
// The same tables as a station's SQLite file (SPEC §7; BLOB → bytea, JSON text → jsonb,
// times → timestamptz), created and migrated by ampbench under an advisory lock so that
// stations starting together agree. Stations write only whole runs, one transaction each,
// keyed by the run's uuid: sending a run twice leaves it there once. Credentials come
// from libpq (PGPASSWORD, ~/.pgpass, a service file), never from a station file.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "record/calibration.hpp"
#include "store/results_reader.hpp"

namespace ampbench::store {

// The server refused a run for what it holds (a value it cannot store), with the
// connection still up: that run, not the server, is the problem.
class RunRejected : public IoError {
 public:
  using IoError::IoError;
};

// The server refused a run for a reason every run would meet (a privilege revoked, a table
// or column missing, a read-only or full server): the queue waits, no run is set aside.
class TargetRefused : public IoError {
 public:
  using IoError::IoError;
};

class PostgresStore : public ResultsReader {
 public:
  enum class Mode { read_write, read_only };
  // Connects (waiting at most connect_timeout unless the URI sets its own) and, for
  // writing, creates or migrates the schema. Throws IoError naming the redacted URI.
  static std::unique_ptr<PostgresStore> open(
      const std::string& uri, Mode mode,
      std::chrono::seconds connect_timeout = std::chrono::seconds(10));
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  static constexpr int kSchemaVersion = 9;

  // The whole run in one transaction, with the calibration records its volts came from and
  // the self-test its results were flagged against (those not yet there): true when
  // inserted, false when a run with its uuid is already there (then nothing of the run is
  // written). Throws IoError; nothing of the run is visible unless all of it is.
  bool insert_run(const record::RunRecord& run,
                  const std::vector<record::CalibrationRecord>& calibrations = {},
                  const std::optional<nlohmann::json>& selftest = std::nullopt);

  std::string name() const override { return name_; }
  std::vector<record::RunRecord> list_runs(const RunFilter& filter) const override;
  record::RunRecord load_run(const std::string& id_or_uuid) const override;
  std::vector<MeasurementRow> measurement_rows(const RunFilter& filter) const override;
  // Line statistics' reads (postgres_aggregates.cpp).
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

 private:
  struct Connection;
  PostgresStore(std::unique_ptr<Connection> connection, std::string name);
  void migrate();
  void bridge_missing_columns();
  void find_steps_sequence();
  std::unique_ptr<Connection> connection_;
  std::string name_;
  std::string steps_sequence_;  // the identity sequence behind steps.id
};

}  // namespace ampbench::store
