// The line summary page: yield per station and per day, then per measurement its
// capability figures, a histogram against the limits and a control chart (values in run
// order, the EWMA with its limits, the spec limits). One self-contained XHTML page in the
// run report's style.
#pragma once

#include <string>

#include "stats/line_stats.hpp"

namespace ampbench::report {

// `scope` says what was selected (store, filters), shown under the title.
std::string render_line_html(const stats::LineStats& line, const std::string& scope);

}  // namespace ampbench::report
