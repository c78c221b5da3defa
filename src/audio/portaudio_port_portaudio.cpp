#include <fcntl.h>
#include <pa_jack.h>
#include <portaudio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <complex>
#include <optional>
#include <thread>

#include "audio/buffer_handoff.hpp"
#include "audio/jack_graph.hpp"
#include "audio/portaudio_port.hpp"
#include "common/error.hpp"
#include "dsp/fft.hpp"
#include "dsp/units.hpp"

namespace ampbench::audio {

// What the callback and the caller share; `handoff` says which of them may touch the
// buffers (buffer_handoff.hpp).
struct PortAudioPort::Shared {
  BufferHandoff handoff;
  std::vector<std::vector<float>> play;      // per DUT input (device output)
  std::vector<std::vector<float>> record;    // per DUT output (device input)
  std::vector<int> out_channel, in_channel;  // 0-based device channels
  int device_outputs = 0, device_inputs = 0;
  std::atomic<std::size_t> position{0};
  std::atomic<std::size_t> first_flag_position{0};  // +1, 0 = none
  float clip_threshold = 1.0f;
  std::atomic<int> clipped_input{0};
  std::atomic<std::uint64_t> status_flags{0};
  std::atomic<std::uint64_t> callbacks{0};
};

namespace {

// ALSA prints dozens of lines while PortAudio probes cards that are not there; none is an
// error for us, so stderr is closed for the duration of Pa_Initialize.
PaError initialize_quietly() {
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  const int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) ::dup2(null, STDERR_FILENO);
  const PaError e = Pa_Initialize();
  if (saved >= 0) ::dup2(saved, STDERR_FILENO);
  if (null >= 0) ::close(null);
  if (saved >= 0) ::close(saved);
  return e;
}

void check(PaError e, const std::string& what) {
  if (e != paNoError) throw MeasurementError(what + ": " + Pa_GetErrorText(e));
}

bool contains_nocase(const std::string& haystack, const std::string& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [](char a, char b) {
                       return std::tolower(static_cast<unsigned char>(a)) ==
                              std::tolower(static_cast<unsigned char>(b));
                     }) != haystack.end();
}

int callback(const void* input, void* output, unsigned long frames, const PaStreamCallbackTimeInfo*,
             PaStreamCallbackFlags flags, void* user) {
  auto& s = *static_cast<PortAudioPort::Shared*>(user);
  auto* out = static_cast<float*>(output);
  const auto* in = static_cast<const float*>(input);
  std::fill(out, out + frames * static_cast<unsigned long>(s.device_outputs), 0.0f);
  s.callbacks.fetch_add(1, std::memory_order_relaxed);
  if (!s.handoff.enter()) return paContinue;
  std::size_t position = s.position.load(std::memory_order_relaxed);
  if (flags & (paInputUnderflow | paInputOverflow | paOutputUnderflow | paOutputOverflow)) {
    if (s.status_flags.fetch_add(1) == 0)
      s.first_flag_position.store(position + 1, std::memory_order_relaxed);
  }
  const std::size_t total = s.record.empty() ? 0 : s.record[0].size();
  const bool silenced = s.clipped_input.load(std::memory_order_relaxed) != 0;
  for (unsigned long i = 0; i < frames && position < total; ++i, ++position) {
    if (!silenced) {
      for (std::size_t c = 0; c < s.play.size(); ++c)
        if (position < s.play[c].size())
          out[i * static_cast<unsigned long>(s.device_outputs) +
              static_cast<unsigned long>(s.out_channel[c])] = s.play[c][position];
    }
    for (std::size_t c = 0; c < s.record.size(); ++c) {
      const float v = in ? in[i * static_cast<unsigned long>(s.device_inputs) +
                              static_cast<unsigned long>(s.in_channel[c])]
                         : 0.0f;
      s.record[c][position] = v;
      // Input clipping: the stimulus stops within this period.
      if (std::abs(v) > s.clip_threshold && s.clipped_input.load(std::memory_order_relaxed) == 0)
        s.clipped_input.store(static_cast<int>(c + 1), std::memory_order_relaxed);
    }
  }
  s.position.store(position, std::memory_order_relaxed);
  s.handoff.leave(position >= total || s.clipped_input.load(std::memory_order_relaxed) != 0);
  return paContinue;
}

}  // namespace

std::vector<std::string> list_portaudio_devices() {
  std::vector<std::string> out;
  if (initialize_quietly() != paNoError) return out;
  for (int i = 0; i < Pa_GetDeviceCount(); ++i) {
    const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
    const PaHostApiInfo* h = Pa_GetHostApiInfo(d->hostApi);
    char line[512];
    std::snprintf(line, sizeof line, "%s: %s (%d in, %d out, %.0f Hz)", h ? h->name : "?", d->name,
                  d->maxInputChannels, d->maxOutputChannels, d->defaultSampleRate);
    out.push_back(line);
  }
  Pa_Terminate();
  return out;
}

