// Levels as users write them ("-20 dBV", "2.5 V", "10 W") and their conversion to volts
// through the station's calibration. Rejects unknown units, NaN, inf and empty strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ampbench::sequence {

enum class LevelUnit { dbfs, dbv, dbu, volt, millivolt, watt };

struct Level {
  double value = 0.0;
  LevelUnit unit = LevelUnit::dbv;
  bool operator==(const Level&) const = default;
};

// Throws std::invalid_argument with a reason (callers add file, line and field).
Level parse_level(std::string_view text);
std::string format_level(const Level& level);
std::string_view unit_name(LevelUnit unit);

// What a dBFS level means in volts, and the load a W level is dissipated in.
struct LevelContext {
  double vrms_at_0dbfs = 1.0;
  std::optional<double> load_ohm;
};

// Throws std::invalid_argument when a W level has no load to refer to.
double level_to_vrms(const Level& level, const LevelContext& context);
Level vrms_to_level(double vrms, LevelUnit unit, const LevelContext& context);

}  // namespace ampbench::sequence
