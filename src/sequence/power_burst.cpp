#include "sequence/power_burst.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "common/text.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {

BurstSpec parse_burst_spec(const TomlReader& r, const toml::table& t, const std::string& p,
                           BurstSpec spec) {
  const toml::table* b = r.table(t, "burst", p, false);
  if (!b) return spec;
  const std::string q = p + ".burst";
  r.reject_unknown_keys(*b, q, {"on_s", "duty"});
  spec.on_s = r.number(*b, "on_s", q).value_or(spec.on_s);
  spec.duty = r.number(*b, "duty", q).value_or(0.0);
  if (spec.on_s < 0.02 || spec.on_s > 10.0)
    r.fail(b->get("on_s"), q + ".on_s", "must be 0.02 to 10 s");
  if (spec.duty < 0.0 || spec.duty > 1.0)
    r.fail(b->get("duty"), q + ".duty", "must be between 0 and 1");
  return spec;
}

void parse_burst_judgement(const TomlReader& r, const toml::table& t, const std::string& p,
                           dsp::FrequencyBand& band, DistortionCriterion& criterion,
                           BurstSpec& burst) {
  try {
    if (auto b = r.string(t, "band", p)) band = dsp::parse_band(*b);
  } catch (const UsageError& e) {
    r.fail(&t, p, e.what());
  }
  if (const toml::table* c = r.table(t, "criterion", p, false))
    criterion = parse_distortion_criterion(r, *c, p + ".criterion");
  burst = parse_burst_spec(r, t, p, burst);
}

void check_burst_spec(StepChecks& checks, const BurstSpec& spec,
                      const std::vector<double>& frequencies_hz) {
  const auto& station = checks.station();
  if (spec.duty > station.safety.max_burst_duty)
    checks.error("burst.duty", fmt("%g", spec.duty) + " exceeds the station's max_burst_duty of " +
                                   fmt("%g", station.safety.max_burst_duty));
  const double analysed_s = spec.on_s - std::min(checks.step().settle_s, spec.on_s / 2.0);
  const double fs = station.audio.sample_rate_hz;
  if (analysed_s * fs < static_cast<double>(dsp::kMinimumAnalysisFrames))
    checks.error("burst.on_s",
                 fmt("%g s", spec.on_s) + " leaves too little to analyse after settling");
  // Each burst must tell H2 from its fundamental, as a THD+N capture must.
  for (const double f : frequencies_hz) {
    if (2.0 * f >= fs / 2.0) continue;
    const auto needed = dsp::frames_resolving_harmonics(f, fs);
    if (analysed_s * fs < static_cast<double>(needed))
      checks.error("burst.on_s", fmt("%g s", spec.on_s) + " bursts leave " +
                                     fmt("%.3g s", analysed_s) + " to analyse: at " +
                                     fmt("%g Hz", f) + " H2 is told from the fundamental in " +
                                     fmt("%.3g s", static_cast<double>(needed) / fs));
  }
}

Burst play_sine_burst(StepContext& ctx, const BurstSpec& spec, const dsp::FrequencyBand& band,
                      double frequency_hz, double vin, double load_ohm) {
  ctx.check_abort();
  ctx.select_load(load_ohm);
  const auto total = static_cast<std::size_t>(std::llround(spec.on_s * ctx.fs()));
  const std::size_t settle = std::min(ctx.settle_frames(), total / 2);
  const auto x =
      ctx.steady({{frequency_hz, ctx.peak_fs_of_vrms(vin), 0.0}}, settle, total - settle);
  audio::AudioBuffer stimulus;
  stimulus.sample_rate_hz = ctx.fs();
  stimulus.channels.assign(static_cast<std::size_t>(ctx.bench().port->output_count()),
                           std::vector<double>(total, 0.0));
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) stimulus.channels[c] = x;
  const audio::Capture capture = ctx.bench().port->play_burst(stimulus, spec.duty);
  dsp::ToneAnalysisOptions options;
  options.fundamental_hz = frequency_hz;
  options.band = band;
  Burst b{vin, {}};
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
    const auto a = dsp::analyze_tone(
        std::span(capture.audio.channels[c]).subspan(settle, total - settle), ctx.fs(), options);
    if (!a.unresolved.empty())
      throw MeasurementError(a.unresolved + " (lengthen burst.on_s, or settle_s less)");
    b.channels.push_back({ctx.volts_at_dut_output(a.level_dbfs), a.thdn_pct(), a.thd_pct()});
  }
  return b;
}

}  // namespace ampbench::sequence
