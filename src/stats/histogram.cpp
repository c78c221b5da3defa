#include "stats/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace ampbench::stats {
namespace {

// The q-quantile by linear interpolation between order statistics (sorted input).
double quantile(const std::vector<double>& sorted, double q) {
  const double at = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(at));
  const auto above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (at - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

}  // namespace

Histogram robust_histogram(const std::vector<double>& values) {
  Histogram h;
  if (values.empty()) return h;
  std::vector<double> sorted(values);
  std::sort(sorted.begin(), sorted.end());
  double fence_low = sorted.front(), fence_high = sorted.back();
  if (sorted.size() >= 8) {
    const double q1 = quantile(sorted, 0.25), q3 = quantile(sorted, 0.75);
    if (q3 > q1) {
      fence_low = q1 - 3.0 * (q3 - q1);
      fence_high = q3 + 3.0 * (q3 - q1);
    }
  }
  double low = INFINITY, high = -INFINITY;
  int inliers = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < fence_low || values[i] > fence_high) {
      h.outliers.push_back(i);
      continue;
    }
    low = std::min(low, values[i]);
    high = std::max(high, values[i]);
    ++inliers;
  }
  const int bins =
      high > low ? std::clamp(static_cast<int>(std::ceil(std::sqrt(inliers))), 5, 40) : 1;
  h.bin_width = high > low ? (high - low) / bins : 1.0;
  h.start = high > low ? low : low - 0.5;
  h.counts.assign(static_cast<std::size_t>(bins), 0);
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < fence_low || values[i] > fence_high) continue;
    const int b = std::clamp(static_cast<int>((values[i] - h.start) / h.bin_width), 0, bins - 1);
    ++h.counts[static_cast<std::size_t>(b)];
  }
  return h;
}

}  // namespace ampbench::stats
