#include "report/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace ampbench::report {
namespace {

// Colours any two of which differ for most colour-blind viewers (Okabe-Ito, its yellow left
// out: too pale on white). A family with more conditions than colours marks its points: the
// second round of colours with circles, the third with squares, the fourth with triangles.
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000"};
constexpr int kMarkerShapes = 4;  // none, circle, square, triangle

// A plot carries its own style, so that it looks the same pasted alone (an exported SVG, a
// PNG drawn from it) as in the report.
constexpr const char* kPlotStyle =
    "svg.plot{font:11px system-ui,sans-serif;background:#fff}"
    "svg.plot .frame{fill:none;stroke:#8c959f}svg.plot .grid{stroke:#eaeef2}"
    "svg.plot .tick{fill:#57606a}svg.plot .series{fill:none;stroke-width:1.6}"
    "svg.plot .point{stroke-width:1.2;fill:#fff}"
    "svg.plot .mask{fill:#1a7f37;fill-opacity:0.10;stroke:#1a7f37;stroke-opacity:0.4;"
    "stroke-dasharray:4 3}"
    "svg.plot .marker{stroke:#bf8700;stroke-dasharray:2 3}"
    "svg.plot .marker-label{fill:#9a6700;font-size:10px}"
    "svg.plot .axis-label,svg.plot .legend{fill:#1f2328}"
    "svg.plot .plot-title{font-weight:600;fill:#1f2328;font-size:12px}"
    "svg.plot .limit{stroke:#cf222e;stroke-width:1.4;stroke-dasharray:5 3}";

std::string svg_number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// As many digits as the tick step needs: ticks 0.0005 apart read 19.9985, 19.999, not 20.
std::string tick_label(double v, double step, bool log) {
  char b[32];
  const double a = std::abs(v);
  if (log && a >= 1000.0) {
    std::snprintf(b, sizeof b, "%gk", v / 1000.0);
  } else if (log || !(step > 0.0)) {
    std::snprintf(b, sizeof b, "%g", v);
  } else if (a != 0.0 && (a < 0.001 || a >= 1e6)) {
    const int digits = std::clamp(
        static_cast<int>(std::floor(std::log10(a)) - std::floor(std::log10(step))), 0, 12);
    std::snprintf(b, sizeof b, "%.*e", digits, v);
  } else {
    const int decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 12);
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
  }
  return b;
}

// Text extents without a font engine: a generous average advance per character, so that
// labels placed apart by this estimate are apart on screen (the browser test measures).
double text_width_px(const std::string& text, double font_px) {
  std::size_t glyphs = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++glyphs;  // UTF-8 lead bytes only
  return 0.62 * font_px * static_cast<double>(glyphs);
}