PortAudioPort::PortAudioPort(SafetyLimits safety, PortCalibration calibration,
                             PortAudioSettings settings)
    : AudioPort(safety, calibration),
      settings_(std::move(settings)),
      shared_(std::make_unique<Shared>()) {
  const bool jack = contains_nocase(settings_.host_api, "jack");
  if (jack) PaJack_SetClientName(settings_.jack_client_name.c_str());
  check(initialize_quietly(), "PortAudio");
  try {
    const int need_out = *std::max_element(settings_.outputs.begin(), settings_.outputs.end());
    const int need_in = *std::max_element(settings_.inputs.begin(), settings_.inputs.end());
    PaDeviceIndex chosen = paNoDevice;
    std::string seen;
    for (int i = 0; i < Pa_GetDeviceCount(); ++i) {
      const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
      const PaHostApiInfo* h = Pa_GetHostApiInfo(d->hostApi);
      seen += std::string(seen.empty() ? "" : "; ") + (h ? h->name : "?") + ": " + d->name;
      if (!settings_.host_api.empty() && !(h && contains_nocase(h->name, settings_.host_api)))
        continue;
      if (!settings_.device.empty() && !contains_nocase(d->name, settings_.device)) continue;
      if (d->maxOutputChannels < need_out || d->maxInputChannels < need_in) continue;
      chosen = i;
      break;
    }
    if (chosen == paNoDevice) {
      throw MeasurementError("no PortAudio device matches device '" + settings_.device +
                             "' on host API '" + settings_.host_api + "' with " +
                             std::to_string(need_in) + " inputs and " + std::to_string(need_out) +
                             " outputs (devices: " + (seen.empty() ? "none" : seen) + ")");
    }
    const PaDeviceInfo* d = Pa_GetDeviceInfo(chosen);
    device_name_ = d->name;
    PaStreamParameters in{chosen, d->maxInputChannels, paFloat32, d->defaultHighInputLatency,
                          nullptr};
    PaStreamParameters out{chosen, d->maxOutputChannels, paFloat32, d->defaultHighOutputLatency,
                           nullptr};
    shared_->device_inputs = in.channelCount;
    shared_->device_outputs = out.channelCount;
    for (int c : settings_.outputs) shared_->out_channel.push_back(c - 1);
    for (int c : settings_.inputs) shared_->in_channel.push_back(c - 1);
    if (Pa_IsFormatSupported(&in, &out, settings_.sample_rate_hz) != paFormatIsSupported) {
      std::string rates;
      for (double r : {44100.0, 48000.0, 88200.0, 96000.0, 176400.0, 192000.0})
        if (Pa_IsFormatSupported(&in, &out, r) == paFormatIsSupported)
          rates += (rates.empty() ? "" : ", ") + std::to_string(static_cast<int>(r));
      throw MeasurementError(
          "device '" + device_name_ + "' does not run at " +
          std::to_string(static_cast<int>(settings_.sample_rate_hz)) +
          " Hz (it supports: " + (rates.empty() ? "none of the standard rates" : rates) + ")");
    }
    check(Pa_OpenStream(&stream_, &in, &out, settings_.sample_rate_hz, paFramesPerBufferUnspecified,
                        paClipOff, callback, shared_.get()),
          "opening '" + device_name_ + "'");
    if (jack) graph_ = std::make_unique<JackGraph>(settings_.jack_client_name + "-control");
    check(Pa_StartStream(stream_), "starting '" + device_name_ + "'");
    if (graph_) {
      std::vector<std::pair<std::string, std::string>> wires;
      for (std::size_t c = 0; c < settings_.jack_connect_outputs.size(); ++c)
        wires.emplace_back(
            settings_.jack_client_name + ":out_" + std::to_string(shared_->out_channel[c]),
            settings_.jack_connect_outputs[c]);
      for (std::size_t c = 0; c < settings_.jack_connect_inputs.size(); ++c)
        wires.emplace_back(
            settings_.jack_connect_inputs[c],
            settings_.jack_client_name + ":in_" + std::to_string(shared_->in_channel[c]));
      graph_->rewire(settings_.jack_client_name, wires);
      // Only once the stream runs: freewheeling before that wedges jackd.
      if (settings_.jack_freewheel) graph_->set_freewheel(true);
    }
  } catch (...) {
    if (stream_) Pa_CloseStream(stream_);
    Pa_Terminate();
    throw;
  }
}

PortAudioPort::~PortAudioPort() {
  if (graph_ && settings_.jack_freewheel) graph_->set_freewheel(false);
  Pa_StopStream(stream_);
  Pa_CloseStream(stream_);
  graph_.reset();
  Pa_Terminate();
}

