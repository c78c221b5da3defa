// sequence: a stimulus asked for at the DUT's output (stimulus.output_level, SPEC §9). The
// input that gives it is found channel by channel by measuring: a probe (probe_vrms, or the
// gains found at the step's previous point), then corrections until every output lies within
// kOutputLevelToleranceDb of the request. The station's safety maxima stay absolute; a level
// the DUT cannot reach (the output stops following the input, the interface's input clips,
// the drive would pass max_output_vrms) is said, never forced.
#pragma once

#include <string>
#include <vector>

#include "sequence/step_context.hpp"

namespace ampbench::sequence {

inline constexpr double kOutputLevelToleranceDb = 0.02;
inline constexpr int kMaxOutputLevelCaptures = 8;

// Where the search starts: the step's probe_level, else −40 dBV or, lower, what keeps a DUT of
// 70 dB gain within the interface's clip guard (station input full scale at max_input_dbfs):
// −47 dBV on sim-preamp's 16 Vrms input.
double probe_vrms(const Station& station, const StepPlan& step);

struct TonesAtOutput {
  std::vector<ChannelTone> tones;     // the last capture, every channel at the request
  std::vector<double> vin;            // Vrms at each channel's input
  std::string unreachable;            // why the request cannot be met (then tones is empty)
  bool unreachable_by_bench = false;  // the bench, not the DUT, stopped it
};

// Sines at `frequency_hz` giving the point's output_level on every channel; the last capture
// is analysed with `settings` and kept (it is the point's measurement).
TonesAtOutput capture_tones_at_output(StepContext& ctx, const Point& point, double frequency_hz,
                                      const ToneSettings& settings, bool with_spectrum);

// The point's input level per channel: its stimulus.level, or the one found for its
// output_level at `frequency_hz` (one more capture's worth of search).
TonesAtOutput input_for_point(StepContext& ctx, const Point& point, double frequency_hz);

}  // namespace ampbench::sequence
