// Plots as inline SVG: axes with ticks and units (linear or log), one polyline per series,
// a legend, and an optional shaded band (a limit mask). Pure text out, no I/O.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ampbench::report {

struct PlotSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
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
};

// Width and height in px. Points that cannot be drawn (NaN, ≤ 0 on a log axis) are skipped.
std::string render_svg(const Plot& plot, int width = 640, int height = 360);

// "Nice" tick positions for an axis span (1-2-5 steps, or decades on log axes).
std::vector<double> axis_ticks(double low, double high, bool log);

std::string xml_escape(const std::string& text);

}  // namespace ampbench::report
