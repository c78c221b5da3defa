#include "sequence/plan.hpp"

#include <set>
#include <sstream>

#include "common/error.hpp"
#include "common/toml_reader.hpp"
#include "sequence/override.hpp"
#include "sequence/step_fields.hpp"
#include "sequence/step_kind.hpp"

namespace ampbench::sequence {

using R = TomlReader;

namespace {

void note_field_lines(const R& r, const toml::table& t, const std::string& prefix,
                      std::map<std::string, int>& lines) {
  for (const auto& [key, node] : t) {
    const std::string field = prefix + std::string(key.str());
    lines[field] = r.line_of(&node);
    if (const toml::table* inner = node.as_table()) note_field_lines(r, *inner, field + ".", lines);
  }
}

}  // namespace

std::string_view StepPlan::kind_name() const {
  return kind ? kind->name() : std::string_view("?");
}

bool StepPlan::sweeps_over(record::Dimension dimension) const {
  return std::any_of(sweeps.begin(), sweeps.end(),
                     [&](const SweepAxis& a) { return a.dimension == dimension; });
}

Override parse_override(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("--set '" + text + "': expected KEY=VALUE");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

std::optional<SequencePlan> load_sequence(const std::string& path,
                                          const std::vector<Override>& overrides,
                                          std::vector<std::string>& errors, SequencePlan* parsed,
                                          const std::string& limits_path) {
  try {
    const R reader = R::from_file(path);
    return parse_sequence(reader.text(), path, overrides, errors, parsed, limits_path);
  } catch (const InputError& e) {
    errors.push_back(e.what());
    return std::nullopt;
  }
}

std::optional<SequencePlan> parse_sequence(const std::string& text, const std::string& path,
                                           const std::vector<Override>& overrides,
                                           std::vector<std::string>& errors, SequencePlan* parsed,
                                           const std::string& limits_path) {
  const std::size_t errors_before = errors.size();
  std::optional<R> reader;
  std::optional<R> limits;
  try {
    reader.emplace(R::from_text(text, path));
    if (!limits_path.empty()) limits.emplace(R::from_file(limits_path));
  } catch (const InputError& e) {
    errors.push_back(e.what());
    return std::nullopt;
  }
  R& r = *reader;
  for (const auto& o : overrides) apply_override(r.mutable_root(), o, errors, path);
  if (limits) apply_limits_file(r.mutable_root(), *limits, errors);

  SequencePlan plan;
  plan.path = path;
  plan.text = r.text();
  if (limits) plan.limits_text = limits->text();
  const toml::table& root = r.root();
  try {
    r.reject_unknown_keys(root, "", {"sequence", "defaults", "step"});
    const toml::table& seq = *r.table(root, "sequence", "", true);
    r.reject_unknown_keys(seq, "sequence", {"name", "channels", "stop_on_fail", "description"});
    const auto name = r.string(seq, "name", "sequence");
    if (!name || name->empty()) r.fail(&seq, "sequence.name", "required field is missing");
    plan.name = *name;
    plan.channels =
        r.string_array(seq, "channels", "sequence").value_or(std::vector<std::string>{"L", "R"});
    std::set<std::string> unique(plan.channels.begin(), plan.channels.end());
    if (plan.channels.empty() || unique.size() != plan.channels.size())
      r.fail(seq.get("channels"), "sequence.channels",
             "must be a non-empty list of distinct names");
    plan.stop_on_fail = r.boolean(seq, "stop_on_fail", "sequence").value_or(false);
  } catch (const InputError& e) {
    errors.push_back(e.what());
  }
  const toml::table* defaults = nullptr;
  try {
    defaults = r.table(root, "defaults", "", false);
    if (defaults)
      r.reject_unknown_keys(*defaults, "defaults", {"settle_s", "capture_s", "load_ohm"});
  } catch (const InputError& e) {
    errors.push_back(e.what());
  }
  const toml::node* steps = root.get("step");
  if (!steps || !steps->is_array() || steps->as_array()->empty()) {
    errors.push_back(
        InputError(path, r.line_of(steps), "step", "a sequence needs at least one [[step]]")
            .what());
    return std::nullopt;
  }
  std::set<std::string> ids;
  for (const auto& node : *steps->as_array()) {
    StepPlan s;
    s.line = r.line_of(&node);
    try {
      if (!node.is_table()) r.fail(&node, "step", "each step must be a table");
      const toml::table& t = *node.as_table();
      const auto id = r.string(t, "id", "step");
      if (!id || id->empty()) r.fail(&t, "step.id", "required field is missing");
      s.id = *id;
      if (id->find_first_not_of(
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
          std::string::npos)
        r.fail(t.get("id"), "step.id", "'" + *id + "' may hold only letters, digits, '_' and '-'");
      if (!ids.insert(*id).second)
        r.fail(t.get("id"), "step.id", "'" + *id + "' is used by an earlier step");
      parse_step(r, t, defaults, s);
      note_field_lines(r, t, "", s.field_lines);
      std::stringstream json_text;
      json_text << toml::json_formatter{t};
      s.params = nlohmann::json::parse(json_text.str());
      plan.steps.push_back(std::move(s));
    } catch (const InputError& e) {
      errors.push_back(e.what());
    }
  }
  if (parsed) *parsed = plan;
  if (errors.size() != errors_before) return std::nullopt;
  return plan;
}

}  // namespace ampbench::sequence
