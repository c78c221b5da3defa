// A thdn step's level sweep that stops at a distortion criterion (`stop_when = { thdn_pct = 1 }`,
// SPEC §17): input overload, clipping onset. Where a channel's THD+N (or THD) first reaches
// the criterion between two points, captures between them halve the bracket (in dB of
// input) until it is within kCrossingResolutionDb, and the crossing is interpolated there
// (log distortion against dB): `level_at_criterion_dbv` at the input, `output_at_criterion_dbv`
// at the output, per channel and condition. The condition's sweep stops once every channel
// has reached it; a channel that never does has both missing, with why.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "sequence/distortion_criterion.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {

inline constexpr double kCrossingResolutionDb = 0.02;
inline constexpr int kMaxCrossingCaptures = 10;

// `stop_when` of the step table: only where the innermost sweep is over stimulus.level or
// stimulus.output_level.
std::optional<DistortionCriterion> parse_stop_when(const TomlReader& reader,
                                                   const toml::table& table, const StepPlan& step,
                                                   const std::string& field);

// After a point's figures (each channel's input `vin` and analysed `tones`): finds and stores
// the crossings within this point's step of the sweep, and stops the condition's sweep when
// every channel has reached the criterion. Over an input-level sweep each capture that narrows
// a bracket is a point of the sweep too (its level in the sweep's unit, 6 digits): `store`
// stores its figures as the kind stores a point's, before this point's, so the knee shows on
// the curve and in the table (an output-level sweep keeps them for the crossing alone).
using PointFigures = std::function<void(const Point& point, const std::vector<double>& vin,
                                        std::vector<ChannelTone>& tones)>;
void follow_criterion(StepContext& ctx, const DistortionCriterion& criterion, const Point& point,
                      const ToneSettings& settings, const std::vector<double>& vin,
                      const std::vector<ChannelTone>& tones, const PointFigures& store);

// After the last point: each channel and condition without a crossing, stored missing.
void report_uncrossed(StepContext& ctx, const DistortionCriterion& criterion,
                      const std::vector<Point>& points);

}  // namespace ampbench::sequence
