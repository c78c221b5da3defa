// report: the plots of one step — a plot per curve name, a series per channel; a family of
// curves over a swept condition (frequency, load, setting) on one plot, colour per condition
// and line style per channel; spectra one per point, harmonics or tones marked; the step's
// limits drawn as lines, its deviation mask shaded.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "record/record.hpp"
#include "report/svg_plot.hpp"

namespace ampbench::report {

// How a datasheet wants its plots (`report --no-limits --normalize-hz 1000`).
struct PlotOptions {
  bool limits = true;                  // the step's limits as lines and masks
  std::optional<double> normalize_hz;  // responses in dB re their own value at this frequency
};

struct StepPlot {
  std::string name;  // unique within the step: the curve's name, a spectrum's numbered
  Plot plot;
  int width = 640, height = 360;
};

// A plot per curve name; spectra one per point.
std::vector<StepPlot> step_plots(const record::StepRecord& step, const PlotOptions& options = {});

// The <div class="plots"> of a step, or "" when it has no curves: each plot in a figure
// whose caption saves it as SVG, PNG or CSV (the report's script; `file` names the files).
std::string plots_of(const record::StepRecord& step, const std::string& file,
                     const PlotOptions& options = {});

// A plot's data as CSV: channel, condition, x and y under the axes' labels, a row a point,
// `digits` significant digits.
std::string plot_csv(const Plot& plot, int digits = 17);

// The plot's title with the step's conditions ("THD+N versus frequency — A-weighted,
// 20 Hz–20 kHz, into 8 Ω").
std::string titled_with_conditions(const std::string& title, const record::StepRecord& step);

// The measurement whose limits a curve shares: thdn_vs_power_pct → thdn_pct,
// thd_vs_freq_pct → thd_pct; any other curve, its own name.
std::string measurement_of_curve(const std::string& curve_name);

}  // namespace ampbench::report
