#include "sequence/bench.hpp"

#include <algorithm>
#include <numbers>

#include "audio/qa40x_port.hpp"
#include "audio/sim_port.hpp"
#ifdef AMPBENCH_WITH_PORTAUDIO
#include "audio/portaudio_port.hpp"
#endif
#include "common/error.hpp"
#include "dsp/sweep.hpp"
#include "dsp/units.hpp"
#include "sim/bench_wiring.hpp"
#include "sim/qa40x_fake.hpp"
#include "sim/sim_plugs.hpp"

namespace ampbench::sequence {

sim::ConverterCalibration sim_converter_calibration(const Station& station) {
  // The interface's true calibration may differ from the station's claim (see [sim]), and
  // from channel to channel.
  sim::ConverterCalibration calibration;
  calibration.output_vrms_at_0dbfs = station.audio.calibration.output_vrms_at_0dbfs;
  calibration.input_vrms_at_0dbfs = station.audio.calibration.input_vrms_at_0dbfs;
  calibration.attenuator_gain_db = station.attenuator_gain_db;
  auto outputs = station.audio.outputs;
  auto inputs = station.audio.inputs;
  if (station.audio.loopback) {
    outputs.push_back(station.audio.loopback->first);
    inputs.push_back(station.audio.loopback->second);
  }
  for (int out : outputs)
    calibration.output_vrms_by_channel.push_back(sim::SimConfig::true_vrms(
        station.sim->output_vrms_at_0dbfs, out, calibration.output_vrms_at_0dbfs));
  for (int in : inputs)
    calibration.input_vrms_by_channel.push_back(sim::SimConfig::true_vrms(
        station.sim->input_vrms_at_0dbfs, in, calibration.input_vrms_at_0dbfs));
  return calibration;
}

std::unique_ptr<audio::SimPort> open_sim_port(const Station& station, const std::string& serial) {
  const auto calibration = sim_converter_calibration(station);
  sim::SimChain chain(*station.sim, calibration, station.audio.sample_rate_hz,
                      station.channel_count(), serial, station.audio.loopback.has_value());
  const auto wired =
      [](const std::optional<InstrumentRef>& ref) -> std::optional<sim::WiredInstrument> {
    if (!ref) return std::nullopt;
    return sim::WiredInstrument{ref->visa, ref->loaded};
  };
  std::shared_ptr<sim::SimWiring> wiring;
  if (station.generator || station.load_switch || station.dmm || station.supply || station.ripple) {
    const auto& relays =
        station.sim->load_relays.empty() ? station.load_relays : station.sim->load_relays;
    std::map<int, double> relay_loads;
    for (std::size_t i = 0; i < relays.size(); ++i)
      relay_loads[relays[i]] = station.loads_available_ohm[i];
    wiring = std::make_shared<sim::InstrumentSimWiring>(
        wired(station.generator), wired(station.load_switch), relay_loads, wired(station.dmm),
        station.supply ? wired(station.supply->instrument) : std::nullopt,
        station.ripple ? wired(station.ripple->instrument) : std::nullopt,
        station.ripple ? station.ripple->gain : 1.0);
  }
  auto port =
      std::make_unique<audio::SimPort>(station.safety, station.audio.calibration, std::move(chain),
                                       wiring, calibration.output_vrms_by_channel);
  port->set_interface(
      {station.sim->clock_ppm, station.sim->resampler_hz, false, station.sim->buffer_frames});
  return port;
}

Qa40xBench open_qa40x_port(const Station& station, const std::string& serial) {
  audio::Qa40xSettings settings;
  settings.sample_rate_hz = station.audio.sample_rate_hz;
  settings.outputs = station.audio.outputs;
  settings.inputs = station.audio.inputs;
  if (station.audio.loopback) {
    settings.outputs.push_back(station.audio.loopback->first);
    settings.inputs.push_back(station.audio.loopback->second);
  }
  settings.output_range_dbv = station.audio.qa40x_output_range_dbv;
  settings.input_range_dbv = station.audio.qa40x_input_range_dbv;
  settings.max_latency_s = station.audio.max_latency_s;
  if (station.audio.device != "sim") {
    auto device = audio::open_qa40x_device(station.audio.device);
    settings.qa403 = device->product_id() == audio::qa40x::kQa403ProductId;
    return {std::make_unique<audio::Qa40xPort>(station.safety, settings, std::move(device),
                                               audio::steady_qa40x_clock()),
            nullptr};
  }
  // The fake unit's converters pass volts to and from the DUT's chain; the attenuator stays
  // in the chain.
  auto path = std::make_unique<sim::Qa40xChainPath>(
      sim::SimChain(*station.sim, sim::Qa40xChainPath::converters(station.attenuator_gain_db),
                    station.audio.sample_rate_hz, station.channel_count(), serial,
                    station.audio.loopback.has_value()),
      settings.outputs, settings.inputs);
  sim::SimChain* chain = &path->chain();
  sim::Qa40xFakeConfig unit;
  unit.seed = station.sim->seed;
  unit.trims = sim::typical_qa40x_trims(station.sim->seed);
  auto clock = std::make_shared<sim::FakeClock>();
  auto fake = std::make_shared<sim::Qa40xFake>(unit, std::move(path), clock);
  return {std::make_unique<audio::Qa40xPort>(station.safety, settings, sim::attach_qa40x_fake(fake),
                                             clock),
          chain};
}

// Each channel brought to the nominal calibration by its record's trim (SPEC §15).
void apply_channel_trims(const Station& station, audio::AudioPort& port) {
  const auto& records = station.calibration_records;
  if (records.output_vrms.empty() && records.input_vrms.empty()) return;
  auto outputs = station.audio.outputs;
  auto inputs = station.audio.inputs;
  if (station.audio.loopback) {
    outputs.push_back(station.audio.loopback->first);
    inputs.push_back(station.audio.loopback->second);
  }
  const auto& nominal = station.audio.calibration;
  std::vector<double> output_gain, input_gain;
  for (int out : outputs) {
    const auto it = records.output_vrms.find(out);
    output_gain.push_back(
        it == records.output_vrms.end() ? 1.0 : nominal.output_vrms_at_0dbfs / it->second);
  }
  for (int in : inputs) {
    const auto it = records.input_vrms.find(in);
    input_gain.push_back(it == records.input_vrms.end() ? 1.0
                                                        : it->second / nominal.input_vrms_at_0dbfs);
  }
  port.set_channel_trims(std::move(output_gain), std::move(input_gain));
}

namespace {

std::unique_ptr<instruments::RelaySwitch> relays_of(const InstrumentRef& ref,
                                                    const std::string& role) {
  return std::make_unique<instruments::RelaySwitch>(
      instruments::connect_instrument(ref.visa, ref.loaded, role), ref.loaded);
}

// The station with a cable from each output to its input: no DUT, no attenuator.
Station calibration_cable(const Station& station) {
  Station cable = station;
  cable.sim->preamp.reset();
  cable.sim->power_amp.reset();
  cable.sim->channel_faults.clear();
  cable.sim->serial_faults.clear();
  cable.sim->crosstalk_db = -300.0;
  cable.attenuator_gain_db = 0.0;
  return cable;
}

std::unique_ptr<audio::AudioPort> open_backend(const Station& station, const std::string& serial) {
  if (station.audio.backend == "sim") return open_sim_port(station, serial);
  if (station.audio.backend == "qa40x") return open_qa40x_port(station, serial).port;
#ifdef AMPBENCH_WITH_PORTAUDIO
  if (station.audio.backend == "portaudio") {
    audio::PortAudioSettings settings;
    settings.device = station.audio.device;
    settings.host_api = station.audio.host_api;
    settings.sample_rate_hz = station.audio.sample_rate_hz;
    settings.outputs = station.audio.outputs;
    settings.inputs = station.audio.inputs;
    if (station.audio.loopback) {  // the reference comes last, after the DUT's channels
      settings.outputs.push_back(station.audio.loopback->first);
      settings.inputs.push_back(station.audio.loopback->second);
    }
    settings.max_latency_s = station.audio.max_latency_s;
    if (station.jack) {
      settings.jack_client_name = station.jack->client_name;
      settings.jack_connect_outputs = station.jack->connect_outputs;
      settings.jack_connect_inputs = station.jack->connect_inputs;
      settings.jack_dut_client = station.jack->dut_client;
      settings.jack_freewheel = station.jack->freewheel;
    }
    return std::make_unique<audio::PortAudioPort>(station.safety, station.audio.calibration,
                                                  settings);
  }
#endif
  throw MeasurementError(station.path + ": audio backend '" + station.audio.backend +
                         "' is not available in this build of ampbench");
}

}  // namespace

std::unique_ptr<audio::AudioPort> open_audio_port(const Station& station,
                                                  const std::string& serial) {
  auto port = open_backend(station, serial);
  port->set_xrun_retries(station.audio.xrun_retries);
  return port;
}

CalibrationBench open_calibration_bench(const Station& station) {
  if (station.audio.backend == "qa40x" && station.audio.device == "sim")
    return {open_qa40x_port(calibration_cable(station), "").port, plugs::manual_dmm_probes()};
  if (station.audio.backend != "sim")
    return {open_audio_port(station, ""), plugs::manual_dmm_probes()};
  auto port = open_sim_port(calibration_cable(station), "");
  port->set_interface(
      {station.sim->clock_ppm, station.sim->resampler_hz, station.selftest.digital});
  auto probes = sim::sim_dmm_probes(port->wiring());
  return {std::move(port), std::move(probes)};
}

StationInstruments connect_instruments(const Station& station, bool shared) {
  StationInstruments out;
  out.shared = shared;
  if (station.generator)
    out.generator = std::make_shared<instruments::FunctionGenerator>(
        instruments::connect_instrument(station.generator->visa, station.generator->loaded,
                                        "generator"),
        station.generator->loaded, station.safety.max_output_vrms);
  if (station.dmm)
    out.dmm = std::make_shared<instruments::Dmm>(
        instruments::connect_instrument(station.dmm->visa, station.dmm->loaded, "dmm"),
        station.dmm->loaded);
  if (station.supply) {
    const auto& supply = *station.supply;
    out.supply = std::make_shared<instruments::PowerSupply>(
        instruments::connect_instrument(supply.instrument.visa, supply.instrument.loaded, "supply"),
        supply.instrument.loaded, supply.volts, supply.max_volts);
    out.supply->output(true);
  }
  if (station.ripple)
    // Its ceiling is the generator's own output for the most ripple the supply may carry.
    out.ripple = std::make_shared<instruments::FunctionGenerator>(
        instruments::connect_instrument(station.ripple->instrument.visa,
                                        station.ripple->instrument.loaded, "ripple generator"),
        station.ripple->instrument.loaded, station.ripple->max_vrms / station.ripple->gain);
  if (station.load_switch) out.load_relays = relays_of(*station.load_switch, "relay switch");
  if (station.dut_switch) out.dut_relays = relays_of(station.dut_switch->relays, "DUT switch");
  return out;
}

void probe_latency(audio::AudioPort& port) {
  if (port.latency_known()) return;
  const double fs = port.sample_rate_hz();
  const auto chirp = dsp::SyncSweep::design(
      kLatencyProbeFromHz, std::min(kLatencyProbeToHz, 0.4 * fs), kLatencyProbeS, fs);
  const double peak_fs = dsp::dbv_to_vrms(kLatencyProbeDbv) * std::numbers::sqrt2 /
                         port.calibration().output_vrms_at_0dbfs;
  const auto x = dsp::generate_sync_sweep(chirp, std::min(peak_fs, 1.0),
                                          static_cast<std::size_t>(0.02 * fs), 0.005);
  audio::AudioBuffer stimulus;
  stimulus.sample_rate_hz = fs;
  stimulus.channels.assign(static_cast<std::size_t>(port.output_count()), x);
  try {
    port.play_and_capture(stimulus);
  } catch (const audio::InputClippedError&) {
    // A DUT with so much gain clips even this: the steps find the latency from their own
    // broadband captures, as before.
  }
}

Bench open_bench(const Station& station, const std::string& serial, plugs::OperatorIo& io) {
  const auto instruments = connect_instruments(station, false);
  if (station.audio.backend == "qa40x" && station.audio.device == "sim") {
    auto unit = open_qa40x_port(station, serial);
    unit.port->set_xrun_retries(station.audio.xrun_retries);
    probe_latency(*unit.port);
    return bench_around(station, instruments, std::move(unit.port), unit.chain, nullptr, io);
  }
  if (station.audio.backend != "sim") {
    auto port = open_audio_port(station, serial);
    probe_latency(*port);
    return bench_around(station, instruments, std::move(port), nullptr, nullptr, io);
  }
  auto port = open_sim_port(station, serial);
  sim::SimChain& chain = port->chain();
  auto wiring = port->wiring();
  return bench_around(station, instruments, std::move(port), &chain, wiring, io);
}

Bench bench_around(const Station& station, const StationInstruments& instruments,
                   std::unique_ptr<audio::AudioPort> port, sim::SimChain* chain,
                   const std::shared_ptr<sim::SimWiring>& wiring, plugs::OperatorIo& io) {
  if (port) apply_channel_trims(station, *port);
  Bench bench;
  bench.port = std::move(port);
  bench.generator = instruments.generator;
  bench.dmm = instruments.dmm;
  bench.supply = instruments.supply;
  bench.ripple = instruments.ripple;
  // The simulated DUT sets its own controls, whatever relays the station file names.
  if (chain) {
    bench.dut = sim::sim_dut_control(*chain, wiring);
  } else if (station.dut_switch) {
    const auto& wired = *station.dut_switch;
    bench.dut =
        plugs::relay_dut_control(instruments.dut_relays,
                                 {wired.input_relays, wired.phantom_relay, wired.series_relay,
                                  station.series_resistor_ohm, wired.common_mode_relay},
                                 io);
  } else {
    bench.dut = plugs::manual_dut_control(io);
  }
  if (station.load_switch)
    bench.loads = plugs::relay_load_switch(instruments.load_relays, station.loads_available_ohm,
                                           station.load_relays, station.name, instruments.shared);
  else if (chain)
    bench.loads = sim::sim_load_switch(*chain);
  else if (!station.loads_available_ohm.empty())
    bench.loads = plugs::manual_load_switch(io);
  return bench;
}

}  // namespace ampbench::sequence
