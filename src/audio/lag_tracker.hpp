// audio: a real interface's round-trip latency, found from what it played and recorded — on
// the channel whose correlation peak stands out most (a dead channel's, or a tone's comb of
// equal peaks, does not), on its magnitude (an inverting DUT). The stream keeps its latency,
// so a lag once found from a broadband capture (a sweep, noise, the loopback) holds for the
// tones after it; before that a tone is aligned to a whole period only and its absolute
// phase is not known. Shared by the backends that stream to hardware.
#pragma once

#include <cstddef>
#include <vector>

#include "audio/audio_buffer.hpp"

namespace ampbench::audio {

class LagTracker {
 public:
  // Frames to record beyond the stimulus: before the lag is known `unknown_s`, after it the
  // lag and 5 ms; never more than longest_s. Each capture would otherwise waste the
  // whole allowance.
  std::size_t margin_frames(double sample_rate_hz, double unknown_s, double longest_s) const;
  // Learns from one transfer: `record[c]` is what input c recorded from the stimulus' first
  // frame on, `margin` frames longer than the stimulus.
  void update(const AudioBuffer& stimulus, const std::vector<std::vector<float>>& record,
              int margin);
  int lag() const { return lag_; }
  bool known() const { return known_; }

 private:
  int lag_ = 0;
  bool known_ = false;
};

}  // namespace ampbench::audio
