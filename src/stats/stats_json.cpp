#include "stats/stats_json.hpp"

#include <cmath>

namespace ampbench::stats {

namespace {

nlohmann::json optional_json(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json to_json(const LineStats& line) {
  nlohmann::json j = {{"stations", nlohmann::json::array()},
                      {"days", nlohmann::json::array()},
                      {"measurements", nlohmann::json::array()}};
  for (const auto& s : line.stations)
    j["stations"].push_back(
        {{"station", s.station.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.station)},
         {"runs", s.runs},
         {"passed_runs", s.passed_runs},
         {"run_yield", s.run_yield},
         {"units", s.units},
         {"first_pass_yield", s.first_pass_yield},
         {"final_yield", s.final_yield}});
  for (const auto& d : line.days)
    j["days"].push_back({{"day", d.day},
                         {"station", d.station},
                         {"runs", d.runs},
                         {"passed_runs", d.passed_runs},
                         {"yield", d.yield}});
  for (const auto& m : line.measurements) {
    const auto& c = m.capability;
    nlohmann::json drift = {{"evaluated", m.drift.evaluated},
                            {"drifting", m.drift.drifting},
                            {"units_needed", m.drift.units_needed}};
    if (m.drift.drifting) {
      drift["first_unit"] = m.drift.first_out + 1;
      drift["first_serial"] = m.drift.first_out_serial;
    }
    if (m.drift.evaluated) {
      drift["baseline_mean"] = m.drift.baseline_mean;
      drift["ewma_last"] = m.drift.ewma.back();
    }
    j["measurements"].push_back(
        {{"step_id", m.key.step_id},
         {"channel", m.key.channel},
         {"name", m.key.name},
         {"unit", m.key.unit},
         {"point",
          m.key.point.empty() ? nlohmann::json::object() : nlohmann::json::parse(m.key.point)},
         {"station", m.station.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.station)},
         {"count", c.count},
         {"passed", c.passed},
         {"yield", c.yield},
         {"mean", c.mean},
         {"sigma", c.sigma},
         {"mean_linear", c.mean_linear},
         {"sigma_linear", c.sigma_linear},
         {"min", c.min},
         {"max", c.max},
         {"low", optional_json(c.low)},
         {"high", optional_json(c.high)},
         {"cp", optional_json(c.cp)},
         {"cpk", optional_json(c.cpk)},
         {"drift", drift}});
  }
  return j;
}

}  // namespace ampbench::stats
