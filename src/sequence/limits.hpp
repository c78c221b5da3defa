// sequence: limits that follow the sweep (SPEC §9). A limit is one or more segments, each
// with its bounds and where it holds — a band of frequencies, of output power or output
// level, one load — less any excluded bands (mains hum). A result is judged by every segment
// that covers it: the highest min and the lowest max of those.
#pragma once

#include <optional>
#include <utility>
#include <vector>

namespace ampbench::sequence {

struct LimitSegment {
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> from_hz, to_hz;    // frequency of the stimulus or of the curve's point
  std::optional<double> from_w, to_w;      // output power into the point's load
  std::optional<double> from_dbv, to_dbv;  // output level
  std::optional<double> load_ohm;
  std::vector<std::pair<double, double>> exclude_hz;  // [from, to] bands it does not judge
  int line = 0;
};

// Where a result lies, in the coordinates a segment can be bounded in; what is not known
// here (no load, a figure of no single frequency) leaves a segment bounded in it silent.
struct LimitCoordinates {
  std::optional<double> frequency_hz;
  std::optional<double> power_w;
  std::optional<double> level_dbv;
  std::optional<double> load_ohm;
};

struct Bounds {
  std::optional<double> low;
  std::optional<double> high;
};

struct Limit {
  std::vector<LimitSegment> segments;
  // The bounds at this point, or none when no segment covers it.
  std::optional<Bounds> at(const LimitCoordinates& where) const;
};

bool segment_covers(const LimitSegment& segment, const LimitCoordinates& where);

}  // namespace ampbench::sequence
