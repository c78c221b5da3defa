#include "sequence/station_fields.hpp"

namespace ampbench::sequence::station_fields {

double required_number(const TomlReader& r, const toml::table& t, std::string_view key,
                       std::string_view prefix) {
  auto v = r.number(t, key, prefix);
  if (!v) r.fail(&t, TomlReader::join(prefix, key), "required field is missing");
  return *v;
}

double positive(const TomlReader& r, const toml::table& t, std::string_view key,
                std::string_view prefix, std::optional<double> fallback) {
  auto v = r.number(t, key, prefix);
  if (!v) {
    if (!fallback) r.fail(&t, TomlReader::join(prefix, key), "required field is missing");
    return *fallback;
  }
  if (!(*v > 0.0)) r.fail(t.get(key), TomlReader::join(prefix, key), "must be positive");
  return *v;
}

double non_negative(const TomlReader& r, const toml::table& t, std::string_view key,
                    std::string_view prefix, double fallback) {
  auto v = r.number(t, key, prefix);
  if (!v) return fallback;
  if (*v < 0.0) r.fail(t.get(key), TomlReader::join(prefix, key), "must not be negative");
  return *v;
}

}  // namespace ampbench::sequence::station_fields
