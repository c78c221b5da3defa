// A limit on a curve: a mask judged at every point of it (SPEC §9).
#include <cmath>

#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

std::optional<double> number_at(const nlohmann::json& point, const std::string& key) {
  if (point.is_object() && point.contains(key) && point[key].is_number())
    return point[key].get<double>();
  return std::nullopt;
}

// The point's place on each limit axis: x on the axis of its unit, frequency otherwise from
// the curve's sweep point; power and level into the point's load from either.
LimitCoordinates coordinates_at(const record::CurveRecord& c, double x,
                                std::optional<double> step_load_ohm) {
  LimitCoordinates where;
  where.at(LimitAxis::frequency) =
      number_at(c.point, std::string(record::key_of(record::Dimension::frequency)));
  where.load_ohm = number_at(c.point, std::string(record::key_of(record::Dimension::load)));
  if (!where.load_ohm) where.load_ohm = step_load_ohm;
  if (const auto* axis = record::limit_axis_of_unit(c.x_unit)) where.at(axis->axis) = x;
  where.complete_power_and_level();
  return where;
}

std::string at_key(const std::string& x_unit) {
  const auto* axis = record::limit_axis_of_unit(x_unit);
  return axis ? std::string(axis->at_key) : "at";
}

}  // namespace

void StepContext::judge_curves() {
  const auto measurements = step_.kind->measurements();
  std::vector<record::MeasurementRecord> judged_curves;
  for (const auto& entry : step_.limits) {
    const std::string& name = entry.first;
    const Limit& limit = entry.second;
    const bool is_measurement =
        std::any_of(measurements.begin(), measurements.end(),
                    [&](const MeasurementSpec& m) { return m.name == name; });
    if (is_measurement) continue;
    for (const auto& c : record_.curves) {
      if (c.name != name) continue;
      std::optional<std::size_t> worst;
      Bounds worst_bounds;
      double worst_margin = INFINITY;
      for (std::size_t i = 0; i < c.x.size(); ++i) {
        if (!std::isfinite(c.y[i])) continue;
        const auto bounds = limit.at(coordinates_at(c, c.x[i], step_.load_ohm));
        if (!bounds) continue;
        const double margin = std::min(bounds->low ? c.y[i] - *bounds->low : INFINITY,
                                       bounds->high ? *bounds->high - c.y[i] : INFINITY);
        if (!worst || margin < worst_margin) {
          worst = i;
          worst_margin = margin;
          worst_bounds = *bounds;
        }
      }
      limit_judged(name);
      if (!worst) continue;  // the mask covers none of this curve (another load's, say)
      auto point = c.point;
      point[at_key(c.x_unit)] = c.x[*worst];
      record::MeasurementRecord m{c.channel,
                                  name,
                                  c.y[*worst],
                                  c.y_unit,
                                  worst_bounds.low,
                                  worst_bounds.high,
                                  record::Verdict::pass,
                                  point,
                                  ""};
      m.note = "the curve's point nearest its limit";
      m.verdict = worst_margin >= 0.0 ? record::Verdict::pass : record::Verdict::fail;
      judged_curves.push_back(std::move(m));
    }
  }
  // A mask over points that were never measured judges nothing there: never a PASS.
  for (auto& [key, unmeasured] : unmeasured_curve_points_) {
    auto& [count, m] = unmeasured;
    if (count > 1)
      m.note = std::to_string(count) + " points the mask covers not measured (" + m.note + ")";
    judged_curves.push_back(std::move(m));
  }
  for (auto& m : judged_curves) record_.measurements.push_back(std::move(m));
}

}  // namespace ampbench::sequence
