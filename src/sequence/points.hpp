// sequence: the points of a step — its stimulus, load and DUT settings with every sweep
// coordinate applied, outer sweep first — and the coordinates stored with each result.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "sequence/plan.hpp"

namespace ampbench::sequence {

struct Point {
  std::optional<double> frequency_hz;
  std::optional<Level> level;
  std::optional<Level> output_level;  // at the DUT's output: the kind finds the input level
  std::optional<double> load_ohm;
  nlohmann::json coordinates = nlohmann::json::object();
  plugs::DutChange dut;
};

std::vector<Point> expand_points(const StepPlan& step);

// A point's coordinates without one swept parameter's: the condition it belongs to (a curve
// of a family, or the sweep an unreachable output level ends).
nlohmann::json condition_of(const nlohmann::json& coordinates, std::string_view key);
// The condition a level sweep's point belongs to: its coordinates without stimulus.level and
// stimulus.output_level (a step sweeps one of them at most).
nlohmann::json level_condition(const nlohmann::json& coordinates);

}  // namespace ampbench::sequence
