// sequence: the station's devices opened for one unit under test — the AudioPort of the
// station's backend (for "sim", a simulated DUT built for this serial number's faults), its
// instruments, and the plugs that switch loads and set the DUT, picked from the station
// file. With a loopback reference, the port has one more output and input than the DUT:
// the last.
#pragma once

#include <memory>
#include <string>

#include "audio/audio_port.hpp"
#include "audio/shared_port.hpp"
#include "audio/sim_port.hpp"
#include "instruments/drivers.hpp"
#include "plugs/dut_control.hpp"
#include "plugs/load_switch.hpp"
#include "sequence/station.hpp"

namespace ampbench::sequence {

struct Bench {
  std::unique_ptr<audio::AudioPort> port;
  std::unique_ptr<plugs::LoadSwitch> loads;
  std::unique_ptr<plugs::DutControl> dut;
  // The DUT's controls as this run has set them (a step's conditions name them).
  plugs::DutChange dut_settings;
  // The station's [dmm] and [generator]: on a station with slots, one each for every slot,
  // used by steps that run slot by slot (StepKind::needs_station_alone).
  std::shared_ptr<instruments::Dmm> dmm;
  std::shared_ptr<instruments::FunctionGenerator> generator;
  // The station's [supply], switched on at the set voltage while the bench is open.
  std::shared_ptr<instruments::PowerSupply> supply;
  // The station's [ripple] generator, its output off but while a psrr step measures.
  std::shared_ptr<instruments::FunctionGenerator> ripple;
  // On a station with slots: the interface the slots share, and this bench's slot in it.
  audio::SharedPort* shared = nullptr;
  std::size_t slot = 0;
};
// The station's devices for one unit; throws MeasurementError when they cannot be opened. A
// real interface is probed for its latency first (probe_latency).
Bench open_bench(const Station& station, const std::string& serial, plugs::OperatorIo& io);

// A real interface's round-trip latency comes from a broadband capture; until one has played,
// a tone's phase — and so every polarity — means nothing (SPEC §14). The probe: a 0.1 s
// synchronised log sweep 100 Hz–10 kHz at −60 dBV on every DUT input at once (a 60 dB mic
// preamp brings it to 0 dBV, a power amp to a few mV), only while the port does not know its
// latency. Costs one 0.12 s transfer per opened bench.
inline constexpr double kLatencyProbeFromHz = 100.0;
inline constexpr double kLatencyProbeToHz = 10000.0;
inline constexpr double kLatencyProbeS = 0.1;
inline constexpr double kLatencyProbeDbv = -60.0;
void probe_latency(audio::AudioPort& port);

// The station's instruments, connected once: a station with slots shares them.
struct StationInstruments {
  std::shared_ptr<instruments::Dmm> dmm;
  std::shared_ptr<instruments::FunctionGenerator> generator;
  std::shared_ptr<instruments::PowerSupply> supply;
  std::shared_ptr<instruments::FunctionGenerator> ripple;
  std::shared_ptr<instruments::RelaySwitch> load_relays;  // [loads] switch
  std::shared_ptr<instruments::RelaySwitch> dut_relays;   // [dut_switch]
  bool shared = false;  // several slots switch their own relays on the same boxes
};
// Throws MeasurementError (an instrument that cannot be reached).
StationInstruments connect_instruments(const Station& station, bool shared);

// A bench on `port` with the station's instruments and plugs, or for a simulated DUT
// (`chain` and its `wiring`) the simulation's own.
Bench bench_around(const Station& station, const StationInstruments& instruments,
                   std::unique_ptr<audio::AudioPort> port, sim::SimChain* chain,
                   const std::shared_ptr<sim::SimWiring>& wiring, plugs::OperatorIo& io);

// Each port channel brought to the station's nominal calibration by its calibration record's
// trim (Station::calibration_records; none: untouched).
void apply_channel_trims(const Station& station, audio::AudioPort& port);

// A QA40x station's port: the unit on the bus, or for `device = "sim"` the in-process fake
// (sim/qa40x_fake.hpp) wired to the station's simulated DUT, whose chain comes with it
// (owned by the port; nullptr for a real unit).
struct Qa40xBench {
  std::unique_ptr<audio::AudioPort> port;
  sim::SimChain* chain = nullptr;
};
Qa40xBench open_qa40x_port(const Station& station, const std::string& serial);

// The simulated interface's true converters, channel by channel ([sim] may say they differ
// from what [audio] claims; station.sim must be set).
sim::ConverterCalibration sim_converter_calibration(const Station& station);
// The simulated interface with this serial number's DUT (station.sim must be set).
std::unique_ptr<audio::SimPort> open_sim_port(const Station& station, const std::string& serial);

// Throws MeasurementError when the backend cannot be opened (e.g. not built in).
std::unique_ptr<audio::AudioPort> open_audio_port(const Station& station,
                                                  const std::string& serial);

// The interface with a cable from each output to its input and nothing else, for
// calibration (for "sim", the chain without DUT and attenuator), and where the DMM's
// probes go.
struct CalibrationBench {
  std::unique_ptr<audio::AudioPort> port;
  std::unique_ptr<plugs::DmmProbes> probes;
};
CalibrationBench open_calibration_bench(const Station& station);

}  // namespace ampbench::sequence
