#include "record/limits.hpp"

#include <algorithm>
#include <cmath>

namespace ampbench::record {
namespace {

constexpr LimitAxisSpec kLimitAxes[] = {
    {LimitAxis::frequency, "Hz", "from_hz", "to_hz", "at_hz", true},
    {LimitAxis::power, "W", "from_w", "to_w", "at_w", true},
    {LimitAxis::level, "dBV", "from_dbv", "to_dbv", "at_dbv", false},
};

// A bound in a coordinate the point does not have leaves the segment silent there. Edges
// are inclusive with a relative tolerance: a log sweep's last point lands on to_hz within
// rounding.
bool within(const LimitRange& range, std::optional<double> value) {
  if (!range.bounded()) return true;
  if (!value) return false;
  constexpr double kEdge = 1e-9;
  if (range.from && *value < *range.from - kEdge * std::abs(*range.from)) return false;
  if (range.to && *value > *range.to + kEdge * std::abs(*range.to)) return false;
  return true;
}

std::optional<double> number_in(const nlohmann::json& t, std::string_view key) {
  const auto it = t.find(key);
  if (it == t.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

LimitSegment segment_from_json(const nlohmann::json& t) {
  LimitSegment s;
  s.min = number_in(t, "min");
  s.max = number_in(t, "max");
  if (const auto d = t.find("decision"); d != t.end() && *d == "guarded")
    s.decision = Decision::guarded;
  for (const auto& axis : kLimitAxes) {
    s.range(axis.axis).from = number_in(t, axis.from_key);
    s.range(axis.axis).to = number_in(t, axis.to_key);
  }
  s.load_ohm = number_in(t, "load_ohm");
  if (const auto bands = t.find("exclude_hz"); bands != t.end() && bands->is_array())
    for (const auto& band : *bands)
      if (band.is_array() && band.size() == 2 && band[0].is_number() && band[1].is_number())
        s.exclude_hz.emplace_back(band[0].get<double>(), band[1].get<double>());
  return s;
}

}  // namespace

std::span<const LimitAxisSpec> limit_axes() {
  return kLimitAxes;
}

const LimitAxisSpec& spec_of(LimitAxis axis) {
  return kLimitAxes[static_cast<std::size_t>(axis)];
}

const LimitAxisSpec* limit_axis_of_unit(std::string_view unit) {
  for (const auto& a : kLimitAxes)
    if (a.unit == unit) return &a;
  return nullptr;
}

void LimitCoordinates::complete_power_and_level() {
  auto& power = at(LimitAxis::power);
  auto& level = at(LimitAxis::level);
  if (!load_ohm) return;
  if (power && !level && *power > 0.0) level = 10.0 * std::log10(*power * *load_ohm);
  if (level && !power) power = std::pow(10.0, *level / 10.0) / *load_ohm;
}

bool segment_covers(const LimitSegment& s, const LimitCoordinates& where) {
  for (const auto& axis : kLimitAxes)
    if (!within(s.range(axis.axis), where.at(axis.axis))) return false;
  if (s.load_ohm && (!where.load_ohm || std::abs(*where.load_ohm - *s.load_ohm) > 1e-9))
    return false;
  if (const auto& f = where.at(LimitAxis::frequency))
    for (const auto& [from, to] : s.exclude_hz)
      if (*f >= from && *f <= to) return false;
  return true;
}

std::optional<Bounds> Limit::at(const LimitCoordinates& where) const {
  std::optional<Bounds> bounds;
  for (const auto& s : segments) {
    if (!segment_covers(s, where)) continue;
    if (!bounds) bounds.emplace();
    if (s.min) bounds->low = bounds->low ? std::max(*bounds->low, *s.min) : *s.min;
    if (s.max) bounds->high = bounds->high ? std::min(*bounds->high, *s.max) : *s.max;
    if (s.decision == Decision::guarded) bounds->decision = Decision::guarded;
  }
  return bounds;
}

bool accepted(double value, const Bounds& bounds, std::optional<double> expanded_uncertainty,
              BoundSide side) {
  const double guard =
      bounds.decision == Decision::guarded ? expanded_uncertainty.value_or(0.0) : 0.0;
  return (!bounds.low || (side != BoundSide::upper && value >= *bounds.low + guard)) &&
         (!bounds.high || (side != BoundSide::lower && value <= *bounds.high - guard));
}

std::vector<std::string_view> limit_keys() {
  std::vector<std::string_view> keys = {"min", "max", "decision"};
  for (const auto& axis : kLimitAxes) {
    keys.push_back(axis.from_key);
    keys.push_back(axis.to_key);
  }
  keys.push_back("load_ohm");
  keys.push_back("exclude_hz");
  return keys;
}

std::map<std::string, Limit> limits_from_json(const nlohmann::json& limits) {
  std::map<std::string, Limit> out;
  if (!limits.is_object()) return out;
  for (const auto& [name, value] : limits.items()) {
    Limit limit;
    if (value.is_object()) limit.segments.push_back(segment_from_json(value));
    if (value.is_array())
      for (const auto& t : value)
        if (t.is_object()) limit.segments.push_back(segment_from_json(t));
    if (!limit.segments.empty()) out.emplace(name, std::move(limit));
  }
  return out;
}

}  // namespace ampbench::record
