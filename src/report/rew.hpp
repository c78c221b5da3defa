// REW's text import format for a response curve: '*' comment lines, then one line per
// point: frequency (Hz), magnitude (dB), phase (degrees).
#pragma once

#include <string>

#include "record/record.hpp"

namespace ampbench::report {

// `phase` may be null (a stepped response has none: REW then reads 0°).
std::string render_rew(const record::RunRecord& run, const record::StepRecord& step,
                       const record::CurveRecord& response, const record::CurveRecord* phase);

}  // namespace ampbench::report
