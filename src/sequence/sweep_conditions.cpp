// StepContext: where a sweep's condition begins and ends — a point begun, an output level
// the DUT cannot reach, a criterion reached (stop_when) — and what a point that was not
// measured leaves for its limits.
#include <algorithm>
#include <limits>

#include "record/point_words.hpp"
#include "sequence/levels.hpp"
#include "sequence/points.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {

void StepContext::begin_point(const Point& point) {
  point_load_ohm_ = point.load_ohm;
  point_output_level_ = point.output_level;
  output_vrms_.clear();
  condition_ended_ = false;
}

void StepContext::end_condition(const Point& point, const std::string& why, bool by_bench) {
  condition_ended_ = true;
  const std::string where = record::point_in_words(level_condition(point.coordinates));
  // An output level is not reached; an input level was driven and could not be measured.
  const std::string reached =
      (point.output_level
           ? record::level_in_words(format_level(*point.output_level)) + " not reached"
       : point.level ? record::level_in_words(format_level(*point.level)) + " not measured"
                     : std::string("the level not reached")) +
      (where.empty() ? "" : " at " + where);
  record_.message += (record_.message.empty() ? "" : "; ") + reached + " (" + why + ")";
  ended_reason_ = reached + ": " + why;
  ended_by_bench_ = by_bench;
  ended_by_rule_ = false;
  add_unmeasured(point, ended_reason_, by_bench);
}

void StepContext::stop_condition(const std::string& why) {
  condition_ended_ = true;
  record_.message += (record_.message.empty() ? "" : "; ") + why;
  ended_reason_ = why;
  ended_by_bench_ = false;
  ended_by_rule_ = true;
}

void StepContext::add_unmeasured(const Point& point, const std::string& reason, bool by_bench) {
  const auto specs = step_.kind->measurements();
  for (const auto& entry : step_.limits) {
    const std::string& name = entry.first;
    const auto spec = std::find_if(specs.begin(), specs.end(),
                                   [&](const MeasurementSpec& s) { return s.name == name; });
    if (spec != specs.end() && spec->per_condition) continue;
    for (const auto& channel : channels()) {
      record::MeasurementRecord m{channel,
                                  name,
                                  std::numeric_limits<double>::quiet_NaN(),
                                  spec == specs.end() ? "" : std::string(spec->unit),
                                  std::nullopt,
                                  std::nullopt,
                                  record::Verdict::pass,
                                  point.coordinates,
                                  reason};
      m = judged(std::move(m), point.frequency_hz);
      if (!m.low && !m.high) continue;  // no segment covers this point
      if (by_bench) m.verdict = record::Verdict::error;
      if (spec != specs.end()) {
        record_.measurements.push_back(std::move(m));
        continue;
      }
      auto& [count, first] = unmeasured_curve_points_[{channel, name}];
      if (count++ == 0) first = std::move(m);
    }
  }
}

}  // namespace ampbench::sequence
