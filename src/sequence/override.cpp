#include "sequence/override.hpp"

#include <algorithm>
#include <sstream>

#include "sequence/step_fields.hpp"
#include "sequence/steps/registry.hpp"

namespace ampbench::sequence {

void apply_override(toml::table& root, const Override& o, std::vector<std::string>& errors,
                    const std::string& path) {
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + o.value);
  } catch (const toml::parse_error&) {
    parsed.insert_or_assign("v", o.value);  // a bare word is a string
  }
  const toml::node* value = parsed.get("v");
  std::vector<std::string> parts;
  std::stringstream ss(o.key);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  const auto set_in = [&](toml::table& table, std::size_t from) {
    toml::table* t = &table;
    for (std::size_t i = from; i + 1 < parts.size(); ++i) {
      toml::node* next = t->get(parts[i]);
      if (!next) {
        t->insert_or_assign(parts[i], toml::table{});
        next = t->get(parts[i]);
      }
      if (!next->is_table()) return false;
      t = next->as_table();
    }
    t->insert_or_assign(parts.back(), *value);
    return true;
  };
  if (parts.empty()) return;
  if (parts[0] == "sequence" || parts[0] == "defaults") {
    if (!set_in(root, 0)) errors.push_back(path + ": --set " + o.key + ": not a table path");
    return;
  }
  // A one-part key goes to every step whose kind has that field.
  const auto accepts = [](const toml::table& step, const std::string& key) {
    const auto kind_name = step.get("kind") ? step.get("kind")->value<std::string>() : std::nullopt;
    const StepKind* kind = kind_name ? find_step_kind(*kind_name) : nullptr;
    return !kind || step_accepts_key(*kind, key);
  };
  toml::array* steps = root.get("step") ? root.get("step")->as_array() : nullptr;
  if (!steps) return;
  bool applied = false;
  for (auto& node : *steps) {
    toml::table* step = node.as_table();
    if (!step) continue;
    const auto id = step->get("id") ? step->get("id")->value<std::string>() : std::nullopt;
    if (id && parts.size() > 1 && *id == parts[0]) {
      applied = set_in(*step, 1) || applied;
    } else if ((parts.size() == 1 && accepts(*step, parts[0])) || step->get(parts[0])) {
      if (parts.size() > 1 && id &&
          std::any_of(steps->begin(), steps->end(), [&](const toml::node& n) {
            return n.as_table() && n.as_table()->get("id") &&
                   n.as_table()->get("id")->value<std::string>() == parts[0];
          }))
        continue;
      applied = set_in(*step, 0) || applied;
    }
  }
  if (!applied) errors.push_back(path + ": --set " + o.key + ": no step has this field");
}

}  // namespace ampbench::sequence
