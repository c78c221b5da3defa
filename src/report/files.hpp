// Report files named after serial numbers, made safe: no path separators, no "..", no
// control characters, never overwriting another run's report.
#pragma once

#include <filesystem>
#include <string>

#include "record/record.hpp"

namespace ampbench::report {

// Letters, digits, '-' and '_' only (others become '_'), at most 64 characters, never
// empty: "../../etc/x" → "etc_x".
std::string safe_file_stem(const std::string& text);

// DIR/STEM-runID-UUID8.EXT, or with -2, -3 … when that name exists already.
std::filesystem::path unique_report_path(const std::filesystem::path& dir,
                                         const record::RunRecord& run,
                                         const std::string& extension);

}  // namespace ampbench::report
