// Plots as inline SVG: axes with ticks and units (linear or log), one polyline per series,
// a legend beside the frame, an optional shaded band (a limit mask) and limit lines. A family
// of curves gives each series a condition ("1 kHz, 8 Ω": its colour) and a line style (its
// channel): the legend then names each once. Pure text out, no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ampbench::report {

struct PlotSeries {
  std::string name;  // the channel in a family
  std::vector<double> x;
  std::vector<double> y;
  std::string condition;  // a family's condition; empty: the series is coloured by itself
  int line_style = 0;     // 0 solid, 1 dashed, 2 dotted, 3 dash-dot
};

struct PlotLimitLine {  // a limit's bound over [x_from, x_to], drawn as a horizontal line
  double x_from = 0.0, x_to = 0.0, value = 0.0;
  std::string label;  // "max 0.05 % to 100 W"
};

struct PlotBand {  // shaded between low and high over [x_from, x_to]
  double x_from = 0.0, x_to = 0.0, low = 0.0, high = 0.0;
  std::string label;
};

struct PlotMarker {  // a labelled vertical mark, e.g. a harmonic
  double x = 0.0;
  std::string label;
};

struct Plot {
  std::string title;
  std::string x_label;  // with unit, e.g. "Frequency (Hz)"
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  std::vector<PlotSeries> series;
  std::optional<PlotBand> band;
  std::vector<PlotMarker> markers;
  std::vector<PlotLimitLine> limit_lines;
};

// Width and height in px. Points that cannot be drawn (NaN, ≤ 0 on a log axis) are skipped.
std::string render_svg(const Plot& plot, int width = 640, int height = 360);

// "Nice" tick positions for an axis span (1-2-5 steps, or decades on log axes).
std::vector<double> axis_ticks(double low, double high, bool log);

std::string xml_escape(const std::string& text);

}  // namespace ampbench::report
