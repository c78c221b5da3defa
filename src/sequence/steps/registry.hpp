// sequence/steps: every step kind ampbench knows, by name; registry.cpp lists them.
#pragma once

#include <string_view>
#include <vector>

#include "sequence/step_kind.hpp"

namespace ampbench::sequence {

const std::vector<const StepKind*>& step_kinds();
const StepKind* find_step_kind(std::string_view name);
// How reports draw a curve of this name; nullptr when no kind declares it.
const CurveSpec* find_curve_spec(std::string_view curve_name);

}  // namespace ampbench::sequence
