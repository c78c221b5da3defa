#include "audio/audio_port.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>

#include "dsp/true_peak.hpp"
#include "dsp/units.hpp"

namespace ampbench::audio {
namespace {

// Adds the wall time of its scope to `total_s`, however the scope ends.
class BusyTime {
 public:
  explicit BusyTime(double& total_s) : total_s_(total_s) {}
  ~BusyTime() {
    total_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }
  BusyTime(const BusyTime&) = delete;
  BusyTime& operator=(const BusyTime&) = delete;

 private:
  double& total_s_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

std::string format_db(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

}  // namespace

InputClippedError::InputClippedError(int input, double peak_dbfs, double limit_dbfs)
    : SafetyError("input " + std::to_string(input) + " reached " + format_db(peak_dbfs) +
                  " dBFS, above the station's max_input_dbfs of " + format_db(limit_dbfs) +
                  " dBFS: stimulus stopped (input clipping)"),
      input_(input),
      peak_dbfs_(peak_dbfs) {}

double AudioPort::peak_output_vrms(const std::vector<double>& samples) const {
  return dsp::true_peak(samples) * calibration_.output_vrms_at_0dbfs;
}

namespace {

// Between samples a waveform rises 3 dB above them for a sine at fs/4 and about 6 dB for
// random full-band words (dsp/true_peak.hpp): a stimulus whose samples stay 6 dB inside the
// limit needs no reading between them.
constexpr double kInterSampleHeadroom = 2.0;
// What a real interface records past the latency once it knows it (PortAudioPort).
constexpr double kRecordTailS = 0.005;

}  // namespace

void AudioPort::check_stimulus(const AudioBuffer& stimulus) const {
  if (static_cast<int>(stimulus.channel_count()) != output_count()) {
    throw MeasurementError("stimulus has " + std::to_string(stimulus.channel_count()) +
                           " channels, the port " + std::to_string(output_count()) + " outputs");
  }
  if (stimulus.sample_rate_hz != sample_rate_hz()) {
    throw MeasurementError("stimulus at " + std::to_string(stimulus.sample_rate_hz) +
                           " Hz, the port runs at " + std::to_string(sample_rate_hz()) + " Hz");
  }
  for (std::size_t c = 0; c < stimulus.channel_count(); ++c) {
    const auto& samples = stimulus.channels[c];
    if (samples.size() != stimulus.frames())
      throw MeasurementError("stimulus channels differ in length");
    double sample_peak = 0.0;
    for (double v : samples) {
      if (!std::isfinite(v) || std::abs(v) > 1.0)
        throw SafetyError("stimulus on output " + std::to_string(c + 1) +
                          " exceeds digital full scale");
      sample_peak = std::max(sample_peak, std::abs(v));
    }
    // The waveform the DAC reconstructs peaks between samples too (a multitone by a few per
    // cent); the interpolation's own error stays below the 10⁻⁴ allowed here.
    const double sample_vrms = sample_peak * calibration_.output_vrms_at_0dbfs;
    const double vrms = sample_vrms * kInterSampleHeadroom <= safety_.max_output_vrms
                            ? sample_vrms
                            : peak_output_vrms(samples);
    if (vrms > safety_.max_output_vrms * (1.0 + 1e-4)) {
      throw SafetyError("stimulus on output " + std::to_string(c + 1) + " would reach " +
                        format_db(vrms) + " Vrms, above the station's max_output_vrms of " +
                        format_db(safety_.max_output_vrms) + " Vrms: refused");
    }
  }
}

Capture AudioPort::transfer_once(const AudioBuffer& stimulus) {
  std::optional<AudioBuffer> trimmed;
  if (!output_trim_.empty()) {
    trimmed = stimulus;
    for (std::size_t c = 0; c < trimmed->channel_count() && c < output_trim_.size(); ++c)
      for (double& v : trimmed->channels[c]) {
        v *= output_trim_[c];
        if (std::abs(v) > 1.0)
          throw SafetyError("stimulus on output " + std::to_string(c + 1) +
                            " exceeds digital full scale once trimmed by its calibration (" +
                            format_db(dsp::amplitude_ratio_to_db(output_trim_[c])) + " dB)");
      }
  }
  ++transfers_;
  frames_played_ += stimulus.frames();
  clock_s_ += static_cast<double>(stimulus.frames()) / sample_rate_hz();
  Capture capture;
  {
    const BusyTime busy(busy_s_);
    capture = transfer(trimmed ? *trimmed : stimulus,
                       dsp::db_to_amplitude_ratio(safety_.max_input_dbfs));
  }
  // The recording past the stimulus holds the interface too (its output silent).
  const double played_s = static_cast<double>(stimulus.frames()) / sample_rate_hz();
  if (capture.held_s <= 0.0)
    capture.held_s =
        played_s + capture.latency_samples / sample_rate_hz() + kRecordTailS + period_wait_s();
  clock_s_ += std::max(0.0, capture.held_s - played_s);
  for (std::size_t c = 0; c < capture.audio.channel_count() && c < input_trim_.size(); ++c)
    for (double& v : capture.audio.channels[c]) v *= input_trim_[c];
  if (capture.xruns > 0) {
    const std::string at = capture.first_xrun_s
                               ? " at " + format_db(*capture.first_xrun_s) + " s into the capture"
                               : "";
    throw XrunError("xrun" + at + " (" + std::to_string(capture.xruns) +
                    " in all): audio lost, nothing measured");
  }
  if (capture.clipped_input) {
    const auto i = static_cast<std::size_t>(*capture.clipped_input - 1);
    throw InputClippedError(*capture.clipped_input, capture.peak_dbfs.at(i),
                            safety_.max_input_dbfs);
  }
  return capture;
}

Capture AudioPort::play_and_capture(const AudioBuffer& stimulus) {
  check_stimulus(stimulus);
  return with_retries([&] { return transfer_once(stimulus); });
}

void AudioPort::set_channel_trims(std::vector<double> output_gain, std::vector<double> input_gain) {
  output_trim_ = std::move(output_gain);
  input_trim_ = std::move(input_gain);
}

Capture AudioPort::play_burst(const AudioBuffer& stimulus, double duty) {
  const double limit = std::min(duty > 0.0 ? duty : safety_.max_burst_duty, safety_.max_burst_duty);
  const double duration = static_cast<double>(stimulus.frames()) / sample_rate_hz();
  check_stimulus(stimulus);
  // A burst played again after an xrun is another burst: it waits its duty pause too.
  return with_retries([&] {
    if (!bursts_.empty()) {
      // The previous burst's period must be at least its on-time / duty before this one starts.
      const BurstRecord& last = bursts_.back();
      const double earliest = last.start_s + last.duration_s / limit;
      if (clock_s_ < earliest) wait_silent(earliest - clock_s_);
    }
    bursts_.push_back({clock_s_, duration});
    return transfer_once(stimulus);
  });
}

void AudioPort::wait_silent(double seconds) {
  {
    const BusyTime busy(busy_s_);
    idle(seconds);
  }
  clock_s_ += seconds;
}

Capture AudioPort::with_retries(const std::function<Capture()>& attempt) {
  for (int retries = 0;; ++retries) {
    try {
      return attempt();
    } catch (const XrunError& e) {
      if (retries < xrun_retries_) {
        ++xrun_retried_transfers_;
        continue;
      }
      if (retries == 0) throw;
      throw XrunError(std::string(e.what()) + "; an xrun in each of " +
                      std::to_string(retries + 1) + " attempts");
    }
  }
}

}  // namespace ampbench::audio
