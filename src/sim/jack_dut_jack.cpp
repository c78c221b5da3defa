#include <jack/jack.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "sim/chain.hpp"
#include "sim/jack_dut.hpp"

namespace ampbench::sim {
namespace {

struct Unit {
  SimChain chain;
  std::vector<const double*> in_pointers;  // into Dut's buffers, at the unit's ports
  std::vector<double*> out_pointers;
};

struct Dut {
  std::vector<Unit> units;
  std::vector<jack_port_t*> inputs, outputs;
  std::vector<std::vector<double>> in_buffer, out_buffer;  // sized before activation
  std::uint64_t frames_done = 0;
  std::uint64_t stall_at_frame = 0;
  std::uint64_t stall_every_frames = 0;
  int stall_ms = 0;
  int stalls_left = 0;
  std::atomic<bool> server_gone{false};
};

int process(jack_nframes_t frames, void* arg) {
  Dut& d = *static_cast<Dut*>(arg);
  if (frames > d.in_buffer[0].size()) return 1;  // larger than prepared: skip, never allocate here
  for (std::size_t c = 0; c < d.inputs.size(); ++c) {
    const auto* in = static_cast<const float*>(jack_port_get_buffer(d.inputs[c], frames));
    for (jack_nframes_t i = 0; i < frames; ++i) d.in_buffer[c][i] = in[i];
  }
  for (auto& unit : d.units) unit.chain.process(unit.in_pointers, unit.out_pointers, frames);
  for (std::size_t c = 0; c < d.outputs.size(); ++c) {
    auto* out = static_cast<float*>(jack_port_get_buffer(d.outputs[c], frames));
    for (jack_nframes_t i = 0; i < frames; ++i) out[i] = static_cast<float>(d.out_buffer[c][i]);
  }
  d.frames_done += frames;
  if (d.stalls_left > 0 && d.frames_done >= d.stall_at_frame) {
    --d.stalls_left;
    d.stall_at_frame = d.frames_done + d.stall_every_frames;
    std::this_thread::sleep_for(std::chrono::milliseconds(d.stall_ms));
  }
  return 0;
}

}  // namespace

void run_jack_dut(const SimConfig& config, const ConverterCalibration& calibration,
                  double sample_rate_hz, int channels, const JackDutOptions& options,
                  const std::atomic<bool>& stop) {
  jack_status_t status{};
  jack_client_t* client = jack_client_open(options.client_name.c_str(), JackNoStartServer, &status);
  if (!client)
    throw MeasurementError("sim-dut: no JACK server is running (status " + std::to_string(status) +
                           ")");
  const double rate = jack_get_sample_rate(client);
  if (rate != sample_rate_hz) {
    jack_client_close(client);
    throw MeasurementError("sim-dut: the JACK server runs at " +
                           std::to_string(static_cast<int>(rate)) + " Hz, the station at " +
                           std::to_string(static_cast<int>(sample_rate_hz)) + " Hz");
  }
  Dut dut;
  // Room for any period JACK may choose, prepared here because the callback must not allocate.
  const std::size_t most = std::max<std::size_t>(jack_get_buffer_size(client), 8192);
  for (int c = 1; c <= channels; ++c) {
    dut.inputs.push_back(jack_port_register(client, ("in_" + std::to_string(c)).c_str(),
                                            JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0));
    dut.outputs.push_back(jack_port_register(client, ("out_" + std::to_string(c)).c_str(),
                                             JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0));
    dut.in_buffer.emplace_back(most, 0.0);
    dut.out_buffer.emplace_back(most, 0.0);
  }
  std::string serials;
  for (const auto& wanted : options.units) {
    Unit unit{SimChain(config, calibration, sample_rate_hz, static_cast<int>(wanted.ports.size()),
                       wanted.serial),
              {},
              {}};
    for (int port : wanted.ports) {
      unit.in_pointers.push_back(dut.in_buffer.at(static_cast<std::size_t>(port)).data());
      unit.out_pointers.push_back(dut.out_buffer.at(static_cast<std::size_t>(port)).data());
    }
    unit.chain.process(unit.in_pointers, unit.out_pointers, most);  // sizes the chain's scratch
    unit.chain.reset();
    dut.units.push_back(std::move(unit));
    if (!wanted.serial.empty()) serials += (serials.empty() ? ", serial " : ", ") + wanted.serial;
  }
  for (auto& out : dut.out_buffer) std::fill(out.begin(), out.end(), 0.0);  // ports of no unit
  if (options.stall_ms > 0) {
    dut.stall_every_frames = static_cast<std::uint64_t>(options.stall_after_s * sample_rate_hz) + 1;
    dut.stall_at_frame = dut.stall_every_frames;
    dut.stall_ms = options.stall_ms;
    dut.stalls_left = options.stall_count;
  }
  jack_set_process_callback(client, process, &dut);
  // Without this the client outlives a server that quits.
  jack_on_shutdown(
      client, [](void* arg) { static_cast<Dut*>(arg)->server_gone.store(true); }, &dut);
  if (jack_activate(client) != 0) {
    jack_client_close(client);
    throw MeasurementError("sim-dut: cannot activate the JACK client");
  }
  std::fprintf(stderr, "sim-dut: '%s' running, %d channel(s) at %.0f Hz, %zu unit(s)%s\n",
               options.client_name.c_str(), channels, rate, dut.units.size(), serials.c_str());
  while (!stop.load() && !dut.server_gone.load())
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!dut.server_gone.load()) jack_deactivate(client);
  jack_client_close(client);
}

}  // namespace ampbench::sim
