#include "store/rows.hpp"

#include <algorithm>

#include "store/schema.hpp"

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
  // A record made without its hashes (an import, a test) gets them from its texts.
  const auto hash_of = [](const std::string& hash, const std::string& text) {
    return hash.empty() && !text.empty() ? record::sha256_hex(text) : hash;
  };
  return {r.uuid,
          r.sequence_name,
          hash_of(r.sequence_sha256, r.sequence_text),
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
          text_or_null(hash_of(r.limits_sha256, r.limits_text)),
          text_or_null(r.limits_text),
          text_or_null(hash_of("", r.station_text))};
}

namespace {

std::string text_of(const SqlValue& v) {
  const auto* text = std::get_if<std::string>(&v);
  return text ? *text : std::string();
}

}  // namespace

std::vector<SqlValue> stored_run_values(const record::RunRecord& r) {
  auto values = run_values(r);
  const auto columns = record_columns(kRunsTable);
  const auto index_of = [&](std::string_view name) {
    return static_cast<std::size_t>(std::find(columns.begin(), columns.end(), name) -
                                    columns.begin());
  };
  // Only a text its row's hash column names exactly moves to `texts`: another hash there
  // would find another text.
  for (const Column& c : kRunsTable.columns) {
    if (c.text_by_hash.empty()) continue;
    auto& text = values[index_of(c.name)];
    const std::string content = text_of(text);
    if (!content.empty() &&
        text_of(values[index_of(c.text_by_hash)]) == record::sha256_hex(content))
      text = c.nullable ? SqlValue{std::monostate{}} : SqlValue{std::string()};
  }
  return values;
}

std::vector<std::pair<std::string, std::string>> run_texts(const record::RunRecord& r) {
  std::vector<std::pair<std::string, std::string>> texts;
  const auto add = [&](const std::string& hash, const std::string& text) {
    if (text.empty()) return;
    const std::string own = record::sha256_hex(text);
    if (hash.empty() || hash == own) texts.emplace_back(own, text);
  };
  add(r.sequence_sha256, r.sequence_text);
  add("", r.station_text);
  add(r.limits_sha256, r.limits_text);
  return texts;
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

std::vector<SqlValue> selftest_values(const nlohmann::json& result) {
  return {result.at("uuid").get<std::string>(), result.at("station").get<std::string>(),
          result.at("started_at").get<std::string>(), result.at("verdict").get<std::string>(),
          result.dump()};
}

}  // namespace ampbench::store
