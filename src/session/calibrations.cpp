#include "session/calibrations.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.hpp"
#include "common/text.hpp"
#include "selftest/selftest.hpp"

namespace ampbench::session {
namespace {

// The interface channels a station uses in one direction: its own, its slots', the
// loopback's.
std::set<int> channels_used(const sequence::Station& station, bool output) {
  std::set<int> used;
  for (int c : output ? station.audio.outputs : station.audio.inputs) used.insert(c);
  for (const auto& slot : station.slots)
    for (int c : output ? slot.outputs : slot.inputs) used.insert(c);
  if (station.audio.loopback)
    used.insert(output ? station.audio.loopback->first : station.audio.loopback->second);
  return used;
}

// Why a record cannot serve now, or "".
std::string invalid_because(const record::CalibrationRecord& c,
                            const sequence::Station::CalibrationPolicy& policy,
                            const std::string& now) {
  if (!c.valid_until.empty() && c.valid_until < now) return "expired " + c.valid_until;
  if (policy.max_age_days) {
    const double age_days = record::seconds_between(c.created_at, now) / 86400.0;
    if (age_days > *policy.max_age_days)
      return fmt("%.1f days old, beyond max_age_days = %g", age_days, *policy.max_age_days);
  }
  return "";
}

}  // namespace

std::string attach_calibrations(sequence::Station& station, const store::ResultStore& store) {
  const auto& policy = station.calibration_policy;
  const double rate = station.audio.sample_rate_hz;
  const std::string now = record::utc_now_iso8601();
  const auto current = store.current_calibrations(station.name, rate);
  auto& records = station.calibration_records;
  records = {};
  const auto selftest = store.latest_selftest(station.name);
  station.analyzer_residuals = selftest ? selftest::residuals_of(*selftest)
                                        : std::map<int, sequence::Station::AnalyzerResidual>{};
  std::vector<std::string> problems, nominal;
  for (const bool output : {true, false}) {
    const std::string direction = output ? "output" : "input";
    for (int channel : channels_used(station, output)) {
      const auto it = std::find_if(current.begin(), current.end(), [&](const auto& c) {
        return c.channel == channel && c.direction == direction;
      });
      std::string why;
      if (it == current.end()) {
        why = "no calibration record";
        for (const auto& other : store.list_calibrations(station.name))
          if (other.channel == channel && other.direction == direction) {
            why = fmt("calibrated only at %g Hz, not at the station's %g Hz", other.sample_rate_hz,
                      rate);
            break;
          }
      } else {
        why = invalid_because(*it, policy, now);
      }
      const std::string name = direction + " " + std::to_string(channel);
      if (!why.empty()) {
        problems.push_back(name + ": " + why);
        nominal.push_back(name);
        continue;
      }
      (output ? records.output_vrms : records.input_vrms)[channel] = it->vrms_at_0dbfs;
      (output ? records.output_u_db : records.input_u_db)[channel] = it->u_db;
      records.coverage_k = it->coverage_k;
      records.uuids.push_back(it->uuid);
    }
  }
  if (policy.required && !problems.empty()) {
    std::string text;
    for (const auto& p : problems) text += (text.empty() ? "" : "; ") + p;
    throw MeasurementError("station '" + station.name +
                           "' requires a valid calibration of every channel it uses ([calibration] "
                           "required): " +
                           text + ". Run `ampbench calibrate --station " + station.path + "`");
  }
  if (nominal.empty()) return "";
  std::string text;
  for (const auto& n : nominal) text += (text.empty() ? "" : ", ") + n;
  return "no valid calibration record for " + text + ": the station file's nominal values serve";
}

}  // namespace ampbench::session
