// sequence/bench_meter: how long a run held its bench, counted the same way on hardware and
// in simulation (docs/design.md): the stimulus the port played, the time the unit holds the
// bench (the port's clock with each transfer's recording past its stimulus and the duty
// pauses, settling waits, and this computer's analysis) and the transfers it took.
#pragma once

#include <chrono>
#include <cstdint>

#include "audio/audio_port.hpp"
#include "record/record.hpp"

namespace ampbench::sequence {

// Started when the run starts, on the thread that runs it; read when it ends.
class BenchMeter {
 public:
  explicit BenchMeter(const audio::AudioPort* port);
  record::BenchTime read() const;

 private:
  const audio::AudioPort* port_;
  std::chrono::steady_clock::time_point started_;
  double waits_s_, clock_s_ = 0.0, busy_s_ = 0.0;
  std::uint64_t frames_ = 0, transfers_ = 0;
};

}  // namespace ampbench::sequence
