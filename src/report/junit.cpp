#include "report/junit.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string_view>

#include "common/error.hpp"
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

namespace {

struct Totals {
  int tests = 0, failures = 0, errors = 0;
  double time_s = 0.0;
};

// One run's <testsuite>, its counts added to `totals`.
std::string render_suite(const record::RunRecord& run, std::size_t index, Totals& totals) {
  int f = 0, e = 0;
  std::ostringstream cases;
  for (const auto& s : run.steps) {
    const double t = record::seconds_between(s.started_at, s.finished_at);
    cases << "    <testcase name=\"" << xml_escape(s.step_id) << "\" classname=\""
          << xml_escape(run.sequence_name + "." + s.kind) << "\" time=\"" << seconds(t) << "\">\n";
    std::string failing;
    for (const auto& m : s.measurements)
      if (m.verdict != record::Verdict::pass) failing += measurement_line(m) + "\n";
    if (s.verdict == record::Verdict::fail) {
      ++f;
      cases << "      <failure type=\"FAIL\" message=\""
            << xml_escape(s.message.empty() ? "measurement outside its limits" : s.message) << "\">"
            << xml_escape(failing) << "</failure>\n";
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
  totals.tests += static_cast<int>(run.steps.size());
  totals.failures += f;
  totals.errors += e;
  totals.time_s += t;
  std::ostringstream suite;
  const std::string slot = run.slot.empty() ? "" : " (slot " + run.slot + ")";
  suite << "  <testsuite name=\"" << xml_escape(run.sequence_name + " — " + run.serial + slot)
        << "\" tests=\"" << run.steps.size() << "\" failures=\"" << f << "\" errors=\"" << e
        << "\" skipped=\"0\" time=\"" << seconds(t) << "\" timestamp=\""
        << xml_escape(run.started_at.substr(0, 19)) << "\" hostname=\""
        << xml_escape(run.station_name) << "\" id=\"" << index
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
      suite << "      <property name=\"" << name << "\" value=\"" << xml_escape(value) << "\"/>\n";
  suite << "    </properties>\n" << cases.str() << "  </testsuite>\n";
  return suite.str();
}

std::string suites_head(const Totals& totals) {
  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ampbench\" tests=\""
    << totals.tests << "\" failures=\"" << totals.failures << "\" errors=\"" << totals.errors
    << "\" time=\"" << seconds(totals.time_s) << "\">\n";
  return o.str();
}

constexpr const char* kSuitesTail = "</testsuites>\n";

}  // namespace

std::string render_junit(const std::vector<record::RunRecord>& runs) {
  Totals totals;
  std::string suites;
  for (std::size_t i = 0; i < runs.size(); ++i) suites += render_suite(runs[i], i, totals);
  return suites_head(totals) + suites + kSuitesTail;
}

JunitFile::JunitFile(std::filesystem::path target)
    : target_(std::move(target)), suites_(target_.string() + ".suites") {
  suites_out_.open(suites_.temp(), std::ios::binary | std::ios::trunc);
}

void JunitFile::add(const record::RunRecord& run) {
  Totals one;
  suites_out_ << render_suite(run, count_++, one);
  tests_ += one.tests;
  failures_ += one.failures;
  errors_ += one.errors;
  time_s_ += one.time_s;
}

void JunitFile::finish() {
  suites_out_.close();
  if (!suites_out_) throw IoError(target_.string() + ": write failed (its units' part)");
  PendingFile whole(target_);
  {
    std::ofstream out(whole.temp(), std::ios::binary | std::ios::trunc);
    std::ifstream suites(suites_.temp(), std::ios::binary);
    out << suites_head({tests_, failures_, errors_, time_s_});
    if (count_ > 0) out << suites.rdbuf();
    out << kSuitesTail;
    out.close();
    if (!out) throw IoError(target_.string() + ": write failed");
  }
  whole.commit();
}

}  // namespace ampbench::report
