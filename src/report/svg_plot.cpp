#include "report/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace ampbench::report {
namespace {

// Colours distinguishable by most colour-blind viewers (Okabe-Ito).
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73",
                                    "#CC79A7", "#E69F00", "#56B4E9"};

std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string tick_label(double v, bool log) {
  char b[32];
  const double a = std::abs(v);
  if (log && a >= 1000.0)
    std::snprintf(b, sizeof b, "%gk", v / 1000.0);
  else if (a != 0.0 && (a < 0.001 || a >= 1e6))
    std::snprintf(b, sizeof b, "%.0e", v);
  else
    std::snprintf(b, sizeof b, "%g", v);
  return b;
}

struct Axis {
  double low, high;
  bool log;
  double px_from, px_to;
  double map(double v) const {
    const double u = log ? (std::log10(v) - std::log10(low)) / (std::log10(high) - std::log10(low))
                         : (v - low) / (high - low);
    return px_from + u * (px_to - px_from);
  }
  bool drawable(double v) const { return std::isfinite(v) && (!log || v > 0.0); }
};

// Data range padded to whole ticks; a flat or empty range gets a sensible span.
std::pair<double, double> span(const std::vector<const std::vector<double>*>& data, bool log,
                               std::optional<std::pair<double, double>> extra) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto* d : data)
    for (double v : *d)
      if (std::isfinite(v) && (!log || v > 0.0)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (extra) {
    lo = std::min(lo, extra->first);
    hi = std::max(hi, extra->second);
  }
  if (!std::isfinite(lo)) return log ? std::pair{1.0, 10.0} : std::pair{0.0, 1.0};
  if (log) {
    // The data's own span (a flat line gets a decade around it); ticks fall at 1-2-5.
    if (hi / lo < 1.5) return {lo / std::sqrt(10.0), hi * std::sqrt(10.0)};
    return {lo, hi};
  }
  if (hi - lo < 1e-9 * std::max(1.0, std::abs(hi))) {
    const double pad = std::max(0.5, std::abs(hi) * 0.1);
    return {lo - pad, hi + pad};
  }
  const auto ticks = axis_ticks(lo, hi, false);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : (hi - lo);
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step};
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        // Control characters are not allowed in XML 1.0; show them as U+FFFD.
        if (c < 0x20 && c != '\n' && c != '\t')
          out += "\xEF\xBF\xBD";
        else
          out += static_cast<char>(c);
    }
  }
  return out;
}

std::vector<double> axis_ticks(double low, double high, bool log) {
  std::vector<double> ticks;
  if (!(high > low)) return {low};
  if (log) {
    // Decades, with 2 and 5 between them while the axis spans fewer than three decades.
    const bool fine = high / low < 1000.0;
    for (double d = std::pow(10.0, std::floor(std::log10(low) + 1e-9)); d <= high * (1 + 1e-9);
         d *= 10.0) {
      for (double m : {1.0, 2.0, 5.0}) {
        if (m != 1.0 && !fine) continue;
        const double t = d * m;
        if (t >= low * (1 - 1e-9) && t <= high * (1 + 1e-9)) ticks.push_back(t);
      }
    }
    return ticks;
  }
  const double raw = (high - low) / 6.0;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  for (double t = std::ceil(low / step - 1e-9) * step; t <= high + step * 1e-9; t += step)
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return ticks;
}

