// sequence: the benches of one round on a station with slots (SPEC §11) — one shared
// interface (audio/shared_port.hpp) and a Bench per unit whose port is that unit's slot.
// With the `sim` backend each slot is its own simulated DUT, built for its serial number.
#pragma once

#include <memory>
#include <vector>

#include "sequence/bench.hpp"
#include "sequence/slot_serials.hpp"

namespace ampbench::sequence {

struct SlotBenches {
  std::unique_ptr<audio::SharedPort> shared;
  std::vector<Station> stations;  // per unit: the station as its slot sees it
  std::vector<Bench> benches;     // per unit, in the order of the units
};

// A slot's channels as positions among the station's interface channels.
audio::SlotChannels slot_channels(const Station& station, const Slot& slot);

// Every unit must have its slot. Throws MeasurementError when the interface cannot be
// opened.
SlotBenches open_slot_benches(const Station& station, const std::vector<SlotUnit>& units,
                              plugs::OperatorIo& io);

}  // namespace ampbench::sequence
