#include "sequence/points.hpp"

namespace ampbench::sequence {

std::vector<Point> expand_points(const StepPlan& step) {
  std::vector<Point> points = {{step.stimulus.frequency_hz, step.stimulus.level,
                                step.stimulus.output_level, step.load_ohm, nlohmann::json::object(),
                                step.dut}};
  for (const auto& axis : step.sweeps) {
    std::vector<Point> next;
    for (const auto& p : points) {
      for (const auto& v : axis.values) {
        Point q = p;
        auto& stored = q.coordinates[axis.parameter];
        switch (axis.dimension) {
          case record::Dimension::level:
            q.level = std::get<Level>(v);
            stored = format_level(*q.level);
            break;
          case record::Dimension::output_level:
            q.output_level = std::get<Level>(v);
            stored = format_level(*q.output_level);
            break;
          case record::Dimension::frequency:
            stored = *(q.frequency_hz = std::get<double>(v));
            break;
          case record::Dimension::load:
            stored = *(q.load_ohm = std::get<double>(v));
            break;
          case record::Dimension::dut_input:
            stored = *(q.dut.input = std::get<std::string>(v));
            break;
          case record::Dimension::dut_gain:
            stored = *(q.dut.gain_db = std::get<double>(v));
            break;
          case record::Dimension::dut_bass:
            stored = *(q.dut.bass_db = std::get<double>(v));
            break;
          case record::Dimension::dut_treble:
            stored = *(q.dut.treble_db = std::get<double>(v));
            break;
        }
        next.push_back(q);
      }
    }
    points = std::move(next);
  }
  return points;
}

nlohmann::json condition_of(const nlohmann::json& coordinates, std::string_view key) {
  auto condition = coordinates;
  if (condition.is_object()) condition.erase(std::string(key));
  return condition;
}

nlohmann::json level_condition(const nlohmann::json& coordinates) {
  return condition_of(condition_of(coordinates, record::key_of(record::Dimension::level)),
                      record::key_of(record::Dimension::output_level));
}

}  // namespace ampbench::sequence
