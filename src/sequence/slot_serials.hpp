// sequence: which unit goes in which slot (SPEC §11): `run --serial SLOT=SN`, repeatable,
// on a station with [[slot]] tables; a slot without a serial is skipped this round.
#pragma once

#include <string>
#include <vector>

#include "sequence/station.hpp"

namespace ampbench::sequence {

struct SlotUnit {
  const Slot* slot = nullptr;  // nullptr: the station's one implicit slot
  std::string serial;
};

// The units of one round, in the station's slot order; throws UsageError naming the
// argument (an unknown or disabled slot, a slot given twice, a bare serial where the station
// has several slots in use; with one, a bare serial is that slot's). Without slots, each argument
// is a serial of its own, tested in turn.
std::vector<SlotUnit> assign_serials(const Station& station, const std::vector<std::string>& args);

// The station as one slot sees it: the slot's channels as the interface's outputs and
// inputs, its load and DUT switch relays for the station's, no other slot.
Station station_for_slot(const Station& station, const Slot& slot);

}  // namespace ampbench::sequence
