// Multichannel audio in full-scale units (peak 1.0 = 0 dBFS), one vector per channel.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ampbench::audio {

struct AudioBuffer {
  double sample_rate_hz = 48000.0;
  std::vector<std::vector<double>> channels;
  std::string comment;  // WAV comment (ampbench records a sweep's parameters there)

  std::size_t frames() const { return channels.empty() ? 0 : channels.front().size(); }
  std::size_t channel_count() const { return channels.size(); }
};

}  // namespace ampbench::audio
