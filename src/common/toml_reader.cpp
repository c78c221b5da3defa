#include "common/toml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.hpp"

namespace ampbench {

TomlReader TomlReader::from_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_text(ss.str(), path);
}

TomlReader TomlReader::from_text(std::string text, const std::string& path) {
  try {
    toml::table root = toml::parse(text, path);
    return TomlReader(path, std::move(text), std::move(root));
  } catch (const toml::parse_error& e) {
    throw InputError(path, static_cast<int>(e.source().begin.line), "",
                     std::string("TOML syntax: ") + std::string(e.description()));
  }
}

std::string TomlReader::join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return std::string(prefix) + "." + std::string(key);
}

int TomlReader::line_of(const toml::node* node) const {
  return node ? static_cast<int>(node->source().begin.line) : 0;
}

void TomlReader::fail(const toml::node* at, std::string_view field, const std::string& what) const {
  throw InputError(path_, line_of(at), std::string(field), what);
}

const toml::table* TomlReader::table(const toml::table& parent, std::string_view key,
                                     std::string_view prefix, bool required) const {
  const toml::node* node = parent.get(key);
  if (!node) {
    if (required) fail(&parent, join(prefix, key), "required table is missing");
    return nullptr;
  }
  if (!node->is_table()) fail(node, join(prefix, key), "must be a table");
  return node->as_table();
}

std::optional<std::string> TomlReader::string(const toml::table& t, std::string_view key,
                                              std::string_view prefix) const {
  const toml::node* node = t.get(key);
  if (!node) return std::nullopt;
  if (!node->is_string()) fail(node, join(prefix, key), "must be a string");
  return node->as_string()->get();
}

std::optional<double> TomlReader::number(const toml::table& t, std::string_view key,
                                         std::string_view prefix) const {
  const toml::node* node = t.get(key);
  if (!node) return std::nullopt;
  if (!node->is_number()) fail(node, join(prefix, key), "must be a number");
  const double v = node->value<double>().value_or(NAN);
  if (!std::isfinite(v)) fail(node, join(prefix, key), "must be a finite number");
  return v;
}

std::optional<std::int64_t> TomlReader::integer(const toml::table& t, std::string_view key,
                                                std::string_view prefix) const {
  const toml::node* node = t.get(key);
  if (!node) return std::nullopt;
  if (!node->is_integer()) fail(node, join(prefix, key), "must be an integer");
  return node->as_integer()->get();
}

std::optional<bool> TomlReader::boolean(const toml::table& t, std::string_view key,
                                        std::string_view prefix) const {
  const toml::node* node = t.get(key);
  if (!node) return std::nullopt;
  if (!node->is_boolean()) fail(node, join(prefix, key), "must be true or false");
  return node->as_boolean()->get();
}

std::optional<std::vector<double>> TomlReader::number_array(const toml::table& t,
                                                            std::string_view key,
                                                            std::string_view prefix) const {
  const toml::node* node = t.get(key);
  if (!node) return std::nullopt;
  const std::string field = join(prefix, key);
  if (node->is_number()) return std::vector<double>{node->value<double>().value_or(NAN)};
  if (!node->is_array()) fail(node, field, "must be a number or an array of numbers");
  std::vector<double> out;
  for (const auto& element : *node->as_array()) {
    if (!element.is_number()) fail(&element, field, "every element must be a number");
    const double v = element.value<double>().value_or(NAN);
    if (!std::isfinite(v)) fail(&element, field, "every element must be finite");
    out.push_back(v);
  }
  return out;
}

std::optional<std::vector<std::string>> TomlReader::string_array(const toml::table& t,
                                                                 std::string_view key,
                                                                 std::string_view prefix) const {
  const toml::node* node = t.get(key);
  if (!node) return std::nullopt;
  const std::string field = join(prefix, key);
  if (!node->is_array()) fail(node, field, "must be an array of strings");
  std::vector<std::string> out;
  for (const auto& element : *node->as_array()) {
    if (!element.is_string()) fail(&element, field, "every element must be a string");
    out.push_back(element.as_string()->get());
  }
  return out;
}

void TomlReader::reject_unknown_keys(const toml::table& t, std::string_view prefix,
                                     std::initializer_list<std::string_view> known) const {
  reject_unknown_keys(t, prefix, std::span<const std::string_view>(known.begin(), known.size()));
}

void TomlReader::reject_unknown_keys(const toml::table& t, std::string_view prefix,
                                     std::span<const std::string_view> known) const {
  for (const auto& [key, node] : t) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
      fail(&node, join(prefix, key.str()), "unknown field");
    }
  }
}

}  // namespace ampbench
