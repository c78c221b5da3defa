// The [[slot]] tables of a station file (SPEC §11).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "sequence/station.hpp"

namespace ampbench::sequence {
namespace {

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

// Interface channels of a slot: each one the station's audio table lists, none used twice.
std::vector<int> slot_channels(const TomlReader& r, const toml::table& t, const std::string& field,
                               const char* key, const std::vector<int>& station_channels,
                               std::set<int>& taken) {
  const toml::node* node = t.get(key);
  const std::string name = field + "." + key;
  if (!node) r.fail(&t, name, "required field is missing");
  if (!node->is_array() || node->as_array()->empty())
    r.fail(node, name, "must be a non-empty array of channel numbers");
  std::vector<int> out;
  for (const auto& e : *node->as_array()) {
    const auto c = e.value<std::int64_t>();
    if (!e.is_integer() || !c ||
        std::find(station_channels.begin(), station_channels.end(), *c) == station_channels.end())
      r.fail(&e, name, std::string("every channel must be one of audio.") + key);
    if (!taken.insert(static_cast<int>(*c)).second)
      r.fail(&e, name, "channel " + std::to_string(*c) + " belongs to another slot");
    out.push_back(static_cast<int>(*c));
  }
  return out;
}

}  // namespace

const Slot* Station::find_slot(std::string_view wanted) const {
  for (const auto& slot : slots)
    if (slot.name == wanted) return &slot;
  return nullptr;
}

std::vector<Slot> parse_slots(const TomlReader& r, const toml::table& root, const Station& s) {
  std::vector<Slot> slots;
  const toml::node* node = root.get("slot");
  if (!node) return slots;
  const auto* list = node->as_array();
  if (!list || list->empty() || !list->is_array_of_tables())
    r.fail(node, "slot", "must be [[slot]] tables");
  std::set<int> outputs_taken, inputs_taken;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const toml::table& t = *list->get(i)->as_table();
    Slot slot;
    slot.line = r.line_of(&t);
    const auto name = r.string(t, "name", "slot");
    const std::string field = "slot." + name.value_or(std::to_string(i + 1));
    r.reject_unknown_keys(t, field, {"name", "outputs", "inputs", "load_relays", "enabled"});
    if (!name || !valid_name(*name))
      r.fail(t.get("name") ? t.get("name") : &t, field + ".name",
             "a slot needs a name of letters, digits, '_' and '-'");
    if (std::any_of(slots.begin(), slots.end(), [&](const Slot& o) { return o.name == *name; }))
      r.fail(t.get("name"), field + ".name", "another slot has this name");
    slot.name = *name;
    slot.outputs = slot_channels(r, t, field, "outputs", s.audio.outputs, outputs_taken);
    slot.inputs = slot_channels(r, t, field, "inputs", s.audio.inputs, inputs_taken);
    if (slot.outputs.size() != slot.inputs.size())
      r.fail(t.get("inputs"), field + ".inputs", "must list as many channels as its outputs");
    if (const auto relays = r.number_array(t, "load_relays", field)) {
      if (relays->size() != s.loads_available_ohm.size())
        r.fail(t.get("load_relays"), field + ".load_relays",
               "must name one relay per load in loads.available_ohm");
      for (double relay : *relays) {
        if (relay < 1 || relay > 9999 || relay != std::floor(relay))
          r.fail(t.get("load_relays"), field + ".load_relays",
                 "relays are integers from 1 to 9999");
        slot.load_relays.push_back(static_cast<int>(relay));
      }
    }
    slot.enabled = r.boolean(t, "enabled", field).value_or(true);
    slots.push_back(std::move(slot));
  }
  return slots;
}

}  // namespace ampbench::sequence
