#include "report/line_html.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "report/html.hpp"
#include "report/svg_plot.hpp"
#include "stats/histogram.hpp"

namespace ampbench::report {
namespace {

std::string percent(double fraction) {
  char b[16];
  std::snprintf(b, sizeof b, "%.1f %%", 100.0 * fraction);
  return b;
}

std::string optional_value(const std::optional<double>& v) {
  return v ? format_value(*v) : "—";
}

std::string station_name(const std::string& station) {
  return station.empty() ? "line (all stations)" : station;
}

// Fails units, drifts or is not capable (Cpk < 1.33): marked in the table, always charted.
bool needs_attention(const stats::MeasurementStats& m) {
  const auto& c = m.capability;
  return (c.cpk && *c.cpk < 1.33) || m.drift.drifting || c.passed < c.count;
}

// Counts per bin as an outline (a polyline up and down each bar), limits and mean marked;
// units beyond the bulk (stats/histogram.hpp) are listed under the chart, not binned.
std::string histogram(const stats::MeasurementStats& m) {
  const auto& c = m.capability;
  std::vector<double> values;
  for (const auto& u : m.series) values.push_back(u.value);
  const auto h = stats::robust_histogram(values);
  PlotSeries outline{"units", {}, {}, "", 0};
  for (std::size_t b = 0; b < h.counts.size(); ++b) {
    const double x0 = h.start + static_cast<double>(b) * h.bin_width, x1 = x0 + h.bin_width;
    const double n = h.counts[b];
    for (const auto& [x, y] : {std::pair{x0, 0.0}, {x0, n}, {x1, n}, {x1, 0.0}}) {
      outline.x.push_back(x);
      outline.y.push_back(y);
    }
  }
  Plot plot{m.series_from > 0 ? "Distribution of the newest " + std::to_string(m.series.size())
                              : std::string("Distribution"),
            m.key.name + " (" + m.key.unit + ")",
            "Units",
            false,
            false,
            {outline},
            std::nullopt,
            {{c.mean, "mean"}},
            {}};
  if (c.low) plot.markers.push_back({*c.low, "LSL"});
  if (c.high) plot.markers.push_back({*c.high, "USL"});
  // What the chart cannot show is said under it: units beyond the bulk, limits beyond the
  // bins (a capable process is narrow beside its limits).
  std::vector<std::string> notes;
  if (!h.outliers.empty()) {
    std::string text = std::to_string(h.outliers.size()) +
                       (h.outliers.size() == 1 ? " unit" : " units") + " outside the chart:";
    const std::size_t shown = std::min<std::size_t>(h.outliers.size(), 5);
    for (std::size_t k = 0; k < shown; ++k) {
      const auto& u = m.series[h.outliers[k]];
      text += std::string(k ? "," : "") + " unit " + std::to_string(h.outliers[k] + 1) + " (" +
              u.serial + ") " + format_value(u.value) + " " + m.key.unit;
    }
    if (h.outliers.size() > shown)
      text += " and " + std::to_string(h.outliers.size() - shown) + " more";
    notes.push_back(text);
  }
  const double chart_low = h.start,
               chart_high = h.start + h.bin_width * static_cast<double>(h.counts.size());
  for (const auto& [name, limit] : {std::pair{"LSL", c.low}, std::pair{"USL", c.high}})
    if (limit && (*limit < chart_low || *limit > chart_high))
      notes.push_back(std::string(name) + " " + format_value(*limit) + " " + m.key.unit + " is " +
                      (*limit < chart_low ? "below" : "above") + " the chart");
  std::string out = "<figure class=\"chart\">" + render_svg(plot, 460, 240);
  for (const auto& note : notes) out += "<figcaption>" + xml_escape(note) + "</figcaption>";
  return out + "</figure>";
}

std::string control_chart(const stats::MeasurementStats& m) {
  const auto& c = m.capability;
  // Units are numbered among all the figure's, however many of the newest are shown.
  const auto first_shown = static_cast<double>(m.series_from + 1);
  const auto n = static_cast<double>(m.series_from) + static_cast<double>(m.series.size());
  PlotSeries values{"value", {}, {}, "", 0};
  for (std::size_t i = 0; i < m.series.size(); ++i) {
    values.x.push_back(first_shown + static_cast<double>(i));
    values.y.push_back(m.series[i].value);
  }
  Plot plot{"Control chart",
            "Unit (run order)",
            m.key.name + " (" + m.key.unit + ")",
            false,
            false,
            {values},
            std::nullopt,
            {},
            {}};
  const auto horizontal = [&](const std::string& name, double y, double from) {
    plot.series.push_back({name, {from, n}, {y, y}, "", 0});
  };
  if (c.high) horizontal("USL", *c.high, first_shown);
  if (c.low) horizontal("LSL", *c.low, first_shown);
  if (m.drift.evaluated) {
    PlotSeries ewma{"EWMA", {}, {}, "", 0};
    const double first = n - static_cast<double>(m.drift.ewma.size()) + 1.0;
    for (std::size_t i = 0; i < m.drift.ewma.size(); ++i) {
      ewma.x.push_back(first + static_cast<double>(i));
      ewma.y.push_back(m.drift.ewma[i]);
    }
    plot.series.push_back(ewma);
    horizontal("EWMA UCL", m.drift.upper, first);
    if (std::isfinite(m.drift.lower)) horizontal("EWMA LCL", m.drift.lower, first);
    if (m.drift.drifting)
      plot.markers.push_back({static_cast<double>(m.drift.first_out + 1), "drift"});
  }
  return render_svg(plot, 460, 240);
}

std::string drift_text(const stats::MeasurementStats& m) {
  if (!m.drift.evaluated)
    return "needs " + std::to_string(m.drift.units_needed) + " units, has " +
           std::to_string(m.capability.count);
  if (!m.drift.drifting) return "stable";
  return "DRIFT from unit " + std::to_string(m.drift.first_out + 1) + " (" +
         m.drift.first_out_serial + ")";
}

}  // namespace

std::string render_line_html(const stats::LineStats& line, const std::string& scope) {
  std::ostringstream o;
  o << "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
       "<meta charset=\"utf-8\"/>\n<title>Line summary</title>\n<style>"
    << kRunStylesheet << "</style>\n</head>\n<body>\n<header class=\"run\"><div class=\"unit\">"
    << "<h1>Line summary</h1><p class=\"sequence\">" << xml_escape(scope) << "</p></div></header>\n"
    << "<main>\n<section class=\"step\" id=\"yield\"><h2>Yield per station</h2>\n"
    << "<table class=\"measurements\"><thead><tr><th>Station</th><th>Runs</th><th>Passed</th>"
       "<th>Run yield</th><th>Units</th><th>First-pass yield</th><th>Final yield</th></tr>"
       "</thead><tbody>\n";
  for (const auto& s : line.stations)
    o << "<tr><td>" << xml_escape(station_name(s.station)) << "</td><td>" << s.runs << "</td><td>"
      << s.passed_runs << "</td><td>" << percent(s.run_yield) << "</td><td>" << s.units
      << "</td><td>" << percent(s.first_pass_yield) << "</td><td>" << percent(s.final_yield)
      << "</td></tr>\n";
  o << "</tbody></table>\n<h2>Yield per day (UTC)</h2>\n<table class=\"measurements\"><thead>"
       "<tr><th>Day</th><th>Station</th><th>Runs</th><th>Passed</th><th>Yield</th></tr></thead>"
       "<tbody>\n";
  for (const auto& d : line.days)
    o << "<tr><td>" << d.day << "</td><td>" << xml_escape(d.station) << "</td><td>" << d.runs
      << "</td><td>" << d.passed_runs << "</td><td>" << percent(d.yield) << "</td></tr>\n";
  o << "</tbody></table></section>\n";

  o << "<section class=\"step\" id=\"measurements\"><h2>Measurements</h2>\n"
       "<p>Mean and σ of dB quantities are taken of the linear ratio and shown in dB; Cp and "
       "Cpk use the linear values and limits. Drift: EWMA (λ 0.2, 3.5 σ) over the last units "
       "against the units before them.</p>\n<table class=\"measurements\"><thead><tr>"
       "<th>Measurement</th><th>Station</th><th>N</th><th>Yield</th><th>Mean</th><th>σ</th>"
       "<th>Unit</th><th>Limits</th><th>Cp</th><th>Cpk</th><th>Drift</th></tr></thead><tbody>\n";
  for (const auto& m : line.measurements) {
    const auto& c = m.capability;
    o << "<tr" << (needs_attention(m) ? " class=\"fail\"" : "") << "><td>"
      << xml_escape(m.key.label()) << "</td><td>" << xml_escape(station_name(m.station))
      << "</td><td>" << c.count << "</td><td>" << percent(c.yield) << "</td><td class=\"value\">"
      << format_value(c.mean) << "</td><td>" << format_value(c.sigma) << "</td><td>"
      << xml_escape(m.key.unit) << "</td><td>" << limits_text(c.low, c.high) << "</td><td>"
      << optional_value(c.cp) << "</td><td>" << optional_value(c.cpk) << "</td><td>"
      << xml_escape(drift_text(m)) << "</td></tr>\n";
  }
  o << "</tbody></table>\n";
  std::size_t shown = 0;
  for (const auto& m : line.measurements)
    if (m.series_from > 0) shown = std::max(shown, m.series.size());
  if (shown > 0)
    o << "<p>The charts show each measurement's newest " << shown
      << " units, numbered among all of them; the table is of all of them.</p>\n";
  o << "</section>\n";
  // Charts where people look: every measurement with limits that is not one point of a
  // sweep, and any measurement that drifts, fails units or is not capable (Cpk < 1.33).
  for (const auto& m : line.measurements) {
    const bool limited = m.capability.low || m.capability.high;
    if (!needs_attention(m) && (!limited || !m.key.point.empty())) continue;
    o << "<section class=\"step\"><h2>" << xml_escape(m.key.label()) << " <span class=\"kind\">"
      << xml_escape(station_name(m.station)) << "</span></h2>\n<div class=\"plots\">"
      << histogram(m) << control_chart(m) << "</div></section>\n";
  }
  o << "</main>\n<footer>Generated by ampbench " << AMPBENCH_VERSION << ".</footer>\n"
    << "</body>\n</html>\n";
  return o.str();
}

}  // namespace ampbench::report
