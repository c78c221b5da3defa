#include "audio/sim_slots_port.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <future>

#include "dsp/units.hpp"

namespace ampbench::audio {

SimSlotsPort::SimSlotsPort(SafetyLimits safety, PortCalibration calibration, double sample_rate_hz,
                           int channels, std::vector<SlotSim> slots, double crosstalk_db)
    : AudioPort(safety, calibration),
      sample_rate_hz_(sample_rate_hz),
      channels_(channels),
      slots_(std::move(slots)),
      crosstalk_(dsp::db_to_amplitude_ratio(crosstalk_db)) {}

std::string SimSlotsPort::describe() const {
  return std::to_string(slots_.size()) + " simulated DUTs in slots, " + std::to_string(channels_) +
         " channels at " + std::to_string(static_cast<int>(sample_rate_hz_)) + " Hz";
}

void SimSlotsPort::set_unit(std::size_t slot, std::unique_ptr<SimPort> port) {
  std::lock_guard lock(mutex_);
  slots_.at(slot).port = std::move(port);
}

Capture SimSlotsPort::transfer(const AudioBuffer& stimulus, double clip_threshold_fs) {
  std::lock_guard lock(mutex_);
  const std::size_t frames = stimulus.frames();
  Capture all;
  all.audio.sample_rate_hz = sample_rate_hz_;
  all.audio.channels.assign(static_cast<std::size_t>(channels_), std::vector<double>(frames, 0.0));
  all.peak_dbfs.assign(static_cast<std::size_t>(channels_), dsp::amplitude_ratio_to_db(0.0));
  // Each slot's DUT is simulated on its own thread, as the real ones play at once.
  const auto simulate = [&](const SlotSim& slot) {
    if (!slot.port) return Capture{};  // an empty slot
    AudioBuffer part;
    part.sample_rate_hz = sample_rate_hz_;
    for (int output : slot.outputs)
      part.channels.push_back(stimulus.channels.at(static_cast<std::size_t>(output)));
    return slot.port->transfer_checked(part, clip_threshold_fs);
  };
  std::vector<std::future<Capture>> others;
  for (std::size_t s = 1; s < slots_.size(); ++s)
    others.push_back(std::async(std::launch::async, simulate, std::cref(slots_[s])));
  std::vector<Capture> own;
  own.push_back(simulate(slots_.front()));
  for (auto& other : others) own.push_back(other.get());
  for (const auto& capture : own)
    all.latency_samples = std::max(all.latency_samples, capture.latency_samples);
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    const auto& inputs = slots_[s].inputs;
    for (std::size_t i = 0; i < own[s].audio.channels.size(); ++i) {
      auto& into = all.audio.channels[static_cast<std::size_t>(inputs[i])];
      const auto& captured = own[s].audio.channels[i];
      std::copy_n(captured.begin(), std::min(captured.size(), frames), into.begin());
      all.peak_dbfs[static_cast<std::size_t>(inputs[i])] = own[s].peak_dbfs[i];
      if (own[s].clipped_input && !all.clipped_input &&
          *own[s].clipped_input == static_cast<int>(i) + 1)
        all.clipped_input = inputs[i] + 1;
    }
  }
  // Leakage between slots, from the captures as they were before it.
  const auto clean = all.audio.channels;
  for (std::size_t s = 0; s < slots_.size(); ++s) {
    for (std::size_t i = 0; i < slots_[s].inputs.size(); ++i) {
      auto& into = all.audio.channels[static_cast<std::size_t>(slots_[s].inputs[i])];
      for (std::size_t other = 0; other < slots_.size(); ++other) {
        if (other == s || i >= slots_[other].inputs.size()) continue;
        const auto& from = clean[static_cast<std::size_t>(slots_[other].inputs[i])];
        for (std::size_t n = 0; n < frames; ++n) into[n] += crosstalk_ * from[n];
      }
    }
  }
  return all;
}

}  // namespace ampbench::audio