struct Box {
  double x0, y0, x1, y1;
  bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

// Every `stride`-th tick is labelled, the smallest stride at which neighbours do not touch.
std::size_t tick_stride(const std::vector<double>& px, const std::vector<std::string>& labels) {
  for (std::size_t stride = 1; stride < px.size(); ++stride) {
    bool clear = true;
    for (std::size_t i = stride; i < px.size() && clear; i += stride)
      clear =
          std::abs(px[i] - px[i - stride]) >
          (text_width_px(labels[i], 11.0) + text_width_px(labels[i - stride], 11.0)) / 2.0 + 6.0;
    if (clear) return stride;
  }
  return std::max<std::size_t>(px.size(), 1);
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
    // Out to the 1-2-5 values around the data (a flat line gets a decade around it), so that
    // both ends carry a labelled tick.
    if (hi / lo < 1.5) return {lo / std::sqrt(10.0), hi * std::sqrt(10.0)};
    const auto below = [](double v) {
      const double decade = std::pow(10.0, std::floor(std::log10(v) + 1e-9));
      for (double m : {5.0, 2.0, 1.0})
        if (m * decade <= v * (1 + 1e-9)) return m * decade;
      return decade;
    };
    const auto above = [](double v) {
      const double decade = std::pow(10.0, std::floor(std::log10(v) + 1e-9));
      for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * decade >= v * (1 - 1e-9)) return m * decade;
      return 10.0 * decade;
    };
    return {below(lo), above(hi)};
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

namespace {

constexpr const char* kDashes[] = {"", "6 3", "2 3", "8 3 2 3"};

struct Look {  // how a series (or its legend entry) is drawn
  const char* colour;
  int marker = 0;  // 0 none, 1 circle, 2 square, 3 triangle
};

// The n-th colour, marked from the second round of colours on.
Look look_at(std::size_t n) {
  return {kColours[n % std::size(kColours)],
          static_cast<int>((n / std::size(kColours)) % kMarkerShapes)};
}

struct LegendEntry {
  std::string text;
  Look look;
  const char* dash;
};

// One entry per series; in a family, one per condition (its colour) and one per line style
// (the channel, drawn grey).
std::vector<LegendEntry> legend_of(const Plot& plot, std::vector<Look>& look_of_series) {
  std::vector<LegendEntry> entries;
  std::vector<std::string> conditions, styles;
  const bool family = std::any_of(plot.series.begin(), plot.series.end(),
                                  [](const PlotSeries& s) { return !s.condition.empty(); });
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    const auto& s = plot.series[i];
    if (!family) {
      look_of_series.push_back(look_at(i));
      entries.push_back({s.name, look_of_series.back(), kDashes[0]});
      continue;
    }
    auto at = std::find(conditions.begin(), conditions.end(), s.condition);
    if (at == conditions.end()) {
      conditions.push_back(s.condition);
      at = conditions.end() - 1;
      entries.push_back({s.condition, look_at(conditions.size() - 1), kDashes[0]});
    }
    look_of_series.push_back(look_at(static_cast<std::size_t>(at - conditions.begin())));
  }
  if (family)
    for (const auto& s : plot.series)
      if (std::find(styles.begin(), styles.end(), s.name) == styles.end()) {
        styles.push_back(s.name);
        entries.push_back({s.name,
                           {"#57606a", 0},
                           kDashes[static_cast<std::size_t>(s.line_style) % std::size(kDashes)]});
      }
  return entries;
}

// A point's marker of shape `marker` at (x, y) in the series' colour.
std::string marker_svg(int marker, double x, double y, const char* colour) {
  std::ostringstream o;
  const auto n = [](double v) { return svg_number(v); };
  if (marker == 1)
    o << "<circle class=\"point\" cx=\"" << n(x) << "\" cy=\"" << n(y) << "\" r=\"3\"";
  else if (marker == 2)
    o << "<rect class=\"point\" x=\"" << n(x - 2.8) << "\" y=\"" << n(y - 2.8)
      << "\" width=\"5.6\" height=\"5.6\"";
  else
    o << "<polygon class=\"point\" points=\"" << n(x) << ',' << n(y - 3.6) << ' ' << n(x - 3.2)
      << ',' << n(y + 2.4) << ' ' << n(x + 3.2) << ',' << n(y + 2.4) << "\"";
  o << " stroke=\"" << colour << "\"/>";
  return o.str();
}

// A title too wide for the picture is split at its last ", " or " (" that leaves a first line
// which fits (the comma stays on the first line, the parenthesis starts the second).
std::vector<std::string> title_lines(const std::string& title, double room_px) {
  if (text_width_px(title, 12.0) <= room_px) return {title};
  for (std::size_t i = title.size(); i-- > 1;) {
    const bool break_here =
        title[i] == ' ' && (title[i - 1] == ',' || (i + 1 < title.size() && title[i + 1] == '('));
    if (break_here && text_width_px(title.substr(0, i), 12.0) <= room_px)
      return {title.substr(0, i), title.substr(i + 1)};
  }
  return {title};
}

}  // namespace

