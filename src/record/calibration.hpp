// record: the calibration of one interface channel in one direction at one sample rate
// (SPEC §15): the volts per full scale `calibrate` found, its standard uncertainty from the
// documented budget (docs/calibration.md), who and what measured it. A record is never
// changed: a new calibration is a new record; a run names the records its volts came from.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace ampbench::record {

struct CalibrationRecord {
  std::int64_t id = 0;
  std::string uuid;
  std::string station_name;
  int channel = 0;        // the interface's channel, 1-based
  std::string direction;  // "output" | "input"
  double sample_rate_hz = 0.0;
  std::string range;  // "" (NULL) where the interface has none
  double vrms_at_0dbfs = 0.0;
  double u_db = 0.0;  // standard uncertainty
  double coverage_k = 2.0;
  std::string created_at;
  std::string valid_until;  // "" (NULL): no expiry
  std::string operator_name;
  std::string reference_idn;  // the DMM's *IDN?, or "typed reading"
  std::string reference_due;  // its own calibration's due date, "" when unknown
  std::optional<double> temperature_c;
  nlohmann::json readings = nlohmann::json::object();  // the readings and the budget's terms
  std::string note;
};

}  // namespace ampbench::record
