#include "audio/sim_port.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "dsp/units.hpp"
#include "sim/resampler.hpp"

namespace ampbench::audio {

SimPort::SimPort(SafetyLimits safety, PortCalibration calibration, sim::SimChain chain,
                 std::shared_ptr<sim::SimWiring> wiring,
                 std::vector<double> true_output_vrms_at_0dbfs)
    : AudioPort(safety, calibration),
      chain_(std::move(chain)),
      wiring_(std::move(wiring)),
      true_output_vrms_at_0dbfs_(std::move(true_output_vrms_at_0dbfs)) {}

void SimPort::follow_wiring(const AudioBuffer& stimulus) {
  if (!wiring_) return;
  if (const auto loads = wiring_->loads_ohm()) {
    // Loads in parallel; none connected is an open output.
    double conductance = 0.0;
    for (double ohm : *loads) conductance += 1.0 / ohm;
    chain_.set_load_ohm(conductance > 0.0 ? 1.0 / conductance
                                          : std::numeric_limits<double>::infinity());
  }
  chain_.set_generator(wiring_->generator());
  chain_.set_supply_ripple(wiring_->supply_ripple());
  // What a DMM on an output reads: the rms of the steady second half, in volts.
  std::vector<double> vrms;
  for (std::size_t c = 0; c < stimulus.channels.size(); ++c) {
    const auto& channel = stimulus.channels[c];
    const double volts_per_fs = c < true_output_vrms_at_0dbfs_.size()
                                    ? true_output_vrms_at_0dbfs_[c]
                                    : calibration().output_vrms_at_0dbfs;
    double sum = 0.0;
    const std::size_t from = channel.size() / 2;
    for (std::size_t i = from; i < channel.size(); ++i) sum += channel[i] * channel[i];
    const double n = static_cast<double>(channel.size() - from);
    // A full-scale sine (peak 1) is output_vrms_at_0dbfs: volts per unit of peak are √2 times it.
    vrms.push_back(n > 0 ? std::sqrt(sum / n) * std::numbers::sqrt2 * volts_per_fs : 0.0);
  }
  wiring_->outputs_carry(vrms);
}

std::string SimPort::describe() const {
  return "simulated DUT, " + std::to_string(chain_.channel_count()) + " channels at " +
         std::to_string(static_cast<int>(chain_.sample_rate_hz())) + " Hz";
}

namespace {

// What the DAC really plays, sample by sample on the ADC's clock: through the OS mixer's
// conversion, then at the DAC's own clock rate.
AudioBuffer as_played(const AudioBuffer& stimulus, const SimInterface& interface) {
  AudioBuffer played = stimulus;
  for (auto& channel : played.channels) {
    if (interface.resampler_hz > 0.0)
      channel = sim::through_rate(channel, stimulus.sample_rate_hz, interface.resampler_hz);
    if (interface.clock_ppm != 0.0) channel = sim::with_clock_offset(channel, interface.clock_ppm);
  }
  return played;
}

// A digital loopback: 24-bit words, rounded, saturating at full scale.
Capture digital_loopback(const AudioBuffer& played, double clip_threshold_fs) {
  constexpr double kWordsPerFs = 8388608.0;  // 2²³
  Capture capture;
  capture.audio.sample_rate_hz = played.sample_rate_hz;
  for (std::size_t c = 0; c < played.channels.size(); ++c) {
    auto& out = capture.audio.channels.emplace_back();
    double peak = 0.0;
    for (double x : played.channels[c]) {
      const double word = std::clamp(std::round(x * kWordsPerFs), -kWordsPerFs, kWordsPerFs - 1.0);
      out.push_back(word / kWordsPerFs);
      peak = std::max(peak, std::abs(word / kWordsPerFs));
    }
    capture.peak_dbfs.push_back(dsp::amplitude_ratio_to_db(peak));
    if (!capture.clipped_input && peak > clip_threshold_fs)
      capture.clipped_input = static_cast<int>(c + 1);
  }
  return capture;
}

}  // namespace

Capture SimPort::transfer(const AudioBuffer& original, double clip_threshold_fs) {
  const bool faulty = interface_.clock_ppm != 0.0 || interface_.resampler_hz > 0.0;
  const AudioBuffer played = faulty ? as_played(original, interface_) : AudioBuffer{};
  const AudioBuffer& stimulus = faulty ? played : original;
  if (interface_.digital) {
    last_transfer_frames_ = stimulus.frames();
    return digital_loopback(stimulus, clip_threshold_fs);
  }
  const std::size_t channels = stimulus.channel_count();
  const std::size_t frames = stimulus.frames();
  const auto latency = static_cast<std::size_t>(chain_.latency_samples());
  const std::size_t total = frames + latency;  // run on until the last sample comes back

  chain_.reset();
  chain_.watch_supply(frames / 2, frames);
  follow_wiring(stimulus);
  std::vector<std::vector<double>> raw(channels, std::vector<double>(total, 0.0));
  std::vector<std::vector<double>> block_in(channels, std::vector<double>(kBlockFrames, 0.0));
  std::vector<double> peak(channels, 0.0);
  Capture capture;
  capture.latency_samples = static_cast<int>(latency);

  std::vector<const double*> in(channels);
  std::vector<double*> out(channels);
  std::size_t done = 0;
  while (done < total) {
    const std::size_t n = std::min(kBlockFrames, total - done);
    for (std::size_t c = 0; c < channels; ++c) {
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t at = done + i;
        block_in[c][i] = at < frames ? stimulus.channels[c][at] : 0.0;
      }
      in[c] = block_in[c].data();
      out[c] = raw[c].data() + done;
    }
    chain_.process(in, out, n);
    done += n;
    for (std::size_t c = 0; c < channels; ++c) {
      for (std::size_t i = done - n; i < done; ++i)
        peak[c] = std::max(peak[c], std::abs(raw[c][i]));
      if (!capture.clipped_input && peak[c] > clip_threshold_fs)
        capture.clipped_input = static_cast<int>(c + 1);
    }
    if (capture.clipped_input) break;
  }

  last_transfer_frames_ = done;
  if (wiring_)
    if (const auto amps = chain_.supply_current_a()) wiring_->supply_draws(*amps);
  const std::size_t captured = done > latency ? std::min(done - latency, frames) : 0;
  capture.audio.sample_rate_hz = chain_.sample_rate_hz();
  capture.audio.channels.resize(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    capture.audio.channels[c].assign(
        raw[c].begin() + static_cast<long>(std::min(latency, done)),
        raw[c].begin() + static_cast<long>(std::min(latency, done) + captured));
    capture.peak_dbfs.push_back(dsp::amplitude_ratio_to_db(peak[c]));
  }
  return capture;
}

}  // namespace ampbench::audio
