#include "sequence/bench_meter.hpp"

#include <algorithm>

#include "common/bench_clock.hpp"

namespace ampbench::sequence {

BenchMeter::BenchMeter(const audio::AudioPort* port)
    : port_(port), started_(std::chrono::steady_clock::now()), waits_s_(bench_waits_s()) {
  if (!port_) return;
  clock_s_ = port_->clock_s();
  busy_s_ = port_->busy_s();
  frames_ = port_->frames_played();
  transfers_ = port_->transfer_count();
}

record::BenchTime BenchMeter::read() const {
  record::BenchTime t;
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double waits_s = bench_waits_s() - waits_s_;
  double outside_s = wall_s - waits_s;
  t.unit_s = waits_s;
  if (port_) {
    t.stimulus_s = static_cast<double>(port_->frames_played() - frames_) / port_->sample_rate_hz();
    t.unit_s += port_->clock_s() - clock_s_;
    outside_s -= port_->busy_s() - busy_s_;
    t.transfers = static_cast<std::int64_t>(port_->transfer_count() - transfers_);
  }
  t.analysis_s = std::max(0.0, outside_s);
  t.unit_s += t.analysis_s;
  return t;
}

}  // namespace ampbench::sequence
