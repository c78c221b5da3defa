#include "sim/resampler.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ampbench::sim {
namespace {

constexpr int kTablePointsPerSample = 512;

double sinc(double x) {
  if (x == 0.0) return 1.0;
  const double px = std::numbers::pi * x;
  return std::sin(px) / px;
}

}  // namespace

SincKernel::SincKernel(double cutoff, double zero_crossings, double beta)
    : half_width_(zero_crossings / (2.0 * cutoff)) {
  const auto points = static_cast<std::size_t>(std::ceil(half_width_ * kTablePointsPerSample)) + 2;
  table_.resize(points);
  const double i0_beta = std::cyl_bessel_i(0.0, beta);
  for (std::size_t i = 0; i < points; ++i) {
    const double d = static_cast<double>(i) / kTablePointsPerSample;
    const double u = d / half_width_;
    const double window =
        u >= 1.0 ? 0.0 : std::cyl_bessel_i(0.0, beta * std::sqrt(1.0 - u * u)) / i0_beta;
    table_[i] = 2.0 * cutoff * sinc(2.0 * cutoff * d) * window;
  }
}

double SincKernel::operator()(double distance) const {
  const double at = std::abs(distance) * kTablePointsPerSample;
  const auto i = static_cast<std::size_t>(at);
  if (i + 1 >= table_.size()) return 0.0;
  const double frac = at - static_cast<double>(i);
  return table_[i] + frac * (table_[i + 1] - table_[i]);
}

std::vector<double> read_at_steps(std::span<const double> x, const SincKernel& kernel, double step,
                                  std::size_t frames) {
  std::vector<double> y(frames, 0.0);
  const double half = kernel.half_width();
  const auto n = static_cast<long>(x.size());
  for (std::size_t m = 0; m < frames; ++m) {
    const double t = static_cast<double>(m) * step;
    const long first = std::max(0L, static_cast<long>(std::ceil(t - half)));
    const long last = std::min(n - 1, static_cast<long>(std::floor(t + half)));
    double sum = 0.0;
    for (long k = first; k <= last; ++k)
      sum += x[static_cast<std::size_t>(k)] * kernel(t - static_cast<double>(k));
    y[m] = sum;
  }
  return y;
}

std::vector<double> with_clock_offset(std::span<const double> x, double ppm) {
  const double step = 1.0 + ppm * 1e-6;
  // Pass band flat to 0.47 of the slower clock's rate, 100 dB beyond its Nyquist.
  static const SincKernel kernel(0.49, 96.0, 10.0);
  return read_at_steps(x, kernel, step, x.size());
}

std::vector<double> through_rate(std::span<const double> x, double sample_rate_hz,
                                 double through_hz) {
  constexpr double kPassFraction = 0.91;
  constexpr double kZeroCrossings = 24.0;
  constexpr double kBeta = 7.0;
  const double ratio = through_hz / sample_rate_hz;  // output rate over input rate, going
  // Each conversion's cutoff, in cycles per sample of its input: the lower rate's Nyquist.
  const SincKernel there(0.5 * std::min(1.0, ratio) * kPassFraction, kZeroCrossings, kBeta);
  const SincKernel back(0.5 * std::min(1.0, 1.0 / ratio) * kPassFraction, kZeroCrossings, kBeta);
  const auto middle_frames =
      static_cast<std::size_t>(std::ceil(static_cast<double>(x.size()) * ratio));
  const auto middle = read_at_steps(x, there, 1.0 / ratio, middle_frames);
  return read_at_steps(middle, back, ratio, x.size());
}

}  // namespace ampbench::sim