std::string render_svg(const Plot& plot, int width, int height) {
  std::vector<Look> look_of_series;
  const auto legend = legend_of(plot, look_of_series);
  double legend_width = 0.0;
  for (const auto& e : legend) legend_width = std::max(legend_width, text_width_px(e.text, 11.0));
  if (!legend.empty()) legend_width += 34.0;
  const auto titles = title_lines(plot.title, width - 24.0);
  const double right = width - 16.0 - legend_width, top = 28 + 14.0 * (titles.size() - 1),
               bottom = height - 44.0;
  std::vector<const std::vector<double>*> xs, ys;
  for (const auto& s : plot.series) {
    xs.push_back(&s.x);
    ys.push_back(&s.y);
  }
  // The axis shows the limits too: a curve far inside its limit reads as such.
  std::optional<std::pair<double, double>> band_y;
  if (plot.band) band_y = std::pair{plot.band->low, plot.band->high};
  for (const auto& l : plot.limit_lines) {
    if (!std::isfinite(l.value) || (plot.log_y && !(l.value > 0.0))) continue;
    band_y = band_y ? std::pair{std::min(band_y->first, l.value), std::max(band_y->second, l.value)}
                    : std::pair{l.value, l.value};
  }
  const auto [x0, x1] = span(xs, plot.log_x, std::nullopt);
  const auto [y0, y1] = span(ys, plot.log_y, band_y);
  // The frame starts right of the widest y tick label and the rotated axis label.
  const auto y_ticks = axis_ticks(y0, y1, plot.log_y);
  std::vector<std::string> y_labels;
  double widest_y_label = 0.0;
  for (double t : y_ticks) {
    y_labels.push_back(
        tick_label(t, y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 0.0, plot.log_y));
    widest_y_label = std::max(widest_y_label, text_width_px(y_labels.back(), 11.0));
  }
  const double left = std::max(64.0, 22.0 + widest_y_label + 8.0);
  const Axis ax{x0, x1, plot.log_x, left, right}, ay{y0, y1, plot.log_y, bottom, top};

  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"" << width
    << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << ' ' << height
    << "\" role=\"img\"><title>" << xml_escape(plot.title) << "</title><style>" << kPlotStyle
    << "</style>";
  o << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left << "\" height=\""
    << bottom - top << "\" class=\"frame\"/>";
  if (plot.band) {
    const auto& b = *plot.band;
    const double bx0 = ax.map(std::max(b.x_from, x0)), bx1 = ax.map(std::min(b.x_to, x1));
    o << "<rect class=\"mask\" x=\"" << svg_number(bx0) << "\" y=\"" << svg_number(ay.map(b.high))
      << "\" width=\"" << svg_number(bx1 - bx0) << "\" height=\""
      << svg_number(ay.map(b.low) - ay.map(b.high)) << "\"><title>" << xml_escape(b.label)
      << "</title></rect>";
  }
  // x tick labels stay within the picture and clear of the y axis's labels: the outermost
  // are moved inwards as far as their width needs.
  const auto x_ticks = axis_ticks(x0, x1, plot.log_x);
  std::vector<double> x_px, x_centre;
  std::vector<std::string> x_labels;
  for (double t : x_ticks) {
    x_px.push_back(ax.map(t));
    x_labels.push_back(
        tick_label(t, x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 0.0, plot.log_x));
    const double half = text_width_px(x_labels.back(), 11.0) / 2.0;
    x_centre.push_back(std::clamp(x_px.back(), left - 2.0 + half, width - 2.0 - half));
  }
  const std::size_t x_stride = tick_stride(x_centre, x_labels);
  for (std::size_t i = 0; i < x_ticks.size(); ++i) {
    o << "<line class=\"grid\" x1=\"" << svg_number(x_px[i]) << "\" y1=\"" << top << "\" x2=\""
      << svg_number(x_px[i]) << "\" y2=\"" << bottom << "\"/>";
    if (i % x_stride == 0)
      o << "<text class=\"tick\" x=\"" << svg_number(x_centre[i]) << "\" y=\"" << bottom + 16
        << "\" text-anchor=\"middle\">" << x_labels[i] << "</text>";
  }
  for (std::size_t i = 0; i < y_ticks.size(); ++i) {
    const double py = ay.map(y_ticks[i]);
    o << "<line class=\"grid\" x1=\"" << left << "\" y1=\"" << svg_number(py) << "\" x2=\"" << right
      << "\" y2=\"" << svg_number(py) << "\"/><text class=\"tick\" x=\"" << left - 6 << "\" y=\""
      << svg_number(py + 4) << "\" text-anchor=\"end\">" << y_labels[i] << "</text>";
  }
  // Each marker label takes the first of three rows where it overlaps no other, or is left to
  // the line's tooltip (the legend stands beside the frame).
  std::vector<Box> taken;
  std::vector<const PlotMarker*> markers;
  for (const auto& m : plot.markers)
    if (ax.drawable(m.x) && m.x >= x0 && m.x <= x1) markers.push_back(&m);
  std::stable_sort(markers.begin(), markers.end(),
                   [](const PlotMarker* a, const PlotMarker* b) { return a->x < b->x; });
  for (const PlotMarker* m : markers) {
    const double px = ax.map(m->x);
    o << "<line class=\"marker\" x1=\"" << svg_number(px) << "\" y1=\"" << top << "\" x2=\""
      << svg_number(px) << "\" y2=\"" << bottom << "\"><title>" << xml_escape(m->label)
      << "</title></line>";
    if (m->label.empty()) continue;
    const double w = text_width_px(m->label, 10.0);
    const bool leftwards = px + 2 + w > right;
    const double x_from = leftwards ? px - 2 - w : px + 2;
    for (int row = 0; row < 3; ++row) {
      const double y = top + 11 + 12 * row;
      const Box box{x_from - 3, y - 9, x_from + w + 3, y + 3};
      if (std::any_of(taken.begin(), taken.end(), [&](const Box& b) { return b.overlaps(box); }))
        continue;
      taken.push_back(box);
      o << "<text class=\"marker-label\" x=\"" << svg_number(leftwards ? px - 2 : px + 2)
        << "\" y=\"" << y << "\"" << (leftwards ? " text-anchor=\"end\"" : "") << ">"
        << xml_escape(m->label) << "</text>";
      break;
    }
  }
  for (const auto& l : plot.limit_lines) {
    if (!ay.drawable(l.value) || l.value < std::min(y0, y1) || l.value > std::max(y0, y1)) continue;
    const double from = ax.drawable(l.x_from) ? std::max(l.x_from, x0) : x0;
    const double to = std::min(l.x_to, x1);
    if (!(to > from)) continue;
    o << "<line class=\"limit\" x1=\"" << svg_number(ax.map(from)) << "\" y1=\""
      << svg_number(ay.map(l.value)) << "\" x2=\"" << svg_number(ax.map(to)) << "\" y2=\""
      << svg_number(ay.map(l.value)) << "\"><title>" << xml_escape(l.label) << "</title></line>";
  }
  for (std::size_t i = 0; i < plot.series.size(); ++i) {
    const auto& s = plot.series[i];
    o << "<polyline class=\"series\" data-name=\"" << xml_escape(s.name) << "\" data-points=\"";
    std::ostringstream points;
    std::vector<std::pair<double, double>> drawn;
    for (std::size_t k = 0; k < std::min(s.x.size(), s.y.size()); ++k) {
      if (!ax.drawable(s.x[k]) || !ay.drawable(s.y[k])) continue;
      drawn.emplace_back(ax.map(s.x[k]),
                         ay.map(std::clamp(s.y[k], std::min(y0, y1), std::max(y0, y1))));
      points << svg_number(drawn.back().first) << ',' << svg_number(drawn.back().second) << ' ';
    }
    const char* dash = kDashes[static_cast<std::size_t>(s.line_style) % std::size(kDashes)];
    const auto& look = look_of_series[i];
    o << drawn.size() << "\"";
    if (!s.condition.empty()) o << " data-condition=\"" << xml_escape(s.condition) << "\"";
    o << " stroke=\"" << look.colour << "\"";
    if (*dash) o << " stroke-dasharray=\"" << dash << "\"";
    o << " points=\"" << points.str() << "\"/>";
    // At most a dozen marks a curve, spread along it: enough to tell it, few enough to read.
    if (look.marker)
      for (std::size_t k = 0, every = std::max<std::size_t>(1, (drawn.size() + 11) / 12);
           k < drawn.size(); k += every)
        o << marker_svg(look.marker, drawn[k].first, drawn[k].second, look.colour);
  }
  for (std::size_t i = 0; i < legend.size(); ++i) {
    const double y = top + 8 + 16 * static_cast<double>(i);
    o << "<line class=\"legend-swatch\" x1=\"" << right + 10 << "\" y1=\"" << y + 1.5 << "\" x2=\""
      << right + 28 << "\" y2=\"" << y + 1.5 << "\" stroke=\"" << legend[i].look.colour
      << "\" stroke-width=\"2\"";
    if (*legend[i].dash) o << " stroke-dasharray=\"" << legend[i].dash << "\"";
    o << "/>";
    if (legend[i].look.marker)
      o << marker_svg(legend[i].look.marker, right + 19, y + 1.5, legend[i].look.colour);
    o << "<text class=\"legend\" x=\"" << right + 32 << "\" y=\"" << y + 5 << "\">"
      << xml_escape(legend[i].text) << "</text>";
  }
  o << "<text class=\"axis-label\" x=\"" << (left + right) / 2 << "\" y=\"" << height - 8
    << "\" text-anchor=\"middle\">" << xml_escape(plot.x_label) << "</text>";
  o << "<text class=\"axis-label\" transform=\"translate(14," << (top + bottom) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(plot.y_label) << "</text>";
  for (std::size_t i = 0; i < titles.size(); ++i)
    o << "<text class=\"plot-title\" x=\"8\" y=\"" << 18 + 14 * i << "\">" << xml_escape(titles[i])
      << "</text>";
  o << "</svg>";
  return o.str();
}

}  // namespace ampbench::report
