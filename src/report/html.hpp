// The HTML report of one run: one self-contained page (CSS inline, plots as inline SVG,
// no network fetches), well-formed XHTML, with the verdict up front, a table per step and
// a plot per curve (limit masks shaded, harmonics marked on spectra).
#pragma once

#include <optional>
#include <string>

#include "record/record.hpp"
#include "report/step_plots.hpp"

namespace ampbench::report {

extern const char* const kRunTemplate;    // reports/run.html
extern const char* const kRunStylesheet;  // reports/style.css

std::string render_html(const record::RunRecord& run, const PlotOptions& plots = {});

// A value as the reports print it: 4 decimals, 2 from 100 up, 4 significant digits for the
// very small and very large.
std::string format_value(double v);
// "low … high", "≥ low", "≤ high" or "".
std::string limits_text(std::optional<double> low, std::optional<double> high);
// A measured value with its unit as an operator reads it: decibels to 4 decimals (a gain
// of 2.3e-05 dB is 0.0000 dB), other units to 4 significant digits ("0.0123 %", "40.01 W").
std::string value_in_words(double value, const std::string& unit);
// Limits with their unit as people write them: "25.5 … 26.5 dB", "≥ 100 W", "≤ 0.1 %".
std::string limit_in_words(std::optional<double> low, std::optional<double> high,
                           const std::string& unit);
// A failing measurement as an operator reads it: "R thdn_pct = 3.34 % at 20 Hz, 4 Ω
// (limit ≤ 0.1 %)" (4 significant digits), with its note after a colon.
std::string failure_in_words(const record::MeasurementRecord& m);

}  // namespace ampbench::report
