#include "dsp/clock_offset.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "common/error.hpp"
#include "dsp/tone_analysis.hpp"

namespace ampbench::dsp {

double tone_frequency_offset_ppm(std::span<const double> samples, double nominal_hz,
                                 double sample_rate_hz) {
  const auto segment = std::max(kMinimumAnalysisFrames,
                                static_cast<std::size_t>(std::llround(0.1 * sample_rate_hz)));
  const std::size_t count = samples.size() / segment;
  if (count < 4)
    throw MeasurementError("a clock offset needs at least " + std::to_string(4 * segment) +
                           " samples of tone, not " + std::to_string(samples.size()));
  constexpr double kTwoPi = 2.0 * std::numbers::pi;
  // Each segment's phase, less what a tone at exactly nominal_hz advances by its start.
  std::vector<double> start(count), residual(count);
  for (std::size_t k = 0; k < count; ++k) {
    start[k] = static_cast<double>(k * segment);
    const double cycles = nominal_hz * start[k] / sample_rate_hz;
    const double phase =
        tone_phase_rad(samples.subspan(k * segment, segment), nominal_hz, sample_rate_hz);
    residual[k] = phase - kTwoPi * (cycles - std::floor(cycles));
  }
  for (std::size_t k = 1; k < count; ++k)
    residual[k] -= kTwoPi * std::round((residual[k] - residual[k - 1]) / kTwoPi);
  double mean_t = 0.0, mean_r = 0.0;
  for (std::size_t k = 0; k < count; ++k) {
    mean_t += start[k] / static_cast<double>(count);
    mean_r += residual[k] / static_cast<double>(count);
  }
  double stt = 0.0, str = 0.0;
  for (std::size_t k = 0; k < count; ++k) {
    stt += (start[k] - mean_t) * (start[k] - mean_t);
    str += (start[k] - mean_t) * (residual[k] - mean_r);
  }
  const double radians_per_sample = str / stt;
  const double offset_hz = radians_per_sample * sample_rate_hz / kTwoPi;
  return offset_hz / nominal_hz * 1e6;
}

}  // namespace ampbench::dsp
