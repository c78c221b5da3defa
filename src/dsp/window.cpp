#include "dsp/window.hpp"

#include <cmath>
#include <map>
#include <mutex>
#include <numbers>
#include <string>

namespace ampbench::dsp {
namespace {

std::span<const double> cosine_terms(WindowKind kind) {
  static constexpr double rectangular[] = {1.0};
  static constexpr double hann[] = {0.5, 0.5};
  // Matlab's flattop: amplitude error below 0.01 dB anywhere in the bin.
  static constexpr double flat_top[] = {0.21557895, 0.41663158, 0.277263158, 0.083578947,
                                        0.006947368};
  static constexpr double bh7[] = {0.27105140069342, 0.43329793923448, 0.21812299954311,
                                   0.06592544638803, 0.01081174209837, 0.00077658482522,
                                   0.00001388721735};
  switch (kind) {
    case WindowKind::rectangular:
      return rectangular;
    case WindowKind::hann:
      return hann;
    case WindowKind::flat_top:
      return flat_top;
    case WindowKind::blackman_harris_7:
      return bh7;
  }
  return rectangular;
}

}  // namespace

std::vector<double> make_window_samples(WindowKind kind, std::size_t size) {
  const auto terms = cosine_terms(kind);
  std::vector<double> w(size);
  for (std::size_t n = 0; n < size; ++n) {
    const double phase =
        2.0 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(size);
    double value = 0.0;
    double sign = 1.0;
    for (std::size_t k = 0; k < terms.size(); ++k) {
      value += sign * terms[k] * std::cos(static_cast<double>(k) * phase);
      sign = -sign;
    }
    w[n] = value;
  }
  return w;
}

int main_lobe_half_width_bins(WindowKind kind) {
  return static_cast<int>(cosine_terms(kind).size());
}

std::shared_ptr<const Window> cached_window(WindowKind kind, std::size_t size) {
  static std::mutex mutex;
  static std::map<std::pair<WindowKind, std::size_t>, std::shared_ptr<const Window>> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[{kind, size}];
  if (!slot) {
    auto window = std::make_shared<Window>();
    window->kind = kind;
    window->samples = make_window_samples(kind, size);
    window->sum_of_squares = 0.0;
    window->sum = 0.0;
    for (double v : window->samples) {
      window->sum_of_squares += v * v;
      window->sum += v;
    }
    window->main_lobe_half_width_bins = main_lobe_half_width_bins(kind);
    slot = std::move(window);
  }
  return slot;
}

}  // namespace ampbench::dsp
