#include "dsp/edge.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <tuple>

namespace ampbench::dsp {
namespace {

// The interpolant's value and slope (per sample) at fractional sample t.
struct Interpolant {
  std::vector<std::complex<double>> bins;  // X_k / P, k = 0 … below Nyquist
  double size;
  std::pair<double, double> at(double t) const {
    double value = bins[0].real(), slope = 0.0;
    for (std::size_t k = 1; k < bins.size(); ++k) {
      const double w = 2.0 * std::numbers::pi * static_cast<double>(k) / size;
      const auto turn = std::polar(1.0, w * t);
      value += 2.0 * (bins[k] * turn).real();
      slope += 2.0 * (bins[k] * std::complex<double>(0.0, w) * turn).real();
    }
    return {value, slope};
  }
};

Interpolant interpolant(std::span<const double> period) {
  const std::size_t n = period.size();
  Interpolant f{{}, static_cast<double>(n)};
  for (std::size_t k = 0; 2 * k < n; ++k) {
    std::complex<double> sum = 0.0;
    for (std::size_t i = 0; i < n; ++i)
      sum += period[i] * std::polar(1.0, -2.0 * std::numbers::pi * static_cast<double>(k * i) /
                                             static_cast<double>(n));
    f.bins.push_back(sum / static_cast<double>(n));
  }
  return f;
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
  const auto f = interpolant(period);
  const std::size_t fine = period.size() * kEdgeOversampling;
  const double step = 1.0 / kEdgeOversampling;
  std::vector<double> value(fine), slope(fine);
  for (std::size_t i = 0; i < fine; ++i)
    std::tie(value[i], slope[i]) = f.at(static_cast<double>(i) * step);
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
