// The calibration records of a station's SQLite file (SPEC §15): written once, read by
// `calibrations`, by the run that looks up the records its channels use, and with a run.
#include <sqlite3.h>

#include "common/error.hpp"
#include "store/result_store.hpp"
#include "store/rows.hpp"
#include "store/schema.hpp"
#include "store/sqlite_statement.hpp"

namespace ampbench::store {
namespace {

// Reads a row of read_columns(kCalibrationsTable, sqlite, {}, true), in description order.
record::CalibrationRecord calibration_from(const Statement& q) {
  record::CalibrationRecord c;
  int i = 0;
  c.id = q.integer(i++);
  c.uuid = q.text(i++);
  c.station_name = q.text(i++);
  c.channel = static_cast<int>(q.integer(i++));
  c.direction = q.text(i++);
  c.sample_rate_hz = q.real(i++).value_or(0.0);
  c.range = q.text(i++);
  c.vrms_at_0dbfs = q.real(i++).value_or(0.0);
  c.u_db = q.real(i++).value_or(0.0);
  c.coverage_k = q.real(i++).value_or(2.0);
  c.created_at = q.text(i++);
  c.valid_until = q.text(i++);
  c.operator_name = q.text(i++);
  c.reference_idn = q.text(i++);
  c.reference_due = q.text(i++);
  c.temperature_c = q.real(i++);
  c.readings = nlohmann::json::parse(q.text(i++), nullptr, false);
  c.note = q.text(i++);
  return c;
}

std::string select_calibrations(const std::string& where) {
  return "SELECT " + read_columns(kCalibrationsTable, Dialect::sqlite, {}, true) +
         " FROM calibrations " + where;
}

}  // namespace

std::int64_t ResultStore::add_calibration(record::CalibrationRecord& c) {
  if (c.uuid.empty()) c.uuid = record::new_uuid_v4();
  if (c.created_at.empty()) c.created_at = record::utc_now_iso8601();
  std::string columns, params;
  int n = 0;
  for (auto column : record_columns(kCalibrationsTable)) {
    columns += (n ? ", " : "") + std::string(column);
    params += (n ? ", ?" : "?") + std::to_string(n + 1);
    ++n;
  }
  Statement s(db_, ("INSERT INTO calibrations(" + columns + ") VALUES(" + params + ")").c_str());
  s.bind_all(1, calibration_values(c));
  s.run();
  c.id = sqlite3_last_insert_rowid(db_);
  return c.id;
}

std::vector<record::CalibrationRecord> ResultStore::list_calibrations(
    const std::string& station_name) const {
  Statement q(db_,
              select_calibrations("WHERE ?1 = '' OR station_name = ?1 ORDER BY id DESC").c_str());
  q.bind(1, station_name);
  std::vector<record::CalibrationRecord> out;
  while (q.step()) out.push_back(calibration_from(q));
  return out;
}

record::CalibrationRecord ResultStore::load_calibration(const std::string& key) const {
  Statement q(db_, select_calibrations("WHERE CAST(id AS TEXT) = ?1 OR uuid = ?1 OR (length(?1) "
                                       ">= 8 AND substr(uuid, 1, length(?1)) = ?1) ORDER BY "
                                       "(CAST(id AS TEXT) = ?1) DESC")
                       .c_str());
  q.bind(1, key);
  if (!q.step()) throw InputError(path_, "no calibration '" + key + "' in this database");
  return calibration_from(q);
}

std::vector<record::CalibrationRecord> ResultStore::current_calibrations(
    const std::string& station_name, double sample_rate_hz) const {
  // The newest record of each channel and direction (ids grow with time).
  Statement q(db_, select_calibrations(
                       "WHERE id IN (SELECT max(id) FROM calibrations WHERE station_name = ?1 "
                       "AND sample_rate_hz = ?2 GROUP BY channel, direction) ORDER BY direction, "
                       "channel")
                       .c_str());
  q.bind(1, station_name).bind(2, sample_rate_hz);
  std::vector<record::CalibrationRecord> out;
  while (q.step()) out.push_back(calibration_from(q));
  return out;
}

void ResultStore::record_calibrations_used(const record::RunRecord& run) {
  Statement s(db_,
              "INSERT INTO run_calibrations(run_id, calibration_id) SELECT ?1, id FROM "
              "calibrations WHERE uuid = ?2");
  for (const auto& uuid : run.calibration_uuids) {
    s.bind(1, run.id).bind(2, uuid);
    s.run();
  }
}

std::vector<std::string> ResultStore::calibrations_used(std::int64_t run_id) const {
  Statement q(db_,
              "SELECT c.uuid FROM run_calibrations rc JOIN calibrations c ON c.id = "
              "rc.calibration_id WHERE rc.run_id = ?1 ORDER BY c.direction, c.channel");
  q.bind(1, run_id);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

}  // namespace ampbench::store
