// The HTML report of one run: one self-contained page (CSS inline, plots as inline SVG,
// no network fetches), well-formed XHTML, with the verdict up front, a table per step and
// a plot per curve (limit masks shaded, harmonics marked on spectra).
#pragma once

#include <optional>
#include <string>

#include "record/record.hpp"

namespace ampbench::report {

extern const char* const kRunTemplate;    // reports/run.html
extern const char* const kRunStylesheet;  // reports/style.css

std::string render_html(const record::RunRecord& run);

// A value as the reports print it: 4 decimals, 2 from 100 up, 4 significant digits for the
// very small and very large.
std::string format_value(double v);
// "low … high", "≥ low", "≤ high" or "".
std::string limits_text(std::optional<double> low, std::optional<double> high);
// A sweep point as people say it: "20 Hz, 4 Ω, 3 dBV" (frequency, load, level, DUT
// settings, the driven channel), in the order of its coordinates.
std::string point_in_words(const nlohmann::json& point);

}  // namespace ampbench::report
