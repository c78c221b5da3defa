// Typed reads from a toml++ document with errors that name the file, the line and the
// dotted field ("audio.sample_rate"), and a check for unknown keys so typos do not pass
// silently. Shared by the station and sequence loaders.
#pragma once

#include <toml++/toml.h>

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ampbench {

class TomlReader {
 public:
  // Parses `path`; syntax errors become InputError with the parser's line.
  static TomlReader from_file(const std::string& path);
  static TomlReader from_text(std::string text, const std::string& path);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  const toml::table& root() const { return root_; }
  toml::table& mutable_root() { return root_; }

  [[noreturn]] void fail(const toml::node* at, std::string_view field,
                         const std::string& what) const;
  int line_of(const toml::node* node) const;

  // A sub-table; missing → InputError when required, nullptr otherwise.
  const toml::table* table(const toml::table& parent, std::string_view key, std::string_view prefix,
                           bool required) const;
  std::optional<std::string> string(const toml::table& t, std::string_view key,
                                    std::string_view prefix) const;
  std::optional<double> number(const toml::table& t, std::string_view key,
                               std::string_view prefix) const;
  std::optional<std::int64_t> integer(const toml::table& t, std::string_view key,
                                      std::string_view prefix) const;
  std::optional<bool> boolean(const toml::table& t, std::string_view key,
                              std::string_view prefix) const;
  std::optional<std::vector<double>> number_array(const toml::table& t, std::string_view key,
                                                  std::string_view prefix) const;
  std::optional<std::vector<std::string>> string_array(const toml::table& t, std::string_view key,
                                                       std::string_view prefix) const;
  void reject_unknown_keys(const toml::table& t, std::string_view prefix,
                           std::initializer_list<std::string_view> known) const;
  void reject_unknown_keys(const toml::table& t, std::string_view prefix,
                           std::span<const std::string_view> known) const;

  static std::string join(std::string_view prefix, std::string_view key);

 private:
  TomlReader(std::string path, std::string text, toml::table root)
      : path_(std::move(path)), text_(std::move(text)), root_(std::move(root)) {}
  std::string path_;
  std::string text_;
  toml::table root_;
};

}  // namespace ampbench
