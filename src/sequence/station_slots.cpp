// The [[slot]] tables of a station file (SPEC §11).
#include <algorithm>
#include <cctype>
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

int relay_number(const TomlReader& r, const toml::node* node, const std::string& field) {
  if (!node->is_integer() || node->as_integer()->get() < 1 || node->as_integer()->get() > 9999)
    r.fail(node, field, "relays are integers from 1 to 9999");
  return static_cast<int>(node->as_integer()->get());
}

// `loads = { relays = [...] }`: the slot's relay for each of the station's loads.
std::vector<int> slot_load_relays(const TomlReader& r, const toml::table& t,
                                  const std::string& field, const Station& s) {
  const toml::table* loads = r.table(t, "loads", field, false);
  if (!loads) return {};
  const std::string prefix = field + ".loads";
  r.reject_unknown_keys(*loads, prefix, {"relays"});
  const toml::node* relays = loads->get("relays");
  if (!relays) r.fail(loads, prefix + ".relays", "required field is missing");
  if (!relays->is_array() || relays->as_array()->size() != s.loads_available_ohm.size())
    r.fail(relays, prefix + ".relays", "must name one relay per load in loads.available_ohm");
  std::vector<int> out;
  for (const auto& relay : *relays->as_array())
    out.push_back(relay_number(r, &relay, prefix + ".relays"));
  return out;
}

// `dut_switch = { input_relays = {...}, phantom_relay = N, series_relay = N }`: the slot's
// own relays on the station's [dut_switch] box.
std::optional<Slot::DutRelays> slot_dut_relays(const TomlReader& r, const toml::table& t,
                                               const std::string& field, const Station& s) {
  const toml::table* d = r.table(t, "dut_switch", field, false);
  if (!d) return std::nullopt;
  const std::string prefix = field + ".dut_switch";
  r.reject_unknown_keys(*d, prefix, {"input_relays", "phantom_relay", "series_relay"});
  if (!s.dut_switch)
    r.fail(d, prefix, "needs the station's [dut_switch] table (the relay box and its profile)");
  Slot::DutRelays out;
  if (const toml::table* inputs = r.table(*d, "input_relays", prefix, false))
    for (const auto& [name, node] : *inputs)
      out.input_relays[std::string(name.str())] =
          relay_number(r, &node, prefix + ".input_relays." + std::string(name.str()));
  if (const toml::node* n = d->get("phantom_relay"))
    out.phantom_relay = relay_number(r, n, prefix + ".phantom_relay");
  if (const toml::node* n = d->get("series_relay")) {
    out.series_relay = relay_number(r, n, prefix + ".series_relay");
    if (!s.series_resistor_ohm) r.fail(n, prefix + ".series_relay", "needs [source] series_ohm");
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
    r.reject_unknown_keys(t, field,
                          {"name", "outputs", "inputs", "loads", "dut_switch", "enabled"});
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
    slot.load_relays = slot_load_relays(r, t, field, s);
    slot.dut_relays = slot_dut_relays(r, t, field, s);
    slot.enabled = r.boolean(t, "enabled", field).value_or(true);
    slots.push_back(std::move(slot));
  }
  return slots;
}

}  // namespace ampbench::sequence
