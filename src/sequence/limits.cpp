#include "sequence/limits.hpp"

#include <algorithm>
#include <cmath>

namespace ampbench::sequence {
namespace {

// A bound in a coordinate the point does not have leaves the segment silent there. Edges
// are inclusive with a relative tolerance: a log sweep's last point lands on to_hz within
// rounding.
bool within(std::optional<double> from, std::optional<double> to, std::optional<double> value) {
  if (!from && !to) return true;
  if (!value) return false;
  constexpr double kEdge = 1e-9;
  if (from && *value < *from - kEdge * std::abs(*from)) return false;
  if (to && *value > *to + kEdge * std::abs(*to)) return false;
  return true;
}

}  // namespace

bool segment_covers(const LimitSegment& s, const LimitCoordinates& where) {
  if (!within(s.from_hz, s.to_hz, where.frequency_hz)) return false;
  if (!within(s.from_w, s.to_w, where.power_w)) return false;
  if (!within(s.from_dbv, s.to_dbv, where.level_dbv)) return false;
  if (s.load_ohm && (!where.load_ohm || std::abs(*where.load_ohm - *s.load_ohm) > 1e-9))
    return false;
  if (where.frequency_hz)
    for (const auto& [from, to] : s.exclude_hz)
      if (*where.frequency_hz >= from && *where.frequency_hz <= to) return false;
  return true;
}

std::optional<Bounds> Limit::at(const LimitCoordinates& where) const {
  std::optional<Bounds> bounds;
  for (const auto& s : segments) {
    if (!segment_covers(s, where)) continue;
    if (!bounds) bounds.emplace();
    if (s.min) bounds->low = bounds->low ? std::max(*bounds->low, *s.min) : *s.min;
    if (s.max) bounds->high = bounds->high ? std::min(*bounds->high, *s.max) : *s.max;
  }
  return bounds;
}

}  // namespace ampbench::sequence
