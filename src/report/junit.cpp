#include "report/junit.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <string_view>

#include "record/point_words.hpp"
#include "report/svg_plot.hpp"

namespace ampbench::report {
namespace {

std::string seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", s);
  return b;
}

std::string measurement_line(const record::MeasurementRecord& m) {
  char b[96];
  std::snprintf(b, sizeof b, "%.6g", m.value);
  const auto shown = record::shown_verdict(m);
  std::string line = std::string(shown.empty() ? "measured" : shown) + " " + m.channel + " " +
                     m.name + " = " + (std::isfinite(m.value) ? b : "(none)") + " " + m.unit;
  if (!m.note.empty()) line += " (" + m.note + ")";
  if (m.low || m.high) {
    char l[96];
    std::snprintf(l, sizeof l, " [%s, %s]", m.low ? std::to_string(*m.low).c_str() : "",
                  m.high ? std::to_string(*m.high).c_str() : "");
    line += l;
  }
  if (const auto where = record::point_in_words(m.point); !where.empty()) line += " at " + where;
  return line;
}

}  // namespace

record::RunRecord junit_essentials(const record::RunRecord& run) {
  record::RunRecord kept = run;
  kept.sequence_text.clear();
  kept.station_text.clear();
  for (auto& step : kept.steps) {
    step.curves.clear();
    step.params = nlohmann::json::object();
  }
  return kept;
}

std::string render_junit(const std::vector<record::RunRecord>& runs) {
  int tests = 0, failures = 0, errors = 0;
  double total = 0.0;
  std::ostringstream suites;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto& run = runs[i];
    int f = 0, e = 0;
    std::ostringstream cases;
    for (const auto& s : run.steps) {
      const double t = record::seconds_between(s.started_at, s.finished_at);
      cases << "    <testcase name=\"" << xml_escape(s.step_id) << "\" classname=\""
            << xml_escape(run.sequence_name + "." + s.kind) << "\" time=\"" << seconds(t)
            << "\">\n";
      std::string failing;
      for (const auto& m : s.measurements)
        if (m.verdict != record::Verdict::pass) failing += measurement_line(m) + "\n";
      if (s.verdict == record::Verdict::fail) {
        ++f;
        cases << "      <failure type=\"FAIL\" message=\""
              << xml_escape(s.message.empty() ? "measurement outside its limits" : s.message)
              << "\">" << xml_escape(failing) << "</failure>\n";
      } else if (s.verdict == record::Verdict::error || s.verdict == record::Verdict::aborted ||
                 s.verdict == record::Verdict::running) {
        ++e;
        cases << "      <error type=\"" << record::verdict_name(s.verdict) << "\" message=\""
              << xml_escape(s.message) << "\">" << xml_escape(failing) << "</error>\n";
      }
      std::string out;
      for (const auto& m : s.measurements) out += measurement_line(m) + "\n";
      if (!out.empty()) cases << "      <system-out>" << xml_escape(out) << "</system-out>\n";
      cases << "    </testcase>\n";
    }
    const double t = record::seconds_between(run.started_at, run.finished_at);
    tests += static_cast<int>(run.steps.size());
    failures += f;
    errors += e;
    total += t;
    const std::string slot = run.slot.empty() ? "" : " (slot " + run.slot + ")";
    suites << "  <testsuite name=\"" << xml_escape(run.sequence_name + " — " + run.serial + slot)
           << "\" tests=\"" << run.steps.size() << "\" failures=\"" << f << "\" errors=\"" << e
           << "\" skipped=\"0\" time=\"" << seconds(t) << "\" timestamp=\""
           << xml_escape(run.started_at.substr(0, 19)) << "\" hostname=\""
           << xml_escape(run.station_name) << "\" id=\"" << i
           << "\" package=\"ampbench\">\n    <properties>\n";
    const std::pair<const char*, std::string> properties[] = {
        {"serial", run.serial},
        {"verdict", std::string(record::verdict_name(run.verdict))},
        {"run_uuid", run.uuid},
        {"station", run.station_name},
        {"slot", run.slot},
        {"operator", run.operator_name},
        {"software_version", run.software_version},
        {"sequence_sha256", run.sequence_sha256}};
    for (const auto& [name, value] : properties)
      if (!value.empty() || std::string_view(name) != "slot")
        suites << "      <property name=\"" << name << "\" value=\"" << xml_escape(value)
               << "\"/>\n";
    suites << "    </properties>\n" << cases.str() << "  </testsuite>\n";
  }
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ampbench\" tests=\"" << tests
    << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" time=\"" << seconds(total)
    << "\">\n"
    << suites.str() << "</testsuites>\n";
  return o.str();
}

}  // namespace ampbench::report
