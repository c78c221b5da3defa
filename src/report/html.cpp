#include "report/html.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "record/dimensions.hpp"
#include "record/point_words.hpp"
#include "report/files.hpp"
#include "report/step_plots.hpp"
#include "report/svg_plot.hpp"

namespace ampbench::report {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string cell_class(record::Verdict v) {
  return std::string(" class=\"") + lower(record::verdict_name(v)) + "\"";
}

// Unlimited figures are only measured: neither green nor red.
std::string measurement_class(const record::MeasurementRecord& m) {
  const auto shown = record::shown_verdict(m);
  return shown.empty() ? " class=\"measured\"" : cell_class(m.verdict);
}

// A measurement's expanded uncertainty (± U, k) and note (why it has no value, or that it
// is a bound) beside its value.
std::string note_mark(const record::MeasurementRecord& m) {
  std::string mark;
  if (m.uncertainty && std::isfinite(m.value))
    mark += " <span class=\"uncertainty\">± " + format_value(*m.uncertainty) +
            (m.coverage_k ? " (k = " + format_value(*m.coverage_k) + ")" : std::string()) +
            "</span>";
  if (!m.note.empty()) mark += " <span class=\"note\">(" + xml_escape(m.note) + ")</span>";
  if (m.flags.find("at_analyzer_limit") != std::string::npos)
    mark +=
        " <span class=\"flag\" title=\"within 10 dB of the bench's own residual (its latest "
        "self-test): the figure may be the analyzer's, not the DUT's\">at analyzer limit</span>";
  return mark;
}

// A step's message; one of several parts ("; "-separated, such as the conditions a sweep
// could not reach) as a list, a line each.
std::string message_html(const std::string& message) {
  if (message.empty()) return "";
  std::vector<std::string> parts;
  for (std::size_t at = 0;;) {
    const auto next = message.find("; ", at);
    parts.push_back(message.substr(at, next == std::string::npos ? std::string::npos : next - at));
    if (next == std::string::npos) break;
    at = next + 2;
  }
  if (parts.size() == 1) return "<p class=\"message\">" + xml_escape(message) + "</p>\n";
  std::string out = "<ul class=\"message\">";
  for (const auto& part : parts) out += "<li>" + xml_escape(part) + "</li>";
  return out + "</ul>\n";
}

// Tables longer than this many rows are folded under their summary.
constexpr std::size_t kFoldedTableRows = 40;

// The innermost swept parameter of a step, from its stored table ("" without a sweep).
std::string inner_sweep_parameter(const record::StepRecord& s) {
  if (!s.params.contains("sweep")) return "";
  const auto& sweep = s.params["sweep"];
  const auto& last = sweep.is_array() && !sweep.empty() ? sweep.back() : sweep;
  return last.is_object() ? last.value("parameter", "") : "";
}

std::string condition_text(nlohmann::json point, const std::string& inner) {
  if (point.is_object()) point.erase(inner);
  return record::point_in_words(point);
}

std::string inner_words(const std::string& parameter) {
  if (const auto* dimension = record::find_dimension(parameter))
    return std::string(dimension->title);
  return parameter.empty() ? "Point" : parameter;
}

// One row per measurement; for a sweep, a pivot instead: a row per channel and point, a
// column per measurement (limits in the header), failing cells marked.
std::string measurement_table(const record::StepRecord& s) {
  if (s.measurements.empty()) return "";
  std::vector<std::string> names;
  std::vector<std::pair<std::string, std::string>> rows;  // channel, point
  for (const auto& m : s.measurements) {
    if (std::find(names.begin(), names.end(), m.name) == names.end()) names.push_back(m.name);
    const std::pair<std::string, std::string> row{m.channel, m.point.dump()};
    if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
  }
  std::ostringstream o;
  const bool pivot = rows.size() > 2 && rows.size() < s.measurements.size();
  if (!pivot) {
    o << "<table "
         "class=\"measurements\"><thead><tr><th>Channel</th><th>Measurement</th><th>Value</"
         "th><th>Unit</th>"
         "<th>Limits</th><th>Verdict</th><th>Point</th></tr></thead><tbody>\n";
    for (const auto& m : s.measurements) {
      const std::string mv(record::shown_verdict(m));
      o << "<tr" << measurement_class(m) << " data-name=\"" << xml_escape(m.name) << "\"><td>"
        << xml_escape(m.channel) << "</td><td>" << xml_escape(m.name) << "</td><td class=\"value\">"
        << format_value(m.value) << note_mark(m) << "</td><td>" << xml_escape(m.unit) << "</td><td>"
        << limits_text(m.low, m.high) << "</td><td>" << mv << "</td><td>"
        << xml_escape(record::point_in_words(m.point)) << "</td></tr>\n";
    }
    return o.str() + "</tbody></table>\n";
  }
  // A swept step's rows grouped by condition (the outer sweeps), each row naming only its
  // point in the inner sweep.
  const std::string inner = inner_sweep_parameter(s);
  std::vector<std::string> conditions;
  for (const auto& [channel, point] : rows) {
    const auto c = condition_text(nlohmann::json::parse(point), inner);
    if (std::find(conditions.begin(), conditions.end(), c) == conditions.end())
      conditions.push_back(c);
  }
  const bool grouped = conditions.size() > 1;
  o << "<table class=\"measurements pivot\"><thead><tr><th>Channel</th><th>"
    << (grouped ? xml_escape(inner_words(inner)) : std::string("Point")) << "</th>";
  for (const auto& name : names) {
    const record::MeasurementRecord* first = nullptr;
    bool same_limits = true;
    for (const auto& m : s.measurements) {
      if (m.name != name) continue;
      if (!first) first = &m;
      same_limits = same_limits && m.low == first->low && m.high == first->high;
    }
    o << "<th>" << xml_escape(name)
      << (first->unit.empty() ? "" : " (" + xml_escape(first->unit) + ")");
    if (!same_limits)
      o << "<br/>limits by point";
    else if (first->low || first->high)
      o << "<br/>" << limits_text(first->low, first->high);
    o << "</th>";
  }
  o << "</tr></thead><tbody>\n";
  for (const auto& condition : conditions) {
    if (grouped)
      o << "<tr class=\"condition\"><th colspan=\"" << names.size() + 2 << "\">"
        << xml_escape(condition) << "</th></tr>\n";
    for (const auto& [channel, point] : rows) {
      const auto json = nlohmann::json::parse(point);
      if (condition_text(json, inner) != condition) continue;
      nlohmann::json shown = nlohmann::json::object();
      if (grouped && json.contains(inner)) shown[inner] = json[inner];
      o << "<tr><td>" << xml_escape(channel) << "</td><td>"
        << xml_escape(record::point_in_words(grouped ? shown : json)) << "</td>";
      for (const auto& name : names) {
        const record::MeasurementRecord* cell = nullptr;
        for (const auto& m : s.measurements)
          if (m.name == name && m.channel == channel && m.point.dump() == point) cell = &m;
        if (!cell) {
          o << "<td></td>";
          continue;
        }
        o << "<td" << measurement_class(*cell) << " data-name=\"" << xml_escape(name) << "\"";
        if (cell->low || cell->high) o << " title=\"" << limits_text(cell->low, cell->high) << "\"";
        o << "><span class=\"value\">" << format_value(cell->value) << "</span>" << note_mark(*cell)
          << "</td>";
      }
      o << "</tr>\n";
    }
  }
  return o.str() + "</tbody></table>\n";
}

// Fills {{key}} slots of the template in one pass, so text from a run (a serial holding
// "{{steps}}", say) is never expanded itself.
std::string fill(const std::string& tmpl, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t open = tmpl.find("{{", at);
    if (open == std::string::npos) break;
    const std::size_t close = tmpl.find("}}", open);
    if (close == std::string::npos) break;
    out.append(tmpl, at, open - at);
    const auto it = values.find(tmpl.substr(open + 2, close - open - 2));
    out += it != values.end() ? it->second : tmpl.substr(open, close + 2 - open);
    at = close + 2;
  }
  return out + tmpl.substr(at);
}

}  // namespace

