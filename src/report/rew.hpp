// Curve exports, one file per curve: REW's text import format for a response ('*' comment
// lines, then frequency (Hz), magnitude (dB) and, where one was measured, phase (degrees)),
// and CSV for any curve (x, y[, phase]). A swept step's curves — one per condition and
// channel — each get a file named by step, condition and channel, never overwriting another.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "record/record.hpp"

namespace ampbench::report {

// `phase` may be null (a generator-driven response has none: the file has two columns).
std::string render_rew(const record::RunRecord& run, const record::StepRecord& step,
                       const record::CurveRecord& response, const record::CurveRecord* phase);

// x, y and the phase column when a response has one; header line with names and units.
std::string render_curve_csv(const record::CurveRecord& curve, const record::CurveRecord* phase);

// "SERIAL-runN-STEP[-CONDITION]-CHANNEL" plus `suffix`, safe as a file name.
std::string curve_file_name(const record::RunRecord& run, const record::StepRecord& step,
                            const record::CurveRecord& curve, const std::string& suffix);

// Writes the files into `dir` (created); returns their paths. `rew`: response curves only.
std::vector<std::filesystem::path> write_curve_files(const record::RunRecord& run,
                                                     const std::filesystem::path& dir, bool rew);

}  // namespace ampbench::report
