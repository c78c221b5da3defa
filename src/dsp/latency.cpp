#include "dsp/latency.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdlib>

#include "dsp/fft.hpp"

namespace ampbench::dsp {

LagEstimate estimate_lag(std::span<const double> x, std::span<const float> y, int max_lag,
                         int guard) {
  std::size_t n = 1;
  while (n < x.size() + y.size()) n <<= 1;
  const auto fft = RealFft::for_size(n);
  AlignedBuffer<double> a(n), b(n);
  std::fill(a.data(), a.data() + n, 0.0);
  std::fill(b.data(), b.data() + n, 0.0);
  std::copy(x.begin(), x.end(), a.data());
  std::copy(y.begin(), y.end(), b.data());
  AlignedBuffer<std::complex<double>> fa(n / 2 + 1), fb(n / 2 + 1);
  fft->forward(a.data(), fa.data());
  fft->forward(b.data(), fb.data());
  for (std::size_t k = 0; k <= n / 2; ++k) fb[k] *= std::conj(fa[k]);
  fft->inverse(fb.data(), a.data());
  const int last = std::min(max_lag, static_cast<int>(n) - 1);
  LagEstimate out;
  for (int lag = 0; lag <= last; ++lag) {
    const double c = a[static_cast<std::size_t>(lag)];
    if (std::abs(c) > std::abs(a[static_cast<std::size_t>(out.lag)])) out.lag = lag;
    if (c > a[static_cast<std::size_t>(out.positive_lag)]) out.positive_lag = lag;
  }
  const double peak = std::abs(a[static_cast<std::size_t>(out.lag)]);
  out.negative = a[static_cast<std::size_t>(out.lag)] < 0.0;
  double elsewhere = 0.0;
  for (int lag = 0; lag <= last; ++lag)
    if (std::abs(lag - out.lag) > guard)
      elsewhere = std::max(elsewhere, std::abs(a[static_cast<std::size_t>(lag)]));
  out.distinctness = elsewhere > 0.0 ? peak / elsewhere : (peak > 0.0 ? INFINITY : 0.0);
  return out;
}

}  // namespace ampbench::dsp
