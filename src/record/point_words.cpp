#include "record/point_words.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <vector>

#include "common/text.hpp"
#include "record/dimensions.hpp"
#include "record/limits.hpp"

namespace ampbench::record {
namespace {

std::string number(double v, const char* format = "%.3g") {
  char text[48];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

// "dut.gain_db" → "gain": a DUT control's name as said beside its value.
std::string setting_name(std::string_view key) {
  const auto dot = key.find('.');
  auto name = key.substr(dot == std::string_view::npos ? 0 : dot + 1);
  if (name.size() > 3 && name.substr(name.size() - 3) == "_db") name.remove_suffix(3);
  return std::string(name);
}

// A sweep dimension said in words: a frequency, a load, a level as written, a setting.
std::string dimension_words(const DimensionSpec& d, const nlohmann::json& value) {
  if (d.value != DimensionValue::number) {
    if (!value.is_string()) return "";
    const auto text = value.get<std::string>();
    if (d.value == DimensionValue::level) return level_in_words(text);
    return text + " " + lowercase(d.title);
  }
  if (!value.is_number()) return "";
  const double v = value.get<double>();
  if (d.unit == "Hz") return frequency_in_words(v);
  if (d.unit == "dB") return setting_name(d.key) + " " + number(v, "%+g") + " dB";
  return number(v, "%g") + " " + std::string(d.unit);
}

// A coordinate a result carries beyond its sweep: the analysed tone, where on a limit axis a
// curve was judged, the driven channel, a source impedance.
std::string result_words(const std::string& key, const nlohmann::json& value) {
  if (value.is_string())
    return key == "driven" ? value.get<std::string>() + " driven" : value.get<std::string>();
  if (!value.is_number()) return "";
  const double v = value.get<double>();
  if (key == "fundamental_hz") return frequency_in_words(v);
  for (const auto& axis : limit_axes()) {
    if (key != axis.at_key) continue;
    if (axis.unit == "Hz") return "at " + frequency_in_words(v);
    if (axis.unit == "W") return "at " + level_in_words(number(v, "%.6g") + " W");
    return "at " + number(v, "%.4g") + " " + std::string(axis.unit);
  }
  if (key == "source_ohm") return number(v, "%g") + " Ω source";
  return key + " " + number(v, "%g");
}

}  // namespace

std::string frequency_in_words(double f) {
  if (std::abs(f) >= 1000.0) return number(f / 1000.0) + " kHz";
  return number(f, std::abs(f) >= 100.0 ? "%.0f" : "%.3g") + " Hz";
}

std::string level_in_words(const std::string& level) {
  double value = 0.0;
  char unit[16] = {0};
  if (std::sscanf(level.c_str(), "%lf %15s", &value, unit) != 2) return level;
  const std::string u = unit;
  if ((u == "W" || u == "V") && value != 0.0 && std::abs(value) < 1.0)
    return number(value * 1e3) + " m" + u;
  if (u == "mW" || u == "mV" || u == "W" || u == "V") return number(value) + " " + u;
  return number(value, "%.4g") + " " + u;
}

std::string point_in_words(const nlohmann::json& point) {
  if (!point.is_object()) return "";
  std::vector<std::pair<int, std::string>> parts;
  const auto stimulus_hz = point.find(std::string(key_of(Dimension::frequency)));
  for (const auto& [key, value] : point.items()) {
    // A spectrum's fundamental is said once where it is the swept frequency.
    if (key == "fundamental_hz" && stimulus_hz != point.end() && *stimulus_hz == value) continue;
    const DimensionSpec* d = find_dimension(key);
    auto part = d ? dimension_words(*d, value) : result_words(key, value);
    const int rank = d ? d->words_rank : key == "fundamental_hz" ? 0 : 3;
    if (!part.empty()) parts.emplace_back(rank, std::move(part));
  }
  std::stable_sort(parts.begin(), parts.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [r, part] : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

std::string conditions_in_words(const nlohmann::json& step_params) {
  if (!step_params.is_object() || !step_params.contains("conditions")) return "";
  const auto& conditions = step_params["conditions"];
  if (!conditions.is_object()) return "";
  static constexpr std::string_view kOrder[] = {"standard",  "tones",       "weighting",
                                                "band",      "thdn_method", "criterion",
                                                "reference", "load",        "dut"};
  std::string out;
  const auto add = [&](const nlohmann::json& words) {
    if (words.is_string()) out += (out.empty() ? "" : ", ") + words.get<std::string>();
  };
  for (const auto key : kOrder)
    if (conditions.contains(key)) add(conditions[std::string(key)]);
  for (const auto& [key, words] : conditions.items())
    if (std::find(std::begin(kOrder), std::end(kOrder), key) == std::end(kOrder)) add(words);
  return out;
}

}  // namespace ampbench::record
