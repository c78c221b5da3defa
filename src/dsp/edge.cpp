#include "dsp/edge.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <utility>

#include "dsp/fft.hpp"

namespace ampbench::dsp {
namespace {

// The period's trigonometric interpolant (every bin below Nyquist) and its slope per sample,
// read at kEdgeOversampling points a sample: the period's DFT zero-padded to the fine length
// and transformed back, the slope's bins each times jω_k.
std::pair<std::vector<double>, std::vector<double>> interpolated(std::span<const double> period) {
  const std::size_t n = period.size(), fine = n * kEdgeOversampling;
  const auto forward = RealFft::for_size(n);
  const auto inverse = RealFft::for_size(fine);
  AlignedBuffer<double> in(n);
  std::copy(period.begin(), period.end(), in.data());
  AlignedBuffer<std::complex<double>> bins(forward->spectrum_size());
  forward->forward(in.data(), bins.data());
  AlignedBuffer<std::complex<double>> padded(inverse->spectrum_size());
  AlignedBuffer<double> out(fine);
  std::vector<double> value(fine), slope(fine);
  for (const bool derivative : {false, true}) {
    std::fill(padded.data(), padded.data() + padded.size(), std::complex<double>(0.0));
    for (std::size_t k = derivative ? 1 : 0; 2 * k < n; ++k) {
      const double w = 2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n);
      padded[k] = bins[k] / static_cast<double>(n) *
                  (derivative ? std::complex<double>(0.0, w) : std::complex<double>(1.0));
    }
    inverse->inverse(padded.data(), out.data());
    std::copy(out.data(), out.data() + fine, (derivative ? slope : value).begin());
  }
  return {std::move(value), std::move(slope)};
}

// The time (fine index, interpolated) where v crosses `level` walking from `from` by `step`.
double crossing(const std::vector<double>& v, std::size_t from, int step, double level,
                bool rising) {
  const auto n = static_cast<long>(v.size());
  for (long i = static_cast<long>(from), j = i + step; j >= 0 && j < n; i = j, j += step) {
    const double a = v[static_cast<std::size_t>(i)], b = v[static_cast<std::size_t>(j)];
    const bool crossed =
        rising == (step > 0) ? (a < level && b >= level) : (a >= level && b < level);
    if (crossed) return static_cast<double>(i) + step * (level - a) / (b - a);
  }
  return std::nan("");
}

}  // namespace

std::vector<double> period_average(std::span<const double> block, std::size_t period) {
  std::vector<double> mean(period, 0.0);
  const std::size_t periods = period ? block.size() / period : 0;
  for (std::size_t p = 0; p < periods; ++p)
    for (std::size_t i = 0; i < period; ++i) mean[i] += block[p * period + i];
  for (double& v : mean) v /= static_cast<double>(std::max<std::size_t>(periods, 1));
  return mean;
}

EdgeFigures analyze_edge(std::span<const double> period, double sample_rate_hz) {
  const std::size_t fine = period.size() * kEdgeOversampling;
  const double step = 1.0 / kEdgeOversampling;
  const auto [value, slope] = interpolated(period);
  EdgeFigures e;
  const auto steepest = std::max_element(slope.begin(), slope.end());
  const auto edge = static_cast<std::size_t>(steepest - slope.begin());
  // The period re-read from a quarter period before the rising edge: the edge stands at a
  // quarter, the high half after it, the low half's middle at the start and end.
  const std::size_t quarter = fine / 4, start = (edge + fine - quarter) % fine;
  std::vector<double> v(fine), s(fine);
  for (std::size_t i = 0; i < fine; ++i) {
    v[i] = value[(start + i) % fine];
    s[i] = slope[(start + i) % fine];
  }
  // The mean of the fifth of a period around `centre`, wrapping round the period.
  const auto middle_mean = [&](std::size_t centre) {
    const std::size_t half_width = fine / 20;
    double sum = 0.0;
    for (std::size_t i = 0; i <= 2 * half_width; ++i)
      sum += v[(centre + fine - half_width + i) % fine];
    return sum / static_cast<double>(2 * half_width + 1);
  };
  e.high = middle_mean(quarter + fine / 4);
  e.low = middle_mean(0);
  const double swing = e.high - e.low;
  const double per_second = sample_rate_hz;
  double steepest_any = 0.0;
  for (double x : s) steepest_any = std::max(steepest_any, std::abs(x));
  e.steepest_per_s = steepest_any * per_second;
  if (swing > 0.0) {
    const double t10 = crossing(v, quarter, -1, e.low + 0.1 * swing, true);
    const double t90 = crossing(v, quarter, 1, e.low + 0.9 * swing, true);
    e.rise_time_s = (t90 - t10) * step / sample_rate_hz;
    const double peak = *std::max_element(v.begin() + static_cast<long>(quarter),
                                          v.begin() + static_cast<long>(quarter + fine / 2));
    e.overshoot_pct = std::max(0.0, (peak - e.high) / swing * 100.0);
  }
  e.t_s.resize(fine);
  for (std::size_t i = 0; i < fine; ++i) e.t_s[i] = static_cast<double>(i) * step / sample_rate_hz;
  e.v = std::move(v);
  return e;
}

std::vector<SquareHarmonic> band_limited_square(double fundamental_hz, double band_hz) {
  std::vector<SquareHarmonic> harmonics;
  int highest = 1;
  while ((highest + 2) * fundamental_hz < band_hz) highest += 2;
  const double m = highest + 2.0;
  for (int k = 1; k <= highest; k += 2) {
    const double x = std::numbers::pi * k / m;
    harmonics.push_back({k, 4.0 / (std::numbers::pi * k) * std::sin(x) / x});
  }
  return harmonics;
}

}  // namespace ampbench::dsp
