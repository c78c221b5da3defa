// report: the plots of one step — a plot per curve name, a series per channel; a family of
// curves over a swept condition (frequency, load, setting) on one plot, colour per condition
// and line style per channel; spectra one per point, harmonics or tones marked; the step's
// limits drawn as lines, its deviation mask shaded.
#pragma once

#include <string>

#include "record/record.hpp"

namespace ampbench::report {

// The <div class="plots"> of a step, or "" when it has no curves.
std::string plots_of(const record::StepRecord& step);

// The measurement whose limits a curve shares: thdn_vs_power_pct → thdn_pct,
// thd_vs_freq_pct → thd_pct; any other curve, its own name.
std::string measurement_of_curve(const std::string& curve_name);

}  // namespace ampbench::report
