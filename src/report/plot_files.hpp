// report: each plot of a run as files a datasheet can take — the SVG as the report draws it
// (styled by itself) and the data behind it as CSV, every digit — named
// "SERIAL-runN-STEP-PLOT.svg" and ".csv".
#pragma once

#include <filesystem>
#include <vector>

#include "record/record.hpp"
#include "report/step_plots.hpp"

namespace ampbench::report {

// Writes the files into `dir` (created); returns their paths.
std::vector<std::filesystem::path> write_plot_files(const record::RunRecord& run,
                                                    const std::filesystem::path& dir,
                                                    const PlotOptions& options);

}  // namespace ampbench::report
