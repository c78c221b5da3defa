// sequence/steps: families of curves over a swept step (SPEC §9): the innermost sweep is the
// curve's variable, every combination of the outer sweeps (frequency, load, a DUT setting) a
// condition with a curve of its own per channel, stored with the condition as its point.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ampbench::sequence {

class StepContext;

// Adds curve `curve` per condition and channel: y is measurement `y_name`, x measurement
// `x_name` at the same point, or the point's coordinate of that name when it is one
// (the frequency dimension's key). Points without both values finite are left out.
void add_family(StepContext& ctx, const std::string& inner, const std::string& curve,
                const std::string& x_name, const std::string& x_unit, const std::string& y_name);

}  // namespace ampbench::sequence
