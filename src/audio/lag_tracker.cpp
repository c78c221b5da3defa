#include "audio/lag_tracker.hpp"

#include <algorithm>
#include <optional>

#include "dsp/latency.hpp"

namespace ampbench::audio {

std::size_t LagTracker::margin_frames(double sample_rate_hz, double unknown_s,
                                      double longest_s) const {
  const auto longest = static_cast<std::size_t>(longest_s * sample_rate_hz);
  return std::min(longest, known_ ? static_cast<std::size_t>(lag_) +
                                        static_cast<std::size_t>(0.005 * sample_rate_hz)
                                  : static_cast<std::size_t>(unknown_s * sample_rate_hz));
}

void LagTracker::update(const AudioBuffer& stimulus, const std::vector<std::vector<float>>& record,
                        int margin) {
  std::optional<dsp::LagEstimate> best;
  const int guard = static_cast<int>(0.001 * stimulus.sample_rate_hz) + 8;
  for (std::size_t c = 0; c < stimulus.channels.size() && c < record.size(); ++c) {
    double energy = 0.0;
    for (double v : stimulus.channels[c]) energy += v * v;
    if (!(energy > 0.0)) continue;
    const auto e = dsp::estimate_lag(stimulus.channels[c], record[c], margin, guard);
    if (!best || e.distinctness > best->distinctness) best = e;
  }
  if (best && best->distinctness >= dsp::kDistinctLag) {
    lag_ = best->lag;
    known_ = true;
  } else if (best && !known_) {
    lag_ = best->positive_lag;
  }
}

}  // namespace ampbench::audio
