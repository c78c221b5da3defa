#include "record/uncertainty.hpp"

#include <cmath>

namespace ampbench::record {
namespace {

// The relative change of an amplitude `db` decibels up: a volts value's U from a dB one.
double amplitude_fraction(double db) {
  return std::pow(10.0, db / 20.0) - 1.0;
}

}  // namespace

bool uncertainty_modelled(std::string_view name) {
  return name == "gain_db" || name == "level_dbv" || name == "level_vrms" || name == "power_w";
}

std::optional<double> calibration_uncertainty(std::string_view name, double value,
                                              std::optional<double> u_input_db,
                                              std::optional<double> u_output_db, double k) {
  if (!uncertainty_modelled(name) || !u_input_db || !std::isfinite(value)) return std::nullopt;
  if (name == "gain_db") {
    if (!u_output_db) return std::nullopt;
    return k * std::hypot(*u_input_db, *u_output_db);
  }
  const double u_level_db = k * *u_input_db;
  if (name == "level_dbv") return u_level_db;
  if (name == "level_vrms") return std::abs(value) * amplitude_fraction(u_level_db);
  return std::abs(value) * amplitude_fraction(2.0 * u_level_db);  // power_w: volts squared
}

}  // namespace ampbench::record
