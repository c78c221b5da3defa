#include "sequence/override.hpp"

#include <algorithm>
#include <sstream>

#include "common/error.hpp"
#include "common/text.hpp"
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

void apply_limits_file(toml::table& root, const TomlReader& limits,
                       std::vector<std::string>& errors) {
  const auto failed = [&](const toml::node* at, const std::string& field, const std::string& what) {
    errors.push_back(InputError(limits.path(), limits.line_of(at), field, what).what());
  };
  toml::array* steps = root.get("step") ? root.get("step")->as_array() : nullptr;
  for (const auto& [key, node] : limits.root()) {
    if (key.str() != "limits" || !node.is_table()) {
      failed(&node, std::string(key.str()), "a limits file holds [limits.STEP_ID] tables only");
      continue;
    }
    for (const auto& [step_key, step_limits] : *node.as_table()) {
      const std::string step_id(step_key.str());
      const std::string field = "limits." + step_id;
      if (!step_limits.is_table()) {
        failed(&step_limits, field, "must be a table of NAME = limit");
        continue;
      }
      toml::table* step = nullptr;
      if (steps)
        for (auto& s : *steps) {
          auto* t = s.as_table();
          if (t && t->get("id") && t->get("id")->value<std::string>() == step_id) step = t;
        }
      if (!step) {
        failed(&step_limits, field, "the sequence has no step '" + step_id + "'");
        continue;
      }
      if (!step->get("limits")) step->insert_or_assign("limits", toml::table{});
      toml::table* own = step->get("limits")->as_table();
      if (!own) {
        failed(&step_limits, field, "the sequence's step has limits that are not a table");
        continue;
      }
      // Checked here, against the limits file: layered copies keep no line of their own.
      const auto kind_name =
          step->get("kind") ? step->get("kind")->value<std::string>() : std::nullopt;
      const StepKind* kind = kind_name ? find_step_kind(*kind_name) : nullptr;
      for (const auto& [name_key, limit] : *step_limits.as_table()) {
        const std::string name(name_key.str());
        const std::string limit_field_name = field + "." + name;
        const auto named = [&](const MeasurementSpec& m) { return m.name == name; };
        if (kind && !kind->draws(name) &&
            std::none_of(kind->measurements().begin(), kind->measurements().end(), named)) {
          failed(&limit, limit_field_name,
                 "'" + name + "' is not a measurement or curve of " + with_article(*kind_name) +
                     " step");
          continue;
        }
        try {
          limit_field(limits, &limit, limit_field_name);
        } catch (const InputError& e) {
          errors.push_back(e.what());
          continue;
        }
        own->insert_or_assign(name, limit);
      }
    }
  }
}

}  // namespace ampbench::sequence
