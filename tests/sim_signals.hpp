// Tests' helper: the same sine on every output of a port, at `vrms` through its calibration.
#pragma once

#include <cstddef>

#include "audio/audio_port.hpp"
#include "dsp/signal.hpp"

namespace ampbench::testing {

inline audio::AudioBuffer stereo_sine(double f, double vrms, const audio::AudioPort& port,
                                      std::size_t frames) {
  audio::AudioBuffer b;
  b.sample_rate_hz = port.sample_rate_hz();
  const double peak_fs = vrms / port.calibration().output_vrms_at_0dbfs;
  for (int c = 0; c < port.output_count(); ++c)
    b.channels.push_back(dsp::generate_sine(f, peak_fs, b.sample_rate_hz, frames));
  return b;
}

}  // namespace ampbench::testing