std::string render_svg(const Plot& plot, int width, int height) {
  const double left = 64, right = width - 16.0, top = 28, bottom = height - 44.0;
  std::vector<const std::vector<double>*> xs, ys;
  for (const auto& s : plot.series) {
    xs.push_back(&s.x);
    ys.push_back(&s.y);
  }
  std::optional<std::pair<double, double>> band_y;
  if (plot.band) band_y = std::pair{plot.band->low, plot.band->high};
  const auto [x0, x1] = span(xs, plot.log_x, std::nullopt);
  const auto [y0, y1] = span(ys, plot.log_y, band_y);
  const Axis ax{x0, x1, plot.log_x, left, right}, ay{y0, y1, plot.log_y, bottom, top};

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"" << width
    << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << ' ' << height
    << "\" role=\"img\"><title>" << xml_escape(plot.title) << "</title>";
  o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left << "\" height=\""
    << bottom - top << "\" class=\"frame\"/>";
  if (plot.band) {
    const auto& b = *plot.band;
    const double bx0 = ax.map(std::max(b.x_from, x0)), bx1 = ax.map(std::min(b.x_to, x1));
    o << "<rect class=\"mask\" x=\"" << number(bx0) << "\" y=\"" << number(ay.map(b.high))
      << "\" width=\"" << number(bx1 - bx0) << "\" height=\""
      << number(ay.map(b.low) - ay.map(b.high)) << "\"><title>" << xml_escape(b.label)
      << "</title></rect>";
  }
  for (double t : axis_ticks(x0, x1, plot.log_x)) {
    const double px = ax.map(t);
    o << "<line class=\"grid\" x1=\"" << number(px) << "\" y1=\"" << top << "\" x2=\"" << number(px)
      << "\" y2=\"" << bottom << "\"/><text class=\"tick\" x=\"" << number(px) << "\" y=\""
      << bottom + 14 << "\" text-anchor=\"middle\">" << tick_label(t, plot.log_x) << "</text>";
  }
  for (double t : axis_ticks(y0, y1, plot.log_y)) {
    const double py = ay.map(t);
    o << "<line class=\"grid\" x1=\"" << left << "\" y1=\"" << number(py) << "\" x2=\"" << right
      << "\" y2=\"" << number(py) << "\"/><text class=\"tick\" x=\"" << left - 6 << "\" y=\""
      << number(py + 4) << "\" text-anchor=\"end\">" << tick_label(t, plot.log_y) << "</text>";
  }
  double last_label_px = -1e9;
  for (const auto& m : plot.markers) {
    if (!ax.drawable(m.x) || m.x < x0 || m.x > x1) continue;
    const double px = ax.map(m.x);
    o << "<line class=\"marker\" x1=\"" << number(px) << "\" y1=\"" << top << "\" x2=\""
      << number(px) << "\" y2=\"" << bottom << "\"><title>" << xml_escape(m.label)
      << "</title></line>";
    if (!m.label.empty() &&
        px - last_label_px > 24.0) {  // labels that would overlap are left to the tooltip
      o << "<text class=\"marker-label\" x=\"" << number(px + 2) << "\" y=\"" << top + 10 << "\">"
        << xml_escape(m.label) << "</text>";
      last_label_px = px;
    }
  }
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    const auto& s = plot.series[i];
    const char* colour = kColours[i % std::size(kColours)];
    o << "<polyline class=\"series\" data-name=\"" << xml_escape(s.name) << "\" data-points=\"";
    std::ostringstream points;
    std::size_t count = 0;
    for (std::size_t k = 0; k < std::min(s.x.size(), s.y.size()); ++k) {
      if (!ax.drawable(s.x[k]) || !ay.drawable(s.y[k])) continue;
      points << number(ax.map(s.x[k])) << ','
             << number(ay.map(std::clamp(s.y[k], std::min(y0, y1), std::max(y0, y1)))) << ' ';
      ++count;
    }
    o << count << "\" stroke=\"" << colour << "\" points=\"" << points.str() << "\"/>";
    o << "<rect x=\"" << right - 130 << "\" y=\"" << top + 8 + 16 * static_cast<double>(i)
      << "\" width=\"12\" height=\"3\" fill=\"" << colour << "\"/><text class=\"legend\" x=\""
      << right - 114 << "\" y=\"" << top + 13 + 16 * static_cast<double>(i) << "\">"
      << xml_escape(s.name) << "</text>";
  }
  o << "<text class=\"axis-label\" x=\"" << (left + right) / 2 << "\" y=\"" << height - 8
    << "\" text-anchor=\"middle\">" << xml_escape(plot.x_label) << "</text>";
  o << "<text class=\"axis-label\" transform=\"translate(14," << (top + bottom) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(plot.y_label) << "</text>";
  o << "<text class=\"plot-title\" x=\"" << left << "\" y=\"18\">" << xml_escape(plot.title)
    << "</text></svg>";
  return o.str();
}

}  // namespace ampbench::report
