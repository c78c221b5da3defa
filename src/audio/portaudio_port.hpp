// The `portaudio` AudioPort backend: one full-duplex PortAudio stream (ALSA or JACK host
// API), float32, opened once and kept running; each transfer arms preallocated play and
// record buffers that the callback walks with atomic indices — it never blocks or
// allocates. The latency is measured per capture by cross-correlating the capture with
// the stimulus and removed; status flags from PortAudio and JACK's xrun count turn a
// capture into an error. With the JACK host API, a control client wires the stream's
// ports to the DUT's and notices if the DUT leaves.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "audio/audio_port.hpp"
#include "audio/lag_tracker.hpp"

namespace ampbench::audio {

struct PortAudioSettings {
  std::string device;    // substring of the device name ("" = the host API's default)
  std::string host_api;  // substring of the host API name: "JACK", "ALSA" ("" = any)
  double sample_rate_hz = 48000.0;
  std::vector<int> outputs;  // 1-based device channels, one per DUT input
  std::vector<int> inputs;   // 1-based device channels, one per DUT output
  double max_latency_s = 0.5;
  // JACK only: our client's name, the DUT ports our outputs feed and our inputs read, and
  // the DUT's client to watch.
  std::string jack_client_name = "ampbench";
  std::vector<std::string> jack_connect_outputs;
  std::vector<std::string> jack_connect_inputs;
  std::string jack_dut_client;
  // JACK only: run the whole graph as fast as the CPU allows (no real time, so no xruns
  // either) — for CI; a measurement run keeps real time.
  bool jack_freewheel = false;
};

class PortAudioPort : public AudioPort {
 public:
  // Throws MeasurementError naming the device, host API or the rates it supports.
  PortAudioPort(SafetyLimits safety, PortCalibration calibration, PortAudioSettings settings);
  ~PortAudioPort() override;

  double sample_rate_hz() const override { return settings_.sample_rate_hz; }
  int output_count() const override { return static_cast<int>(settings_.outputs.size()); }
  int input_count() const override { return static_cast<int>(settings_.inputs.size()); }
  std::string describe() const override;
  bool latency_known() const override { return lag_.known(); }

  struct Shared;

 protected:
  Capture transfer(const AudioBuffer& stimulus, double clip_threshold_fs) override;
  void idle(double seconds) override;

 private:
  PortAudioSettings settings_;
  std::string device_name_;
  std::unique_ptr<Shared> shared_;
  void* stream_ = nullptr;
  std::unique_ptr<class JackGraph> graph_;
  LagTracker lag_;
  bool wedged_ = false;  // a callback never left the buffers after a stall
};

// "ALSA: hw:0,0 (2 in, 2 out, 48000 Hz)" for every PortAudio device.
std::vector<std::string> list_portaudio_devices();

}  // namespace ampbench::audio
