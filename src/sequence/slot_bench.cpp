#include "sequence/slot_bench.hpp"

#include <algorithm>

#include "audio/sim_slots_port.hpp"
#include "common/error.hpp"

namespace ampbench::sequence {
namespace {

// 0-based positions of a slot's channels among the interface's.
std::vector<int> positions(const std::vector<int>& of, const std::vector<int>& among) {
  std::vector<int> out;
  for (int channel : of)
    out.push_back(static_cast<int>(std::find(among.begin(), among.end(), channel) - among.begin()));
  return out;
}

}  // namespace

audio::SlotChannels slot_channels(const Station& station, const Slot& slot) {
  return {positions(slot.outputs, station.audio.outputs),
          positions(slot.inputs, station.audio.inputs)};
}

SlotBenches open_slot_benches(const Station& station, const std::vector<SlotUnit>& units,
                              plugs::OperatorIo& io) {
  SlotBenches out;
  std::vector<audio::SlotChannels> channels;
  for (const auto& unit : units) {
    out.stations.push_back(station_for_slot(station, *unit.slot));
    channels.push_back(slot_channels(station, *unit.slot));
  }
  struct SimParts {
    sim::SimChain* chain;
    std::shared_ptr<sim::SimWiring> wiring;
  };
  std::vector<SimParts> sims;
  std::unique_ptr<audio::AudioPort> interface;
  if (station.audio.backend == "sim") {
    std::vector<audio::SimSlotsPort::SlotSim> slots;
    for (std::size_t u = 0; u < units.size(); ++u) {
      auto port = open_sim_port(out.stations[u], units[u].serial);
      sims.push_back({&port->chain(), port->wiring()});
      slots.push_back({std::move(port), channels[u].outputs, channels[u].inputs});
    }
    interface = std::make_unique<audio::SimSlotsPort>(
        station.safety, station.audio.calibration, station.audio.sample_rate_hz,
        station.channel_count(), std::move(slots), station.sim->slot_crosstalk_db);
  } else {
    interface = open_audio_port(station, "");
    probe_latency(*interface);
  }
  out.shared = std::make_unique<audio::SharedPort>(std::move(interface), std::move(channels));
  // One connection to each instrument; the slots switch their own relays on shared boxes.
  const auto instruments = connect_instruments(station, true);
  for (std::size_t u = 0; u < units.size(); ++u) {
    auto bench = bench_around(out.stations[u], instruments, out.shared->slot_port(u),
                              sims.empty() ? nullptr : sims[u].chain,
                              sims.empty() ? nullptr : sims[u].wiring, io);
    bench.shared = out.shared.get();
    bench.slot = u;
    out.benches.push_back(std::move(bench));
  }
  return out;
}

}  // namespace ampbench::sequence
