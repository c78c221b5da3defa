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
        if (axis.parameter == "stimulus.level") {
          q.level = std::get<Level>(v);
          q.coordinates[axis.parameter] = format_level(*q.level);
        } else if (axis.parameter == "stimulus.output_level") {
          q.output_level = std::get<Level>(v);
          q.coordinates[axis.parameter] = format_level(*q.output_level);
        } else if (axis.parameter == "stimulus.frequency_hz") {
          q.frequency_hz = std::get<double>(v);
          q.coordinates[axis.parameter] = *q.frequency_hz;
        } else if (axis.parameter == "dut.input") {
          q.dut.input = std::get<std::string>(v);
          q.coordinates[axis.parameter] = *q.dut.input;
        } else if (axis.parameter.rfind("dut.", 0) == 0) {
          const double value = std::get<double>(v);
          (axis.parameter == "dut.gain_db"   ? q.dut.gain_db
           : axis.parameter == "dut.bass_db" ? q.dut.bass_db
                                             : q.dut.treble_db) = value;
          q.coordinates[axis.parameter] = value;
        } else {
          q.load_ohm = std::get<double>(v);
          q.coordinates[axis.parameter] = *q.load_ohm;
        }
        next.push_back(q);
      }
    }
    points = std::move(next);
  }
  return points;
}

nlohmann::json condition_of(const nlohmann::json& coordinates, const std::string& parameter) {
  auto condition = coordinates;
  if (condition.is_object()) condition.erase(parameter);
  return condition;
}

}  // namespace ampbench::sequence
