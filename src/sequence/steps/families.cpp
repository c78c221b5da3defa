#include "sequence/steps/families.hpp"

#include <cmath>
#include <map>
#include <vector>

#include "sequence/step_context.hpp"

namespace ampbench::sequence {

void add_family(StepContext& ctx, const std::string& inner, const std::string& curve,
                const std::string& x_name, const std::string& x_unit, const std::string& y_name) {
  const auto& measurements = ctx.record().measurements;
  std::map<std::pair<std::string, std::string>, std::size_t> index;  // (condition, channel)
  std::vector<record::CurveRecord> curves;
  std::string y_unit;
  std::map<std::pair<std::string, std::string>, double> x_measured;  // (channel, point)
  for (const auto& m : measurements)
    if (m.name == x_name) x_measured[{m.channel, m.point.dump()}] = m.value;
  for (const auto& m : measurements) {
    if (m.name != y_name || !std::isfinite(m.value)) continue;
    std::optional<double> x;
    if (m.point.contains(x_name) && m.point[x_name].is_number()) {
      x = m.point[x_name].get<double>();
    } else if (auto it = x_measured.find({m.channel, m.point.dump()}); it != x_measured.end()) {
      x = it->second;
    }
    if (!x || !std::isfinite(*x)) continue;
    const auto condition = condition_of(m.point, inner);
    const auto key = std::pair(condition.dump(), m.channel);
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, curves.size()).first;
      curves.push_back({m.channel, curve, x_unit, m.unit, {}, {}, condition, {}});
    }
    curves[it->second].x.push_back(*x);
    curves[it->second].y.push_back(m.value);
  }
  for (auto& c : curves)
    if (!c.x.empty()) ctx.add_curve(std::move(c));
}

}  // namespace ampbench::sequence