std::string format_value(double v) {
  if (!std::isfinite(v)) return "—";
  char b[32];
  const double a = std::abs(v);
  if (a != 0.0 && (a < 1e-3 || a >= 1e6))
    std::snprintf(b, sizeof b, "%.4g", v);
  else if (a >= 100.0)
    std::snprintf(b, sizeof b, "%.2f", v);
  else
    std::snprintf(b, sizeof b, "%.4f", v);
  return b;
}

namespace {

// "low … high", "≥ low", "≤ high" or "", each number as `number` writes it.
template <typename Format>
std::string limits_with(std::optional<double> low, std::optional<double> high, Format number,
                        const std::string& suffix) {
  if (low && high) return number(*low) + " … " + number(*high) + suffix;
  if (low) return "≥ " + number(*low) + suffix;
  if (high) return "≤ " + number(*high) + suffix;
  return "";
}

}  // namespace

std::string limits_text(std::optional<double> low, std::optional<double> high) {
  return limits_with(low, high, format_value, "");
}

std::string value_in_words(double value, const std::string& unit) {
  if (!std::isfinite(value)) return "— " + unit;
  char text[48];
  if (unit.rfind("dB", 0) == 0) {
    // No "-0.0000 dB": what rounds to zero is zero.
    std::snprintf(text, sizeof text, "%.4f", std::abs(value) < 5e-5 ? 0.0 : value);
  } else if ((unit == "V" || unit == "W") && value != 0.0 && std::abs(value) < 1e-3) {
    const bool micro = std::abs(value) >= 1e-6;
    std::snprintf(text, sizeof text, "%.4g %s%s", value * (micro ? 1e6 : 1e9), micro ? "µ" : "n",
                  unit.c_str());
    return text;
  } else {
    std::snprintf(text, sizeof text, "%.4g", value);
  }
  return unit.empty() ? text : std::string(text) + " " + unit;
}

