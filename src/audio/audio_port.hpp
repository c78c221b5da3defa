// audio: the AudioPort — one synchronised duplex transfer per call: play a stimulus on the
// DUT's input channels and capture its outputs on the same sample clock. Backends (sim,
// PortAudio) implement transfer(); the safety limits are enforced here, in the
// base class, so no backend and no step can bypass them.
//
// Contract of play_and_capture():
//  - stimulus has output_count() channels at sample_rate_hz(), in full-scale units;
//  - a stimulus whose peak would drive an output above max_output_vrms (as the rms of a
//    sine of that peak) or above full scale is refused with SafetyError; nothing plays;
//  - the capture has input_count() channels of the stimulus' length, aligned with it
//    (the interface's latency already removed and reported in latency_samples);
//  - an input going above max_input_dbfs stops the stimulus at once and throws
//    InputClippedError naming the input and its level;
//  - an xrun (lost or repeated samples) is never a wrong number: the transfer is played
//    again, up to xrun_retries() times (a host's hiccup, not the DUT's), then XrunError;
//  - a burst (play_burst) first waits until its on-time, over the time since the
//    previous burst began, stays within max_burst_duty (or a lower duty asked for).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audio/audio_buffer.hpp"
#include "common/error.hpp"

namespace ampbench::audio {

struct SafetyLimits {
  double max_output_vrms = 1.0;
  double max_input_dbfs = -1.0;
  double max_burst_duty = 0.25;
};

struct PortCalibration {
  double output_vrms_at_0dbfs = 1.0;
  double input_vrms_at_0dbfs = 1.0;
};

// One burst as the port played it, on the port's clock.
struct BurstRecord {
  double start_s = 0.0;
  double duration_s = 0.0;
};

struct Capture {
  AudioBuffer audio;
  int latency_samples = 0;
  // The latency is the interface's own, found from a broadband signal (or known, as the
  // simulator's): a tone's phase re its stimulus means something. False while only tones
  // have played through a real interface (aligned to a whole period only).
  bool latency_certain = true;
  std::vector<double> peak_dbfs;     // per input
  std::optional<int> clipped_input;  // 1-based, when the transfer stopped on clipping
  std::uint64_t xruns = 0;
  std::optional<double> first_xrun_s;  // how far into the capture the first one came
  // How long the transfer held the interface: measured on hardware (the stimulus, the
  // recording past it, the stream's periods); 0 where a backend cannot know, when the
  // port counts the stimulus, the latency and a 5 ms tail as a real interface records.
  double held_s = 0.0;
};

class InputClippedError : public SafetyError {
 public:
  InputClippedError(int input, double peak_dbfs, double limit_dbfs);
  int input() const { return input_; }
  double peak_dbfs() const { return peak_dbfs_; }

 private:
  int input_;
  double peak_dbfs_;
};

// Audio was lost or repeated in a transfer: nothing it captured can be measured.
class XrunError : public MeasurementError {
 public:
  using MeasurementError::MeasurementError;
};

class AudioPort {
 public:
  AudioPort(SafetyLimits safety, PortCalibration calibration)
      : safety_(safety), calibration_(calibration) {}
  virtual ~AudioPort() = default;
  AudioPort(const AudioPort&) = delete;
  AudioPort& operator=(const AudioPort&) = delete;

  virtual double sample_rate_hz() const = 0;
  virtual int output_count() const = 0;
  virtual int input_count() const = 0;
  virtual std::string describe() const = 0;
  // Whether the round-trip latency is known (Capture::latency_certain): a simulator knows
  // it; a real interface once a broadband capture has played through it.
  virtual bool latency_known() const { return true; }
  // Whether a transfer takes the stimulus's own time (an interface) or is computed (the
  // simulator): an instrument read while a tone plays is read from another thread on the
  // first and after the transfer on the second.
  virtual bool plays_in_real_time() const { return true; }

  Capture play_and_capture(const AudioBuffer& stimulus);
  // A short high-level stimulus for power measurements, duty-cycle limited; `duty` above
  // the station's max_burst_duty is lowered to it.
  Capture play_burst(const AudioBuffer& stimulus, double duty);

  const SafetyLimits& safety() const { return safety_; }
  // The nominal calibration every channel is brought to by its trim.
  const PortCalibration& calibration() const { return calibration_; }
  // Per-channel trims from the channels' own calibrations (SPEC §15): each output's samples
  // are scaled by its gain as they play, so the nominal calibration's volts come out; each
  // input's by its gain as they are captured. Empty vectors (the default): no trim. The
  // safety checks judge the untrimmed stimulus at the nominal calibration, which is what the
  // outputs then carry; clipping is judged on the raw input samples.
  void set_channel_trims(std::vector<double> output_gain, std::vector<double> input_gain);
  // Transfers so far (bursts, for the max-power search) and frames played in them.
  std::uint64_t transfer_count() const { return transfers_; }
  std::uint64_t frames_played() const { return frames_played_; }
  // The sine-equivalent Vrms a buffer's true peak (between samples too, dsp/true_peak.hpp)
  // would put on an output.
  double peak_output_vrms(const std::vector<double>& samples) const;
  // How many times a transfer that lost audio is played again before XrunError (station
  // `[audio] xrun_retries`), and how many transfers have been played again so far.
  int xrun_retries() const { return xrun_retries_; }
  void set_xrun_retries(int retries) { xrun_retries_ = retries; }
  std::uint64_t xrun_retried_transfers() const { return xrun_retried_transfers_; }
  // Seconds the port has held the interface, playing (Capture::held_s) or idling: its own
  // clock, which never runs ahead of real time on hardware (it ignores time spent between
  // transfers).
  double clock_s() const { return clock_s_; }
  const std::vector<BurstRecord>& bursts() const { return bursts_; }
  // Outputs silence for this long (hardware: waits; simulation: no time at all); the
  // port's clock counts it either way.
  void wait_silent(double seconds);
  // Wall time this process has spent inside the backend's transfers and idles: on
  // hardware the interface's own time, in simulation the simulator's cost; what is left of
  // a run's wall time is analysis.
  double busy_s() const { return busy_s_; }

 protected:
  // Play and capture; stop as soon as any input's |sample| exceeds clip_threshold_fs and
  // say which input in Capture::clipped_input.
  virtual Capture transfer(const AudioBuffer& stimulus, double clip_threshold_fs) = 0;
  // Output silence for this long (hardware: sleep; simulation: advance its clock).
  virtual void idle(double seconds) = 0;
  // A simulator's model of how long a transfer waits for the stream's next period.
  virtual double period_wait_s() const { return 0.0; }

 private:
  void check_stimulus(const AudioBuffer& stimulus) const;
  Capture transfer_once(const AudioBuffer& stimulus);
  Capture with_retries(const std::function<Capture()>& attempt);

  SafetyLimits safety_;
  PortCalibration calibration_;
  std::vector<double> output_trim_, input_trim_;
  int xrun_retries_ = 2;
  std::uint64_t xrun_retried_transfers_ = 0;
  std::uint64_t transfers_ = 0;
  std::uint64_t frames_played_ = 0;
  double clock_s_ = 0.0;
  double busy_s_ = 0.0;
  std::vector<BurstRecord> bursts_;
};

}  // namespace ampbench::audio
