// stats: the bins of a distribution chart that stay readable with an outlier in the data.
// Bins span the bulk of the units — those within Tukey's far fences, Q1 − 3·IQR and
// Q3 + 3·IQR — and the units beyond the fences are listed apart, so one unit at 100 dB
// among a line at 20 dB does not squeeze every other unit into one bin. Pure.
#pragma once

#include <cstddef>
#include <vector>

namespace ampbench::stats {

struct Histogram {
  double start = 0.0;      // left edge of the first bin (display units)
  double bin_width = 1.0;  // display units
  std::vector<int> counts;
  std::vector<std::size_t> outliers;  // indices into the values, in their order
};

// √n bins (5 to 40) over the bulk; a bulk with no spread gets one unit-wide bin centred on
// it. Fences apply from 8 values on and only when the quartiles differ: with fewer, or
// with most values equal, every value is drawn.
Histogram robust_histogram(const std::vector<double>& values);

}  // namespace ampbench::stats
