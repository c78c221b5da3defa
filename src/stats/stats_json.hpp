// stats: line statistics as JSON — what `stats --json` prints and `serve`'s /api/stats
// answers (docs/line.md).
#pragma once

#include <nlohmann/json.hpp>

#include "stats/line_stats.hpp"

namespace ampbench::stats {

nlohmann::json to_json(const LineStats& line);

}  // namespace ampbench::stats
