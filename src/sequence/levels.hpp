// Levels as users write them ("-20 dBV", "2.5 V", "10 W", "100 mW") and their conversion to volts
// through the station's calibration. Rejects unknown units, NaN, inf and empty strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ampbench::sequence {

enum class LevelUnit { dbfs, dbv, dbu, volt, millivolt, watt, milliwatt };

struct Level {
  double value = 0.0;
  LevelUnit unit = LevelUnit::dbv;
  bool operator==(const Level&) const = default;
};

// Throws std::invalid_argument with a reason (callers add file, line and field).
Level parse_level(std::string_view text);
std::string format_level(const Level& level);
std::string_view unit_name(LevelUnit unit);
// V and mV, W and mW: one quantity in two scales (a sweep may run from one to the other).
bool same_quantity(LevelUnit a, LevelUnit b);
bool is_power(LevelUnit unit);
inline bool is_db_unit(LevelUnit unit) {
  return unit == LevelUnit::dbfs || unit == LevelUnit::dbv || unit == LevelUnit::dbu;
}

// What a dBFS level means in volts, and the load a W level is dissipated in.
struct LevelContext {
  double vrms_at_0dbfs = 1.0;
  std::optional<double> load_ohm;
};

// Throws std::invalid_argument when a W level has no load to refer to.
double level_to_vrms(const Level& level, const LevelContext& context);
Level vrms_to_level(double vrms, LevelUnit unit, const LevelContext& context);

}  // namespace ampbench::sequence
