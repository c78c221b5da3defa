#include "sequence/levels.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "dsp/units.hpp"

namespace ampbench::sequence {
namespace {

struct UnitSpelling {
  std::string_view text;
  LevelUnit unit;
};
constexpr UnitSpelling kUnits[] = {
    {"dBFS", LevelUnit::dbfs},    {"dBV", LevelUnit::dbv}, {"dBu", LevelUnit::dbu},
    {"mV", LevelUnit::millivolt}, {"V", LevelUnit::volt},  {"mW", LevelUnit::milliwatt},
    {"W", LevelUnit::watt},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_linear(LevelUnit unit) {
  return unit == LevelUnit::volt || unit == LevelUnit::millivolt || is_power(unit);
}

}  // namespace

bool is_power(LevelUnit unit) {
  return unit == LevelUnit::watt || unit == LevelUnit::milliwatt;
}

bool same_quantity(LevelUnit a, LevelUnit b) {
  const auto volts = [](LevelUnit u) { return u == LevelUnit::volt || u == LevelUnit::millivolt; };
  return a == b || (volts(a) && volts(b)) || (is_power(a) && is_power(b));
}

std::string_view unit_name(LevelUnit unit) {
  for (const auto& u : kUnits)
    if (u.unit == unit) return u.text;
  return "";
}

Level parse_level(std::string_view text) {
  const std::string_view s = trim(text);
  if (s.empty())
    throw std::invalid_argument("empty level; expected a number and a unit, e.g. \"-20 dBV\"");
  double value = 0.0;
  // from_chars does not take a leading '+'.
  const std::size_t start = s.front() == '+' ? 1 : 0;
  const auto [ptr, ec] = std::from_chars(s.data() + start, s.data() + s.size(), value);
  if (ec != std::errc() || ptr == s.data() + start)
    throw std::invalid_argument("'" + std::string(text) + "' does not start with a number");
  if (!std::isfinite(value))
    throw std::invalid_argument("'" + std::string(text) + "' is not a finite number");
  const std::string_view unit_text =
      trim(std::string_view(ptr, static_cast<std::size_t>(s.data() + s.size() - ptr)));
  if (unit_text.empty())
    throw std::invalid_argument("'" + std::string(text) +
                                "' has no unit (dBFS, dBV, dBu, V, mV, W or mW)");
  for (const auto& u : kUnits) {
    if (unit_text == u.text) {
      if (is_linear(u.unit) && value < 0.0)
        throw std::invalid_argument("'" + std::string(text) + "': a level in " +
                                    std::string(u.text) + " cannot be negative");
      return {value, u.unit};
    }
  }
  throw std::invalid_argument("unknown unit '" + std::string(unit_text) + "' in '" +
                              std::string(text) + "' (expected dBFS, dBV, dBu, V, mV, W or mW)");
}

std::string format_level(const Level& level) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%g %s", level.value,
                std::string(unit_name(level.unit)).c_str());
  return buffer;
}

double level_to_vrms(const Level& level, const LevelContext& context) {
  switch (level.unit) {
    case LevelUnit::dbfs:
      return context.vrms_at_0dbfs * dsp::db_to_amplitude_ratio(level.value);
    case LevelUnit::dbv:
      return dsp::dbv_to_vrms(level.value);
    case LevelUnit::dbu:
      return dsp::dbu_to_vrms(level.value);
    case LevelUnit::volt:
      return level.value;
    case LevelUnit::millivolt:
      return level.value * 1e-3;
    case LevelUnit::watt:
    case LevelUnit::milliwatt:
      if (!context.load_ohm || !(*context.load_ohm > 0.0) || std::isinf(*context.load_ohm))
        throw std::invalid_argument("a level in W needs a finite load_ohm to refer to");
      return std::sqrt(level.value * (level.unit == LevelUnit::milliwatt ? 1e-3 : 1.0) *
                       *context.load_ohm);
  }
  return 0.0;
}

Level vrms_to_level(double vrms, LevelUnit unit, const LevelContext& context) {
  switch (unit) {
    case LevelUnit::dbfs:
      return {dsp::amplitude_ratio_to_db(vrms / context.vrms_at_0dbfs), unit};
    case LevelUnit::dbv:
      return {dsp::vrms_to_dbv(vrms), unit};
    case LevelUnit::dbu:
      return {dsp::vrms_to_dbu(vrms), unit};
    case LevelUnit::volt:
      return {vrms, unit};
    case LevelUnit::millivolt:
      return {vrms * 1e3, unit};
    case LevelUnit::watt:
    case LevelUnit::milliwatt:
      if (!context.load_ohm || !(*context.load_ohm > 0.0))
        throw std::invalid_argument("a level in W needs a load_ohm to refer to");
      return {vrms * vrms / *context.load_ohm * (unit == LevelUnit::milliwatt ? 1e3 : 1.0), unit};
  }
  return {vrms, unit};
}

}  // namespace ampbench::sequence