std::string PortAudioPort::describe() const {
  return "PortAudio '" + device_name_ + "' at " +
         std::to_string(static_cast<int>(settings_.sample_rate_hz)) + " Hz";
}

void PortAudioPort::idle(double seconds) {
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
}

Capture PortAudioPort::transfer(const AudioBuffer& stimulus, double clip_threshold_fs) {
  if (wedged_)
    throw MeasurementError("the audio callback of '" + device_name_ +
                           "' never returned after a stall: restart ampbench");
  Shared& s = *shared_;
  const std::size_t frames = stimulus.frames();
  const double rate = settings_.sample_rate_hz;
  const PaStreamInfo* info = Pa_GetStreamInfo(stream_);
  const double reported_s =
      info ? info->inputLatency + info->outputLatency : settings_.max_latency_s;
  // Before the first measurement, 1.5× what the stream reports.
  const std::size_t margin =
      lag_.margin_frames(rate, 1.5 * reported_s + 0.01, settings_.max_latency_s);
  s.play.assign(stimulus.channels.size(), {});
  for (std::size_t c = 0; c < stimulus.channels.size(); ++c)
    s.play[c].assign(stimulus.channels[c].begin(), stimulus.channels[c].end());
  s.record.assign(settings_.inputs.size(), std::vector<float>(frames + margin, 0.0f));
  s.position.store(0);
  s.first_flag_position.store(0);
  s.clip_threshold = static_cast<float>(clip_threshold_fs);
  s.clipped_input.store(0);
  s.status_flags.store(0);
  const std::uint64_t xruns_before = graph_ ? graph_->xruns() : 0;
  const auto armed = std::chrono::steady_clock::now();
  s.handoff.arm();

  // Every wait has a limit: the transfer's own length, plus time for the stream to start.
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(
                            static_cast<double>(frames + margin) / settings_.sample_rate_hz + 5.0);
  std::uint64_t callbacks = s.callbacks.load();
  auto last_progress = std::chrono::steady_clock::now();
  std::optional<double> first_xrun_s;
  while (!s.handoff.finished()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto now = std::chrono::steady_clock::now();
    if (!first_xrun_s && graph_ && graph_->xruns() != xruns_before)
      first_xrun_s = static_cast<double>(s.position.load()) / settings_.sample_rate_hz;
    if (s.callbacks.load() != callbacks) {
      callbacks = s.callbacks.load();
      last_progress = now;
    }
    const bool dut_gone = graph_ && !settings_.jack_dut_client.empty() &&
                          !graph_->client_present(settings_.jack_dut_client);
    if (now > deadline || now - last_progress > std::chrono::seconds(2) ||
        (graph_ && graph_->server_gone()) || dut_gone) {
      // The buffers are the caller's again only once no callback is inside them.
      if (!s.handoff.reclaim(std::chrono::milliseconds(1000))) wedged_ = true;
      if (graph_ && graph_->server_gone())
        throw MeasurementError("the JACK server went away during the capture");
      if (dut_gone)
        throw MeasurementError("the DUT's JACK client '" + settings_.jack_dut_client +
                               "' left during the capture");
      throw MeasurementError("audio stream stalled: no audio callback for 2 s on '" + device_name_ +
                             "'");
    }
  }
  s.handoff.reclaim(std::chrono::milliseconds(0));
  if (!settings_.jack_dut_client.empty() && graph_ &&
      !graph_->client_present(settings_.jack_dut_client))
    throw MeasurementError("the DUT's JACK client '" + settings_.jack_dut_client + "' is gone");

  Capture capture;
  capture.held_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - armed).count();
  capture.xruns = s.status_flags.load() + (graph_ ? graph_->xruns() - xruns_before : 0);
  if (const std::size_t flagged = s.first_flag_position.load())
    first_xrun_s = static_cast<double>(flagged - 1) / settings_.sample_rate_hz;
  capture.first_xrun_s = first_xrun_s;
  lag_.update(stimulus, s.record, static_cast<int>(margin));
  const int latency = lag_.lag();
  capture.latency_certain = lag_.known();
  capture.latency_samples = latency;
  capture.audio.sample_rate_hz = settings_.sample_rate_hz;
  for (std::size_t c = 0; c < s.record.size(); ++c) {
    const auto begin = s.record[c].begin() + latency;
    capture.audio.channels.emplace_back(begin, begin + static_cast<long>(frames));
    float peak = 0.0f;
    for (float v : s.record[c]) peak = std::max(peak, std::abs(v));
    capture.peak_dbfs.push_back(dsp::amplitude_ratio_to_db(peak));
  }
  if (const int clipped = s.clipped_input.load()) capture.clipped_input = clipped;
  return capture;
}

}  // namespace ampbench::audio
