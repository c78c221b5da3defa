#include "store/rows.hpp"

namespace ampbench::store {
namespace {

SqlValue text_or_null(const std::string& s) {
  if (s.empty()) return std::monostate{};
  return s;
}

SqlValue real_or_null(const std::optional<double>& v) {
  if (!v) return std::monostate{};
  return *v;
}

std::string verdict(record::Verdict v) {
  return std::string(record::verdict_name(v));
}

// One of the run's bench-time columns: NULL while the run has none.
template <typename T>
SqlValue bench_time(const record::RunRecord& r, T record::BenchTime::*field) {
  if (!r.bench_time) return std::monostate{};
  return (*r.bench_time).*field;
}

}  // namespace

std::vector<SqlValue> run_values(const record::RunRecord& r) {
  return {r.uuid,
          r.sequence_name,
          r.sequence_sha256,
          r.sequence_text,
          r.station_name,
          r.line,
          r.station_text,
          r.serial,
          r.operator_name,
          r.software_version,
          r.started_at,
          text_or_null(r.finished_at),
          verdict(r.verdict),
          text_or_null(r.slot),
          bench_time(r, &record::BenchTime::stimulus_s),
          bench_time(r, &record::BenchTime::unit_s),
          bench_time(r, &record::BenchTime::analysis_s),
          bench_time(r, &record::BenchTime::transfers),
          text_or_null(r.limits_sha256),
          text_or_null(r.limits_text)};
}

std::vector<SqlValue> finish_values(const record::RunRecord& r) {
  return {text_or_null(r.finished_at),
          verdict(r.verdict),
          bench_time(r, &record::BenchTime::stimulus_s),
          bench_time(r, &record::BenchTime::unit_s),
          bench_time(r, &record::BenchTime::analysis_s),
          bench_time(r, &record::BenchTime::transfers),
          r.id};
}

std::vector<SqlValue> step_values(const record::StepRecord& s) {
  return {static_cast<std::int64_t>(s.ordinal),
          s.step_id,
          s.kind,
          s.params.dump(),
          s.started_at,
          text_or_null(s.finished_at),
          verdict(s.verdict),
          s.message};
}

std::vector<SqlValue> measurement_values(const record::MeasurementRecord& m) {
  return {m.channel,
          m.name,
          m.value,
          m.unit,
          real_or_null(m.low),
          real_or_null(m.high),
          verdict(m.verdict),
          m.point.dump(),
          m.note,
          real_or_null(m.uncertainty),
          real_or_null(m.coverage_k),
          m.flags};
}

std::vector<SqlValue> curve_values(const record::CurveRecord& c) {
  return {c.channel, c.name, c.x_unit,       c.y_unit,
          &c.x,      &c.y,   c.point.dump(), to_json(c.style).dump()};
}

std::vector<SqlValue> calibration_values(const record::CalibrationRecord& c) {
  const auto optional_text = [](const std::string& v) -> SqlValue {
    if (v.empty()) return std::monostate{};
    return v;
  };
  return {c.uuid,
          c.station_name,
          static_cast<std::int64_t>(c.channel),
          c.direction,
          c.sample_rate_hz,
          optional_text(c.range),
          c.vrms_at_0dbfs,
          c.u_db,
          c.coverage_k,
          c.created_at,
          optional_text(c.valid_until),
          c.operator_name,
          c.reference_idn,
          c.reference_due,
          c.temperature_c ? SqlValue(*c.temperature_c) : SqlValue(std::monostate{}),
          c.readings.dump(),
          c.note};
}

}  // namespace ampbench::store
