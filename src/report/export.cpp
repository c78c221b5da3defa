#include "report/export.hpp"

#include <cmath>

namespace ampbench::report {
namespace {

nlohmann::json optional_number(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

std::string flatten_point(const nlohmann::json& point) {
  std::string out;
  if (!point.is_object()) return out;
  for (const auto& [key, value] : point.items()) {
    if (!out.empty()) out += ';';
    out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

std::string number(double v) {
  if (!std::isfinite(v)) return "";
  char b[32];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

}  // namespace

nlohmann::json run_to_json(const record::RunRecord& run, bool with_curves, bool with_texts) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : run.steps) {
    nlohmann::json measurements = nlohmann::json::array();
    for (const auto& m : s.measurements) {
      measurements.push_back(
          {{"channel", m.channel},
           {"name", m.name},
           {"value", std::isfinite(m.value) ? nlohmann::json(m.value) : nlohmann::json()},
           {"unit", m.unit},
           {"low", optional_number(m.low)},
           {"high", optional_number(m.high)},
           {"verdict", record::verdict_name(m.verdict)},
           {"point", m.point},
           {"note", m.note},
           {"uncertainty", optional_number(m.uncertainty)},
           {"coverage_k", optional_number(m.coverage_k)},
           {"flags", m.flags}});
    }
    nlohmann::json step = {{"ordinal", s.ordinal},
                           {"id", s.step_id},
                           {"kind", s.kind},
                           {"verdict", record::verdict_name(s.verdict)},
                           {"message", s.message},
                           {"started_at", s.started_at},
                           {"finished_at", s.finished_at},
                           {"measurements", measurements}};
    if (s.params.contains("conditions")) step["conditions"] = s.params["conditions"];
    if (with_curves) {
      nlohmann::json curves = nlohmann::json::array();
      for (const auto& c : s.curves)
        curves.push_back({{"channel", c.channel},
                          {"name", c.name},
                          {"x_unit", c.x_unit},
                          {"y_unit", c.y_unit},
                          {"point", c.point},
                          {"x", c.x},
                          {"y", c.y}});
      step["curves"] = curves;
    }
    steps.push_back(step);
  }
  nlohmann::json j = {{"id", run.id},
                      {"uuid", run.uuid},
                      {"serial", run.serial},
                      {"verdict", record::verdict_name(run.verdict)},
                      {"sequence_name", run.sequence_name},
                      {"sequence_sha256", run.sequence_sha256},
                      {"station_name", run.station_name},
                      {"operator", run.operator_name},
                      {"software_version", run.software_version},
                      {"started_at", run.started_at},
                      {"finished_at", run.finished_at},
                      {"steps", steps}};
  if (!run.slot.empty()) j["slot"] = run.slot;
  if (run.bench_time) {
    j["stimulus_s"] = run.bench_time->stimulus_s;
    j["unit_s"] = run.bench_time->unit_s;
    j["analysis_s"] = run.bench_time->analysis_s;
    j["transfers"] = run.bench_time->transfers;
  }
  if (!run.limits_sha256.empty()) j["limits_sha256"] = run.limits_sha256;
  j["calibration_uuids"] = run.calibration_uuids;
  if (with_texts) {
    j["sequence_text"] = run.sequence_text;
    j["station_text"] = run.station_text;
    if (!run.limits_text.empty()) j["limits_text"] = run.limits_text;
  }
  return j;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void write_csv(std::ostream& out, const std::vector<record::RunRecord>& runs) {
  out << "run_uuid,serial,run_verdict,started_at,step,kind,step_verdict,channel,name,value,unit,"
         "low,high,verdict,point,note\n";
  for (const auto& r : runs) {
    for (const auto& s : r.steps) {
      for (const auto& m : s.measurements) {
        out << r.uuid << ',' << csv_field(r.serial) << ',' << record::verdict_name(r.verdict) << ','
            << r.started_at << ',' << csv_field(s.step_id) << ',' << s.kind << ','
            << record::verdict_name(s.verdict) << ',' << csv_field(m.channel) << ',' << m.name
            << ',' << number(m.value) << ',' << m.unit << ',' << (m.low ? number(*m.low) : "")
            << ',' << (m.high ? number(*m.high) : "") << ',' << record::verdict_name(m.verdict)
            << ',' << csv_field(flatten_point(m.point)) << ',' << csv_field(m.note) << '\n';
      }
    }
  }
}

}  // namespace ampbench::report
