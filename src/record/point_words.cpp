#include "record/point_words.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace ampbench::record {
namespace {

std::string number(double v, const char* format = "%.3g") {
  char text[48];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

// Where a coordinate goes in the words: frequency, load, level, then the rest as stored.
int rank(const std::string& key) {
  if (key == "stimulus.frequency_hz" || key == "fundamental_hz") return 0;
  if (key == "load_ohm") return 1;
  if (key == "stimulus.level" || key == "stimulus.output_level") return 2;
  return 3;
}

std::string part_of(const std::string& key, const nlohmann::json& value) {
  if (value.is_string()) {
    const auto text = value.get<std::string>();
    if (key == "driven") return text + " driven";
    if (key == "dut.input") return text + " input";
    if (key == "stimulus.level" || key == "stimulus.output_level") return level_in_words(text);
    return text;
  }
  if (!value.is_number()) return "";
  const double v = value.get<double>();
  if (key == "stimulus.frequency_hz" || key == "fundamental_hz") return frequency_in_words(v);
  if (key == "at_hz") return "at " + frequency_in_words(v);
  if (key == "at_w") return "at " + level_in_words(number(v, "%.6g") + " W");
  if (key == "at_dbv") return "at " + number(v, "%.4g") + " dBV";
  if (key == "load_ohm") return number(v, "%g") + " Ω";
  if (key == "source_ohm") return number(v, "%g") + " Ω source";
  if (key.rfind("dut.", 0) == 0 && key.size() > 7 && key.compare(key.size() - 3, 3, "_db") == 0)
    return key.substr(4, key.size() - 7) + " " + number(v, "%+g") + " dB";
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
  for (const auto& [key, value] : point.items()) {
    auto part = part_of(key, value);
    if (!part.empty()) parts.emplace_back(rank(key), std::move(part));
  }
  std::stable_sort(parts.begin(), parts.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [r, part] : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

}  // namespace ampbench::record
