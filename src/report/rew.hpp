// REW's text import format for a response curve: '*' comment lines, then one line per
// point: frequency (Hz), magnitude (dB), phase (degrees).
#pragma once

#include <string>

#include "store/record.hpp"

namespace ampbench::report {

// `phase` may be null (a stepped response has none: REW then reads 0°).
std::string render_rew(const store::RunRecord& run, const store::StepRecord& step,
                       const store::CurveRecord& response, const store::CurveRecord* phase);

}  // namespace ampbench::report
