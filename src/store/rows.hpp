// store: records to and from rows, in the column order of schema.hpp's read_columns and
// record_columns. Both stores use these over their own row types: a Row gives
// text(i), integer(i), real(i) (nullopt for NULL) and floats(i) (a float64 array).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "record/calibration.hpp"
#include "record/record.hpp"
#include "store/results_reader.hpp"

namespace ampbench::store {

// One value to write: NULL, an integer, a float64, text, or a float64 array.
using SqlValue =
    std::variant<std::monostate, std::int64_t, double, std::string, const std::vector<double>*>;

// read_columns(kRunsTable, …, with_key = true) from column `c` on.
template <typename Row>
record::RunRecord run_from(const Row& row, int c = 0) {
  record::RunRecord r;
  r.id = row.integer(c);
  r.uuid = row.text(c + 1);
  r.sequence_name = row.text(c + 2);
  r.sequence_sha256 = row.text(c + 3);
  r.sequence_text = row.text(c + 4);
  r.station_name = row.text(c + 5);
  r.line = row.text(c + 6);
  r.station_text = row.text(c + 7);
  r.serial = row.text(c + 8);
  r.operator_name = row.text(c + 9);
  r.software_version = row.text(c + 10);
  r.started_at = row.text(c + 11);
  r.finished_at = row.text(c + 12);
  r.verdict = record::parse_verdict(row.text(c + 13)).value_or(record::Verdict::error);
  r.slot = row.text(c + 14);
  if (const auto unit_s = row.real(c + 16)) {
    r.bench_time = record::BenchTime{row.real(c + 15).value_or(0.0), *unit_s,
                                     row.real(c + 17).value_or(0.0), row.integer(c + 18)};
  }
  r.limits_sha256 = row.text(c + 19);
  r.limits_text = row.text(c + 20);
  return r;
}

// read_columns(kStepsTable, …, with_key = true) from column `c` on.
template <typename Row>
record::StepRecord step_from(const Row& row, int c = 0) {
  record::StepRecord s;
  s.id = row.integer(c);
  s.ordinal = static_cast<int>(row.integer(c + 1));
  s.step_id = row.text(c + 2);
  s.kind = row.text(c + 3);
  s.params = nlohmann::json::parse(row.text(c + 4), nullptr, false);
  s.started_at = row.text(c + 5);
  s.finished_at = row.text(c + 6);
  s.verdict = record::parse_verdict(row.text(c + 7)).value_or(record::Verdict::error);
  s.message = row.text(c + 8);
  return s;
}

// read_columns(kMeasurementsTable) from column `c` on.
template <typename Row>
record::MeasurementRecord measurement_from(const Row& row, int c = 0) {
  record::MeasurementRecord m;
  m.channel = row.text(c);
  m.name = row.text(c + 1);
  // NULL is a value that could not be measured: missing, never 0.
  m.value = row.real(c + 2).value_or(std::numeric_limits<double>::quiet_NaN());
  m.unit = row.text(c + 3);
  m.low = row.real(c + 4);
  m.high = row.real(c + 5);
  m.verdict = record::parse_verdict(row.text(c + 6)).value_or(record::Verdict::error);
  m.point = nlohmann::json::parse(row.text(c + 7), nullptr, false);
  m.note = row.text(c + 8);
  m.uncertainty = row.real(c + 9);
  m.coverage_k = row.real(c + 10);
  m.flags = row.text(c + 11);
  return m;
}

// A measurement with its run and step: the run's uuid, station, line, serial, sequence,
// started_at and verdict, the step's id, then read_columns(kMeasurementsTable).
template <typename Row>
MeasurementRow measurement_row_from(const Row& row) {
  MeasurementRow m;
  m.run_uuid = row.text(0);
  m.station_name = row.text(1);
  m.line = row.text(2);
  m.serial = row.text(3);
  m.sequence_name = row.text(4);
  m.started_at = row.text(5);
  m.run_verdict = record::parse_verdict(row.text(6)).value_or(record::Verdict::error);
  m.step_id = row.text(7);
  m.measurement = measurement_from(row, 8);
  return m;
}

// A figure with no values yet, named by the first six columns: station, step id, channel,
// measurement name, unit, sweep point.
template <typename Row>
FigureAggregate figure_named_by(const Row& row) {
  FigureAggregate f;
  std::string* names[] = {&f.station, &f.step_id, &f.channel, &f.name, &f.unit, &f.point_json};
  for (int c = 0; c < 6; ++c) *names[c] = row.text(c);
  return f;
}

// read_columns(kCurvesTable) from column `c` on.
template <typename Row>
record::CurveRecord curve_from(const Row& row, int c = 0) {
  return {row.text(c),
          row.text(c + 1),
          row.text(c + 2),
          row.text(c + 3),
          row.floats(c + 4),
          row.floats(c + 5),
          nlohmann::json::parse(row.text(c + 6), nullptr, false),
          record::curve_style_from_json(nlohmann::json::parse(row.text(c + 7), nullptr, false))};
}

// record_columns(kRunsTable): what a station and the central store both keep of a run,
// its texts in full (a pending run's file keeps them so).
std::vector<SqlValue> run_values(const record::RunRecord& run);
// The same as a store writes it: the texts' columns '' (NULL where nullable), each text
// in `texts` under its sha256 instead (run_texts: sha256 → text, the ones the run has).
std::vector<SqlValue> stored_run_values(const record::RunRecord& run);
std::vector<std::pair<std::string, std::string>> run_texts(const record::RunRecord& run);
// A run's row as it ends: bind finish_values(run) from 1 on.
inline constexpr const char* kFinishRunSql =
    "UPDATE runs SET finished_at = ?1, verdict = ?2, stimulus_s = ?3, unit_s = ?4, analysis_s = "
    "?5, transfers = ?6 WHERE id = ?7";
std::vector<SqlValue> finish_values(const record::RunRecord& run);
// record_columns(kStepsTable), record_columns(kMeasurementsTable), record_columns(kCurvesTable).
std::vector<SqlValue> step_values(const record::StepRecord& step);
std::vector<SqlValue> measurement_values(const record::MeasurementRecord& m);
std::vector<SqlValue> curve_values(const record::CurveRecord& c);
std::vector<SqlValue> calibration_values(const record::CalibrationRecord& c);
// A self-test's row (kSelftestsTable's columns) from its result JSON.
std::vector<SqlValue> selftest_values(const nlohmann::json& result);

}  // namespace ampbench::store