std::string limit_in_words(std::optional<double> low, std::optional<double> high,
                           const std::string& unit) {
  const auto plain = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    return std::string(text);
  };
  return limits_with(low, high, plain, unit.empty() ? "" : " " + unit);
}

std::string failure_in_words(const record::MeasurementRecord& m) {
  const std::string where = record::point_in_words(m.point);
  char value[48] = "no value";
  if (std::isfinite(m.value))
    std::snprintf(value, sizeof value, "%.4g%s", m.value,
                  m.unit.empty() ? "" : (" " + m.unit).c_str());
  return m.channel + " " + m.name + " = " + std::string(value) +
         (where.empty() ? "" : " at " + where) + " (limit " +
         limit_in_words(m.low, m.high, m.unit) + ")" + (m.note.empty() ? "" : ": " + m.note);
}

std::string render_html(const record::RunRecord& run, const PlotOptions& plot_options) {
  const std::string verdict(record::verdict_name(run.verdict));
  std::ostringstream meta, summary, steps;
  std::string calibration;
  for (const auto& uuid : run.calibration_uuids)
    calibration += (calibration.empty() ? "records " : ", ") + uuid.substr(0, 8);
  const std::pair<const char*, std::string> rows[] = {
      {"Sequence", run.sequence_name},
      {"Station", run.slot.empty() ? run.station_name : run.station_name + ", slot " + run.slot},
      {"Operator", run.operator_name},
      {"Started", run.started_at},
      {"Finished", run.finished_at},
      {"Software", "ampbench " + run.software_version},
      {"Sequence SHA-256", run.sequence_sha256.substr(0, 16)},
      {"Calibration",
       calibration.empty() ? "the station file's nominal values (no record)" : calibration},
      {"Limits", run.limits_sha256.empty()
                     ? "the sequence's"
                     : "the sequence's, with a limits file (SHA-256 " +
                           run.limits_sha256.substr(0, 16) + ") replacing those it names"},
  };
  for (const auto& [name, value] : rows)
    meta << "<tr><th>" << name << "</th><td>" << xml_escape(value) << "</td></tr>\n";
  // Saved plots are named after the unit and the run, as report files are.
  const std::string file = safe_file_stem(run.serial) + "-run" + std::to_string(run.id);
  for (const auto& s : run.steps) {
    const std::string v(record::verdict_name(s.verdict));
    const std::string anchor = "step-" + std::to_string(s.ordinal);
    summary << "<a class=\"" << lower(v) << "\" href=\"#" << anchor << "\">"
            << xml_escape(s.step_id) << "</a>";
    steps << "<section class=\"step\" id=\"" << anchor << "\" data-verdict=\"" << v
          << "\">\n<h2><span class=\"badge " << lower(v) << "\">" << v << "</span>"
          << xml_escape(s.step_id) << " <span class=\"kind\">" << xml_escape(s.kind)
          << "</span></h2>\n";
    if (const auto conditions = record::conditions_in_words(s.params); !conditions.empty())
      steps << "<p class=\"conditions\">" << xml_escape(conditions) << "</p>\n";
    steps << message_html(s.message);
    // A long sweep's plots come first: its table is for looking things up, and folds away.
    const std::string table = measurement_table(s);
    const auto rows = static_cast<std::size_t>(std::count(table.begin(), table.end(), '\n'));
    const auto plots = plots_of(s, file + "-" + s.step_id, plot_options);
    if (rows > kFoldedTableRows)
      steps << plots
            << "<details class=\"table\" open=\"open\"><summary>Table: " << s.measurements.size()
            << " measurements</summary>\n"
            << table << "</details>\n";
    else
      steps << table << plots;
    steps << "</section>\n";
  }
  return fill(kRunTemplate,
              {{"style", kRunStylesheet},
               {"title", xml_escape(run.serial + " — " + run.sequence_name + " — " + verdict)},
               {"verdict_class", lower(verdict)},
               {"verdict", verdict},
               {"serial", xml_escape(run.serial)},
               {"sequence", xml_escape(run.sequence_name)},
               {"meta", meta.str()},
               {"summary", summary.str()},
               {"version", xml_escape(run.software_version)},
               {"uuid", xml_escape(run.uuid)},
               {"steps", steps.str()}});
}

}  // namespace ampbench::report
