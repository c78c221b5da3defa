#include "sequence/checks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/error.hpp"
#include "common/text.hpp"
#include "dsp/tone_analysis.hpp"
#include "sequence/points.hpp"
#include "sequence/step_context.hpp"
#include "sequence/step_kind.hpp"

namespace ampbench::sequence {
namespace {

bool sets_preamp_controls(const std::vector<Point>& points) {
  return std::any_of(points.begin(), points.end(), [](const Point& p) {
    return p.dut.input || p.dut.gain_db || p.dut.bass_db || p.dut.treble_db;
  });
}

// A simulated preamp knows its own controls: settings it lacks are found before the run.
void check_sim_controls(StepChecks& checks, const std::vector<Point>& points) {
  const auto& pre = *checks.station().sim->preamp;
  for (const auto& p : points) {
    if (p.dut.input && !pre.inputs.count(*p.dut.input))
      checks.error("dut.input", "'" + *p.dut.input + "' is not an input of the simulated preamp");
    if (p.dut.gain_db && (!pre.gain_control || *p.dut.gain_db < pre.gain_control->min_db - 1e-9 ||
                          *p.dut.gain_db > pre.gain_control->max_db + 1e-9))
      checks.error("dut.gain_db", fmt("%g dB", *p.dut.gain_db) +
                                      " is outside the simulated preamp's gain control");
    for (const auto& [field, tone] :
         {std::pair{"dut.bass_db", p.dut.bass_db}, std::pair{"dut.treble_db", p.dut.treble_db}})
      if (tone && (!pre.tone || std::abs(*tone) > pre.tone->range_db + 1e-9))
        checks.error(field,
                     fmt("%+g dB", *tone) + " is beyond the simulated preamp's tone controls");
  }
}

// A station whose simulated preamp has no controls at all gets one message, not one per
// setting of every step.
void check_no_sim_controls(const SequencePlan& plan, const Station& station,
                           std::vector<std::string>& errors) {
  std::vector<const StepPlan*> users;
  for (const auto& s : plan.steps)
    if (sets_preamp_controls(expand_points(s))) users.push_back(&s);
  if (users.empty()) return;
  std::string ids;
  for (const StepPlan* s : users) ids += (ids.empty() ? "" : ", ") + s->id;
  StepChecks(plan, *users.front(), station, errors)
      .error("dut", "station '" + station.name +
                        "' has no preamp controls (its [sim.preamp] has no inputs, gain_control "
                        "or tone); " +
                        std::to_string(users.size()) + " step(s) set them: " + ids);
}

void check_generator(StepChecks& checks, const std::vector<Point>& points) {
  const auto& s = checks.step();
  const auto& station = checks.station();
  if (!station.generator)
    checks.error(record::StimulusField::source,
                 "station '" + station.name + "' has no [generator]");
  else if (!s.kind->generator_can_drive(s))
    checks.error(record::StimulusField::source,
                 "the generator makes steady sines: level, thdn and stepped frequency_response "
                 "steps only (" +
                     std::string(s.kind_name()) +
                     (s.kind_name() == "frequency_response" ? " by sweep" : "") +
                     " needs the interface's output)");
  for (const auto& p : points)
    if (p.level && p.level->unit == LevelUnit::dbfs)
      checks.error(record::StimulusField::level,
                   format_level(*p.level) +
                       " is a level of the interface's output; give the "
                       "generator's in dBV, dBu, V or mV");
  if (station.generator && station.generator->loaded.max_frequency_hz)
    for (const auto& p : points)
      if (p.frequency_hz && *p.frequency_hz > *station.generator->loaded.max_frequency_hz)
        checks.error(record::StimulusField::frequency_hz,
                     fmt("%g Hz", *p.frequency_hz) + " is beyond the generator's " +
                         fmt("%g Hz", *station.generator->loaded.max_frequency_hz));
}

// One capture of the step held in memory: its stimulus, the capture and the buffers between
// them, (settle + analysed) frames of every interface channel. Measured: a 60 s capture at
// 96 kHz through a stereo interface peaks at 438 MB, 19 bytes per frame of each output and
// input; counted here as 3 doubles (24 bytes). Far beyond the machine's memory a capture
// would end in std::bad_alloc mid-run.
void check_capture_memory(StepChecks& checks) {
  const auto& s = checks.step();
  const auto& station = checks.station();
  const double fs = station.audio.sample_rate_hz;
  double seconds = s.settle_s + std::max(s.capture_s, kMaxResolvingCaptureS);
  if (s.kind->reads(record::StimulusField::duration_s))
    seconds = std::max(seconds, s.settle_s + s.stimulus.duration_s + 1.0);
  const double channels =
      static_cast<double>(station.audio.outputs.size() + station.audio.inputs.size());
  const double mb = seconds * fs * channels * 3.0 * sizeof(double) / (1024.0 * 1024.0);
  if (mb > station.max_capture_mb) {
    const bool long_capture = s.capture_s >= s.stimulus.duration_s;
    checks.error(long_capture ? std::string("capture_s")
                              : std::string(record::path_of(record::StimulusField::duration_s)),
                 fmt("a capture of %.4g s", seconds) + " at " + fmt("%g Hz", fs) + " needs " +
                     fmt("%.0f MB", mb) + ", above the station's max_capture_mb of " +
                     fmt("%g MB", station.max_capture_mb));
  }
}

}  // namespace

// The line of the field that causes the problem: a swept value's sweep, else the field
// itself or the nearest enclosing table, else the step header.
int StepChecks::line_of(const std::string& field) const {
  for (const auto& axis : step_.sweeps)
    if (axis.parameter == field && axis.line > 0) return axis.line;
  for (std::string f = field; !f.empty();) {
    if (const auto it = step_.field_lines.find(f); it != step_.field_lines.end()) return it->second;
    const auto dot = f.rfind('.');
    f = dot == std::string::npos ? std::string() : f.substr(0, dot);
  }
  return step_.line;
}

// Each problem once: a sweep's points repeat the same one.
void StepChecks::error(const std::string& field, const std::string& what) {
  std::string text =
      InputError(plan_.path, line_of(field), "step." + step_.id + "." + field, what).what();
  if (std::find(errors_.begin(), errors_.end(), text) == errors_.end())
    errors_.push_back(std::move(text));
}

void StepChecks::check_load(double ohm, const std::string& field) {
  if (station_.loads_available_ohm.empty()) return;
  if (std::none_of(station_.loads_available_ohm.begin(), station_.loads_available_ohm.end(),
                   [&](double a) { return std::abs(a - ohm) < 1e-9; }))
    error(field, fmt("%g ohm", ohm) + " is not a load of station '" + station_.name + "'");
}

void StepChecks::check_drive(const Level& level, std::optional<double> load_ohm,
                             const std::string& field) {
  try {
    const double v =
        level_to_vrms(level, {station_.audio.calibration.output_vrms_at_0dbfs, load_ohm});
    if (v > station_.safety.max_output_vrms * (1 + 1e-9))
      error(field, format_level(level) + " is " + fmt("%.3g Vrms", v) +
                       ", above the station's max_output_vrms of " +
                       fmt("%g Vrms", station_.safety.max_output_vrms));
  } catch (const std::invalid_argument& e) {
    error(field, e.what());
  }
}

std::vector<std::string> check_plan(const SequencePlan& plan, const Station& station) {
  std::vector<std::string> errors;
  if (static_cast<int>(plan.channels.size()) > station.channel_count()) {
    errors.push_back(InputError(plan.path, 0, "sequence.channels",
                                std::to_string(plan.channels.size()) + " channels, but station '" +
                                    station.name + "' has " +
                                    std::to_string(station.channel_count()))
                         .what());
  }
  const double fs = station.audio.sample_rate_hz;
  const auto* sim_preamp = station.sim && station.sim->preamp ? &*station.sim->preamp : nullptr;
  const bool sim_controls =
      sim_preamp && (!sim_preamp->inputs.empty() || sim_preamp->gain_control || sim_preamp->tone);
  if (sim_preamp && !sim_controls) check_no_sim_controls(plan, station, errors);
  // A tone must stand clear of DC (and H2 of it) within the longest capture a step lengthens
  // to: 17 lobe bins of the analysis window.
  const double lowest_hz =
      static_cast<double>(dsp::frames_resolving_harmonics(1.0, 1.0)) / kMaxResolvingCaptureS;
  for (const auto& s : plan.steps) {
    StepChecks checks(plan, s, station, errors);
    if (s.kind->analyses_capture() &&
        s.capture_s * fs < static_cast<double>(dsp::kMinimumAnalysisFrames)) {
      checks.error("capture_s", fmt("%g s", s.capture_s) + " is too short: analysis needs " +
                                    std::to_string(dsp::kMinimumAnalysisFrames) + " samples at " +
                                    fmt("%g Hz", fs));
    }
    check_capture_memory(checks);
    const auto points = expand_points(s);
    for (const auto& p : points) {
      if (p.load_ohm) checks.check_load(*p.load_ohm, "load_ohm");
      if (s.kind->analyses_capture() && p.frequency_hz && *p.frequency_hz < lowest_hz)
        checks.error(record::StimulusField::frequency_hz,
                     fmt("%g Hz", *p.frequency_hz) + " cannot be told from DC within a " +
                         fmt("%g s", kMaxResolvingCaptureS) + " capture: the lowest is " +
                         fmt("%.3g Hz", lowest_hz));
      if (p.frequency_hz && *p.frequency_hz >= fs / 2.0)
        checks.error(record::StimulusField::frequency_hz,
                     fmt("%g Hz", *p.frequency_hz) + " is at or above half the sample rate");
      if (p.level)
        checks.check_drive(*p.level, p.load_ohm,
                           std::string(record::path_of(record::StimulusField::level)));
    }
    s.kind->check(checks);
    if (sim_controls) check_sim_controls(checks, points);
    if (s.stimulus.source == StimulusSource::generator) check_generator(checks, points);
    if (s.stimulus.to_hz && *s.stimulus.to_hz >= fs / 2.0)
      checks.error(record::StimulusField::to_hz,
                   fmt("%g Hz", *s.stimulus.to_hz) + " is at or above half the sample rate");
  }
  return errors;
}

}  // namespace ampbench::sequence
