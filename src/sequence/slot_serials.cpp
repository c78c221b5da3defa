#include "sequence/slot_serials.hpp"

#include <algorithm>
#include <map>

#include "common/error.hpp"

namespace ampbench::sequence {

std::vector<SlotUnit> assign_serials(const Station& station, const std::vector<std::string>& args) {
  std::vector<SlotUnit> units;
  if (station.slots.empty()) {
    for (const auto& serial : args) units.push_back({nullptr, serial});
    return units;
  }
  std::map<std::string, std::string> by_slot;
  // A bare serial means the only slot (SPEC §11), when the station has just one in use.
  std::vector<const Slot*> enabled;
  for (const auto& slot : station.slots)
    if (slot.enabled) enabled.push_back(&slot);
  for (const auto& arg : args) {
    if (enabled.size() == 1 && arg.find('=') == std::string::npos && !arg.empty()) {
      if (!by_slot.emplace(enabled.front()->name, arg).second)
        throw UsageError("--serial '" + arg + "': slot '" + enabled.front()->name +
                         "' is given twice");
      continue;
    }
    const auto eq = arg.find('=');
    const std::string names = [&] {
      std::string out;
      for (const auto& s : station.slots) out += (out.empty() ? "" : ", ") + s.name;
      return out;
    }();
    if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size())
      throw UsageError("--serial '" + arg + "': station '" + station.name + "' has slots (" +
                       names + "): give --serial SLOT=SN");
    const std::string slot_name = arg.substr(0, eq);
    const Slot* slot = station.find_slot(slot_name);
    if (!slot)
      throw UsageError("--serial '" + arg + "': station '" + station.name + "' has no slot '" +
                       slot_name + "' (it has " + names + ")");
    if (!slot->enabled)
      throw UsageError("--serial '" + arg + "': slot '" + slot_name +
                       "' is disabled in the station file (enabled = false)");
    if (!by_slot.emplace(slot_name, arg.substr(eq + 1)).second)
      throw UsageError("--serial '" + arg + "': slot '" + slot_name + "' is given twice");
  }
  for (const auto& slot : station.slots)
    if (auto it = by_slot.find(slot.name); it != by_slot.end())
      units.push_back({&slot, it->second});
  return units;
}

Station station_for_slot(const Station& station, const Slot& slot) {
  Station one = station;
  one.audio.outputs = slot.outputs;
  one.audio.inputs = slot.inputs;
  if (!slot.load_relays.empty()) one.load_relays = slot.load_relays;
  if (slot.dut_relays && one.dut_switch) {
    one.dut_switch->input_relays = slot.dut_relays->input_relays;
    one.dut_switch->phantom_relay = slot.dut_relays->phantom_relay;
    one.dut_switch->series_relay = slot.dut_relays->series_relay;
  }
  one.slots.clear();
  return one;
}

}  // namespace ampbench::sequence
