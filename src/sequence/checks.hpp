// sequence: everything a run checks before it touches hardware (validate runs the same
// checks): channels, loads, stimulus levels against max_output_vrms, frequencies against
// the sample rate, capture lengths, the generator and a simulated DUT's controls, and
// what each step kind needs of the station. Each error names file, line and field.
#pragma once

#include <string>
#include <vector>

#include "sequence/plan.hpp"
#include "sequence/station.hpp"

namespace ampbench::sequence {

std::vector<std::string> check_plan(const SequencePlan& plan, const Station& station);

}  // namespace ampbench::sequence
