#include "dsp/resampling.hpp"

#include <algorithm>
#include <cmath>

#include "dsp/tone_analysis.hpp"
#include "dsp/units.hpp"

namespace ampbench::dsp {
namespace {

double folded(double frequency_hz, double sample_rate_hz) {
  const double f = std::fmod(std::abs(frequency_hz), sample_rate_hz);
  return f > sample_rate_hz / 2.0 ? sample_rate_hz - f : f;
}

// The same images, in any order, to a hertz.
bool same_frequencies(std::vector<double> a, std::vector<double> b) {
  if (a.size() != b.size()) return false;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::abs(a[i] - b[i]) > 1.0) return false;
  return true;
}

}  // namespace

std::vector<ImageFrequency> resampling_image_frequencies(double tone_hz, double through_hz,
                                                         double sample_rate_hz,
                                                         double bin_width_hz) {
  // Far enough from the tone's harmonics that their window lobes leave the image's own.
  const double guard_hz = 12.0 * bin_width_hz;
  std::vector<ImageFrequency> out;
  for (int k = 1; k <= 2; ++k)
    for (const double sign : {-1.0, 1.0}) {
      const double f = folded(k * through_hz + sign * tone_hz, sample_rate_hz);
      bool clear = f >= 20.0 && f <= sample_rate_hz / 2.0 - guard_hz;
      for (int h = 1; h <= 10 && clear; ++h)
        clear = std::abs(f - folded(h * tone_hz, sample_rate_hz)) > guard_hz;
      for (const auto& other : out) clear = clear && std::abs(f - other.frequency_hz) > guard_hz;
      if (clear) out.push_back({k, f});
    }
  return out;
}

std::optional<ResamplingImages> find_resampling_images(const PowerSpectrum& spectrum,
                                                       double tone_hz) {
  const double fs = spectrum.sample_rate_hz;
  const double tone_ms = tone_mean_square_at(spectrum, tone_hz);
  std::optional<ResamplingImages> first;
  for (const double rate : kCommonSampleRatesHz) {
    if (std::abs(rate - fs) < 1.0) continue;
    ResamplingImages found;
    found.through_hz = {rate};
    bool first_order = false;
    for (const auto& image :
         resampling_image_frequencies(tone_hz, rate, fs, spectrum.bin_width_hz())) {
      const double f = image.frequency_hz;
      const auto prominence = tone_prominence_db(spectrum, f);
      if (!prominence || *prominence < kImagePresentDb) continue;
      const double level_dbc = power_ratio_to_db(tone_mean_square_at(spectrum, f) / tone_ms);
      if (level_dbc < kImageFloorDbc) continue;
      first_order = first_order || image.order == 1;
      found.frequency_hz.push_back(f);
      found.level_dbc.push_back(level_dbc);
    }
    if (!first_order || found.frequency_hz.size() < 2) continue;
    if (!first)
      first = found;
    else if (same_frequencies(found.frequency_hz, first->frequency_hz))
      first->through_hz.push_back(rate);
  }
  return first;
}

}  // namespace ampbench::dsp
