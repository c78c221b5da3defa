// Step kind max_power: the output power at which THD+N (or THD) reaches the criterion,
// all channels driven, found with duty-limited bursts (or, with `headroom`, CEA-490
// dynamic headroom with its burst signal) that never exceed max_output_vrms or
// max_power_w; THD+N versus power along the search path.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

// The level search stops where this distortion reaches this value.
struct PowerCriterion {
  bool thd_only = false;  // THD (harmonics only) instead of THD+N
  double pct = 1.0;
};

struct BurstSpec {
  double on_s = 0.2;
  double duty = 0.0;  // 0: the station's max_burst_duty
};

struct MaxPowerParams : StepParams {
  dsp::FrequencyBand band = dsp::FrequencyBand::audio();
  PowerCriterion criterion;
  BurstSpec burst;
  std::optional<double> max_power_w;       // the search never drives beyond this
  std::optional<double> headroom_rated_w;  // CEA-490 dynamic headroom re this rating
  bool single_burst = false;  // one burst at stimulus.level: a rated-power check, no search
};

std::string fmt(const char* f, double v) {
  char b[160];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Distortion (re total, all harmonics) of a sine of amplitude r·Vc hard-clipped at ±Vc:
// with α = arcsin(1/r), b1 = (2A/π)(α + sin α cos α) and the mean square
// (2A²/π)(α/2 − sin 2α/4 + sin²α·(π/2 − α)).
double hard_clip_distortion(double r) {
  if (r <= 1.0) return 0.0;
  const double a = std::asin(1.0 / r);
  const double b1 = 2.0 / std::numbers::pi * (a + std::sin(a) * std::cos(a));
  const double ms = 2.0 / std::numbers::pi *
                    (a / 2.0 - std::sin(2.0 * a) / 4.0 +
                     std::sin(a) * std::sin(a) * (std::numbers::pi / 2.0 - a));
  return std::sqrt(std::max(ms - b1 * b1 / 2.0, 0.0) / ms);
}

// The overdrive r at which a hard clipper reaches `distortion` (bisection on r in 1..100).
double hard_clip_overdrive(double distortion) {
  double lo = 1.0, hi = 100.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = std::sqrt(lo * hi);
    (hard_clip_distortion(mid) < distortion ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

struct ChannelBurst {
  double vout = 0.0;
  double thdn_pct = 0.0;
  double thd_pct = 0.0;
};
struct Burst {
  double vin = 0.0;
  std::vector<ChannelBurst> channels;
};

// One duty-limited burst of a sine on every channel; the analysis covers the burst after
// its settle time (at most half the burst).
Burst steady_burst(StepContext& ctx, const MaxPowerParams& params, double frequency_hz, double vin,
                   double load_ohm) {
  ctx.check_abort();
  ctx.select_load(load_ohm);
  const auto total = static_cast<std::size_t>(std::llround(params.burst.on_s * ctx.fs()));
  const std::size_t settle = std::min(ctx.settle_frames(), total / 2);
  const auto x =
      ctx.steady({{frequency_hz, ctx.peak_fs_of_vrms(vin), 0.0}}, settle, total - settle);
  audio::AudioBuffer stimulus;
  stimulus.sample_rate_hz = ctx.fs();
  stimulus.channels.assign(static_cast<std::size_t>(ctx.bench().port->output_count()),
                           std::vector<double>(total, 0.0));
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) stimulus.channels[c] = x;
  const audio::Capture capture = ctx.bench().port->play_burst(stimulus, params.burst.duty);
  dsp::ToneAnalysisOptions options;
  options.fundamental_hz = frequency_hz;
  options.band = params.band;
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

// CEA-490 dynamic headroom signal: three periods of 480 ms at 20 dB below `vin`, then a
// 20 ms burst at `vin` (a whole number of cycles, so a rectangular window needs no
// leakage allowance). The last burst is analysed; the whole signal counts against the
// duty limit.
Burst headroom_burst(StepContext& ctx, const MaxPowerParams& params, double frequency_hz,
                     double vin, double load_ohm) {
  ctx.check_abort();
  ctx.select_load(load_ohm);
  const double cycles = std::max(1.0, std::round(0.020 * frequency_hz));
  const auto burst_frames =
      static_cast<std::size_t>(std::llround(cycles / frequency_hz * ctx.fs()));
  const auto quiet_frames = static_cast<std::size_t>(std::llround(0.480 * ctx.fs()));
  const double peak = ctx.peak_fs_of_vrms(vin);
  std::vector<double> x;
  for (int period = 0; period < 3; ++period) {
    // Both parts start at phase 0 and hold whole cycles of the rounded length: no steps.
    for (std::size_t i = 0; i < quiet_frames; ++i)
      x.push_back(0.1 * peak *
                  std::sin(2.0 * std::numbers::pi * frequency_hz * double(i) / ctx.fs()));
    for (std::size_t i = 0; i < burst_frames; ++i)
      x.push_back(peak *
                  std::sin(2.0 * std::numbers::pi * cycles * double(i) / double(burst_frames)));
  }
  audio::AudioBuffer stimulus;
  stimulus.sample_rate_hz = ctx.fs();
  stimulus.channels.assign(static_cast<std::size_t>(ctx.bench().port->output_count()),
                           std::vector<double>(x.size(), 0.0));
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) stimulus.channels[c] = x;
  const audio::Capture capture = ctx.bench().port->play_burst(stimulus, params.burst.duty);
  dsp::ToneAnalysisOptions options;
  options.fundamental_hz = cycles * ctx.fs() / double(burst_frames);
  options.band = params.band;
  options.window = dsp::WindowKind::rectangular;
  Burst b{vin, {}};
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
    const auto block =
        std::span(capture.audio.channels[c]).subspan(x.size() - burst_frames, burst_frames);
    const auto a = dsp::analyze_tone_spectrum(
        dsp::power_spectrum(block, ctx.fs(), dsp::WindowKind::rectangular, dsp::DcLevel::remove),
        options);
    if (!a.unresolved.empty())
      throw MeasurementError(a.unresolved + " (the 20 ms headroom burst is too short at " +
                             std::to_string(std::lround(frequency_hz)) + " Hz)");
    b.channels.push_back({ctx.volts_at_dut_output(a.level_dbfs), a.thdn_pct(), a.thd_pct()});
  }
  return b;
}

Burst burst(StepContext& ctx, const MaxPowerParams& params, double frequency_hz, double vin,
            double load_ohm) {
  return params.headroom_rated_w ? headroom_burst(ctx, params, frequency_hz, vin, load_ohm)
                                 : steady_burst(ctx, params, frequency_hz, vin, load_ohm);
}

// Each channel's figures at fraction u (in dB) of the way from burst a to burst b.
void report_power(StepContext& ctx, const MaxPowerParams& params, const Point& p,
                  std::vector<Burst> visited, const Burst& a, const Burst& b, double u,
                  double load) {
  const double f = *p.frequency_hz;
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
    const auto& ca = a.channels[c];
    const auto& cb = b.channels[c];
    const double va = dsp::amplitude_ratio_to_db(ca.vout), vb = dsp::amplitude_ratio_to_db(cb.vout);
    const double vout = dsp::db_to_amplitude_ratio(va + u * (vb - va));
    const auto& ch = ctx.channels()[c];
    if (params.headroom_rated_w) {
      ctx.add(ch, "burst_power_w", vout * vout / load, p.coordinates, f);
      ctx.add(ch, "dynamic_headroom_db",
              10.0 * std::log10(vout * vout / load / *params.headroom_rated_w), p.coordinates, f);
      continue;
    }
    ctx.add(ch, "power_w", vout * vout / load, p.coordinates, f);
    ctx.add(ch, "clip_vrms", vout, p.coordinates, f);
    ctx.add(ch, "thdn_pct",
            std::exp(std::log(ca.thdn_pct) + u * (std::log(cb.thdn_pct) - std::log(ca.thdn_pct))),
            p.coordinates, f);
    ctx.add(ch, "thd_pct",
            std::exp(std::log(std::max(ca.thd_pct, 1e-12)) +
                     u * (std::log(std::max(cb.thd_pct, 1e-12)) -
                          std::log(std::max(ca.thd_pct, 1e-12)))),
            p.coordinates, f);
  }
  std::sort(visited.begin(), visited.end(),
            [](const Burst& x, const Burst& y) { return x.vin < y.vin; });
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
    record::CurveRecord curve{
        ctx.channels()[c],
        params.headroom_rated_w ? "thdn_vs_burst_power_pct" : "thdn_vs_power_pct",
        "W",
        "%",
        {},
        {},
        p.coordinates};
    for (const auto& v : visited) {
      curve.x.push_back(v.channels[c].vout * v.channels[c].vout / load);
      curve.y.push_back(v.channels[c].thdn_pct);
    }
    ctx.add_curve(std::move(curve));
  }
}

// Maximum output power, all channels driven: the input level at which the worse
// channel's THD+N (or THD) reaches the criterion. Bracket it with +10 dB bursts, never
// beyond max_output_vrms or max_power_w, then close in (a jump along the hard-clipping
// curve while the low end is only noise, then regula falsi, Illinois, on ln(distortion)
// against level in dB) until the bracket is 0.1 dB wide; each channel's figures are
// interpolated to the criterion inside it.
void max_power(StepContext& ctx, const MaxPowerParams& params, const Point& p) {
  const double load = *p.load_ohm, f = *p.frequency_hz;
  const double criterion = params.criterion.pct;
  const auto metric_of = [&](const ChannelBurst& c) {
    return params.criterion.thd_only ? c.thd_pct : c.thdn_pct;
  };
  const auto metric = [&](const Burst& b) {
    double worst = 0.0;
    for (const auto& c : b.channels) worst = std::max(worst, metric_of(c));
    return worst;
  };
  const auto above = [&](const Burst& b) { return metric(b) >= criterion; };
  const auto db = [](double v) { return 20.0 * std::log10(v); };
  const std::string name = params.criterion.thd_only ? "THD" : "THD+N";
  std::vector<Burst> visited;
  const auto measure = [&](double vin) {
    visited.push_back(burst(ctx, params, f, vin, load));
    ctx.progress(static_cast<int>(visited.size()), 0);
    return visited.back();
  };
  const double max_in = ctx.station().safety.max_output_vrms;
  std::string why_stopped;
  // The next level up (+10 dB), held below max_output_vrms and max_power_w.
  const auto level_above = [&](const Burst& b) {
    double gain = 0.0;
    for (const auto& c : b.channels) gain = std::max(gain, c.vout / b.vin);
    double next = b.vin * dsp::db_to_amplitude_ratio(10.0);
    why_stopped = "the station's max_output_vrms";
    if (next > max_in) next = max_in;
    if (params.max_power_w && next * gain > std::sqrt(*params.max_power_w * load)) {
      next = std::sqrt(*params.max_power_w * load) / gain;
      why_stopped = fmt("max_power_w (%g W)", *params.max_power_w);
    }
    return next;
  };
  // Climb until a clean burst is followed by one at the criterion. Distortion that falls
  // as the level rises (noise, hum) is passed through; distortion that rises with no
  // clean burst yet means clipping from the start: then search below.
  std::optional<Burst> lo, hi, previous;
  Burst current =
      measure(std::min(p.level ? ctx.vrms_of(*p.level, load) : dsp::dbv_to_vrms(-20.0), max_in));
  bool below_start = false;
  for (;;) {
    if (!above(current)) {
      lo = current;
    } else if (lo) {
      hi = current;
      break;
    } else if (previous && metric(current) >= metric(*previous)) {
      below_start = true;
      break;
    }
    const double next = level_above(current);
    if (next <= current.vin * 1.0001) {
      if (lo) {
        // Below the criterion as far as it may be driven: what the amplifier delivered
        // there is a lower bound, and limits judge it as such.
        ctx.record().message = name + " stayed below " + fmt("%g %%", criterion) + " up to " +
                               why_stopped +
                               fmt(" (%.4g %%): power_w is a lower bound", metric(*lo));
        report_power(ctx, params, p, visited, *lo, *lo, 0.0, load);
        return;
      }
      below_start = true;
      break;
    }
    previous = current;
    current = measure(next);
  }
  if (below_start) {
    Burst lowest = *std::min_element(visited.begin(), visited.end(),
                                     [](const Burst& a, const Burst& b) { return a.vin < b.vin; });
    hi = lowest;
    while (above(lowest)) {
      if (visited.size() >= 8) {
        // Distorted at every level tried (a dead or broken channel): what it gives at
        // the lowest is an upper bound, and limits judge it as such.
        ctx.record().message = name + fmt(" above %g %% at every level down to ", criterion) +
                               fmt("%.3g Vrms in: power_w is an upper bound", lowest.vin);
        report_power(ctx, params, p, visited, lowest, lowest, 0.0, load);
        return;
      }
      hi = lowest;
      lowest = measure(lowest.vin / dsp::db_to_amplitude_ratio(10.0));
    }
    lo = lowest;
  }
  int same_side = 0;  // Illinois: halve the stale end's weight after two moves on one side
  double weight_lo = 1.0, weight_hi = 1.0;
  while (db(hi->vin / lo->vin) > 0.1 && visited.size() < 24) {
    const double xl = db(lo->vin), xh = db(hi->vin);
    const double yl = std::log(metric(*lo) / criterion) * weight_lo,
                 yh = std::log(metric(*hi) / criterion) * weight_hi;
    const double margin = std::min(0.02, (xh - xl) / 4.0);
    // While the low end shows only the noise floor, a secant through it lands far off.
    // Instead, read the high end's overdrive off the hard-clipping curve and jump to
    // where that curve meets the criterion; a soft clipper lands near it too.
    const bool floor_only = metric(*lo) < criterion / 5.0;
    const double jump = xh - dsp::amplitude_ratio_to_db(hard_clip_overdrive(metric(*hi) / 100.0) /
                                                        hard_clip_overdrive(criterion / 100.0));
    const double x =
        std::clamp(floor_only ? jump : xl - yl * (xh - xl) / (yh - yl), xl + margin, xh - margin);
    const Burst b = measure(dsp::db_to_amplitude_ratio(x));
    if (above(b)) {
      hi = b;
      weight_hi = 1.0;
      if (++same_side >= 2) weight_lo *= 0.5;
      if (same_side < 0) same_side = 1;
    } else {
      lo = b;
      weight_lo = 1.0;
      if (--same_side <= -2) weight_hi *= 0.5;
      if (same_side > 0) same_side = -1;
    }
    if (std::abs(std::log(metric(b) / criterion)) < 0.002) break;  // within 0.2 % of the criterion
  }
  const double yl = std::log(metric(*lo) / criterion), yh = std::log(metric(*hi) / criterion);
  report_power(ctx, params, p, visited, *lo, *hi,
               yh > yl ? std::clamp(-yl / (yh - yl), 0.0, 1.0) : 0.5, load);
}

// A production line's rated-power check: one burst at stimulus.level (the input that gives
// the rated power at nominal gain). power_w is the power that burst reached within the
// criterion; beyond the criterion there is no such power, and power_w is missing with the
// distortion it found, failing any limit on it. The maximum is not sought.
void rated_power(StepContext& ctx, const MaxPowerParams& params, const Point& p) {
  const double load = *p.load_ohm, f = *p.frequency_hz;
  const double vin = ctx.vrms_of(*p.level, load);
  const Burst b = burst(ctx, params, f, vin, load);
  const std::string name = params.criterion.thd_only ? "THD" : "THD+N";
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
    const auto& ch = ctx.channels()[c];
    const auto& cb = b.channels[c];
    const double watts = cb.vout * cb.vout / load;
    const double distortion = params.criterion.thd_only ? cb.thd_pct : cb.thdn_pct;
    if (distortion <= params.criterion.pct) {
      ctx.add(ch, "power_w", watts, p.coordinates, f);
      ctx.note_last("one burst at " + format_level(*p.level) +
                    ": the power reached within the criterion, not the maximum");
    } else {
      ctx.add_missing(ch, "power_w",
                      name + fmt(" %.3g %%", distortion) + fmt(" at %.3g W", watts) +
                          fmt(": the %g %% criterion is reached below ", params.criterion.pct) +
                          format_level(*p.level),
                      p.coordinates, f);
    }
    ctx.add(ch, "thdn_pct", cb.thdn_pct, p.coordinates, f);
    ctx.add(ch, "thd_pct", cb.thd_pct, p.coordinates, f);
  }
}

constexpr std::string_view kKeys[] = {"criterion", "burst",        "max_power_w",
                                      "headroom",  "single_burst", "band"};
constexpr MeasurementSpec kMeasurements[] = {{"power_w", "W"},
                                             {"clip_vrms", "V"},
                                             {"thdn_pct", "%"},
                                             {"thd_pct", "%"},
                                             {"dynamic_headroom_db", "dB"},
                                             {"burst_power_w", "W"}};
constexpr CurveSpec kCurves[] = {
    {"thdn_vs_power_pct", "THD+N versus output power", "Output power (W)", "THD+N (%)", true, true},
    {"thdn_vs_burst_power_pct", "THD+N of 20 ms bursts versus burst power", "Burst power (W)",
     "THD+N (%)", true, true}};

constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level};

class MaxPowerKind : public StepKindWith<MaxPowerParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "max_power"; }
  bool needs_station_alone(const StepPlan&, const Station& station) const override {
    return !station.slot_bursts_overlap;
  }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  MaxPowerParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                              const std::string& p) const override {
    MaxPowerParams s;
    try {
      if (auto b = r.string(t, "band", p)) s.band = dsp::parse_band(*b);
    } catch (const UsageError& e) {
      r.fail(&t, p, e.what());
    }
    if (const toml::table* c = r.table(t, "criterion", p, false)) {
      const std::string q = p + ".criterion";
      r.reject_unknown_keys(*c, q, {"thdn_pct", "thd_pct"});
      const auto thdn = r.number(*c, "thdn_pct", q), thd = r.number(*c, "thd_pct", q);
      if (thdn.has_value() == thd.has_value())
        r.fail(c, q, "give exactly one of thdn_pct or thd_pct");
      s.criterion = {thd.has_value(), thd ? *thd : *thdn};
      if (!(s.criterion.pct > 0.0 && s.criterion.pct <= 30.0))
        r.fail(c, q, "the criterion must be above 0 and at most 30 %");
    }
    if (const toml::table* b = r.table(t, "burst", p, false)) {
      const std::string q = p + ".burst";
      r.reject_unknown_keys(*b, q, {"on_s", "duty"});
      s.burst.on_s = r.number(*b, "on_s", q).value_or(s.burst.on_s);
      s.burst.duty = r.number(*b, "duty", q).value_or(0.0);
      if (s.burst.on_s < 0.02 || s.burst.on_s > 10.0)
        r.fail(b->get("on_s"), q + ".on_s", "must be 0.02 to 10 s");
      if (s.burst.duty < 0.0 || s.burst.duty > 1.0)
        r.fail(b->get("duty"), q + ".duty", "must be between 0 and 1");
    }
    if (const toml::table* h = r.table(t, "headroom", p, false)) {
      const std::string q = p + ".headroom";
      r.reject_unknown_keys(*h, q, {"rated_power_w"});
      s.headroom_rated_w = r.number(*h, "rated_power_w", q);
      if (!s.headroom_rated_w || !(*s.headroom_rated_w > 0.0))
        r.fail(h, q + ".rated_power_w", "a positive rated power is required");
    }
    s.single_burst = r.boolean(t, "single_burst", p).value_or(false);
    require(r, t,
            !s.single_burst || step.stimulus.level || step.sweeps_over(record::Dimension::level),
            p + "." + std::string(record::path_of(record::StimulusField::level)),
            "a single_burst max_power step bursts at this level");
    require(r, t, !s.single_burst || !s.headroom_rated_w, p + ".single_burst",
            "a single burst and the headroom search are different steps");
    s.max_power_w = r.number(t, "max_power_w", p);
    if (s.max_power_w && !(*s.max_power_w > 0.0))
      r.fail(t.get("max_power_w"), p + ".max_power_w", "must be positive");
    require(r, t, step.stimulus.frequency_hz || step.sweeps_over(record::Dimension::frequency),
            p + "." + std::string(record::path_of(record::StimulusField::frequency_hz)),
            "required for a max_power step");
    require(r, t, step.load_ohm.has_value(), p + ".load_ohm",
            "a max_power step needs the load it measures into");
    return s;
  }

  void check_params(StepChecks& checks, const MaxPowerParams& params) const override {
    const auto& station = checks.station();
    if (params.burst.duty > station.safety.max_burst_duty)
      checks.error("burst.duty", fmt("%g", params.burst.duty) +
                                     " exceeds the station's max_burst_duty of " +
                                     fmt("%g", station.safety.max_burst_duty));
    const double analysed_s =
        params.burst.on_s - std::min(checks.step().settle_s, params.burst.on_s / 2.0);
    const double fs = station.audio.sample_rate_hz;
    if (analysed_s * fs < static_cast<double>(dsp::kMinimumAnalysisFrames))
      checks.error("burst.on_s",
                   fmt("%g s", params.burst.on_s) + " leaves too little to analyse after settling");
    // Each burst must tell H2 from its fundamental, as a THD+N capture must.
    for (const auto& p : expand_points(checks.step())) {
      if (!p.frequency_hz || 2.0 * *p.frequency_hz >= fs / 2.0) continue;
      const auto needed = dsp::frames_resolving_harmonics(*p.frequency_hz, fs);
      if (analysed_s * fs < static_cast<double>(needed))
        checks.error("burst.on_s", fmt("%g s", params.burst.on_s) + " bursts leave " +
                                       fmt("%.3g s", analysed_s) + " to analyse: at " +
                                       fmt("%g Hz", *p.frequency_hz) + " H2 is told from the " +
                                       "fundamental in " +
                                       fmt("%.3g s", static_cast<double>(needed) / fs));
    }
  }

  void run(StepContext& ctx, const MaxPowerParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    if (params.single_burst)
      rated_power(ctx, params, p);
    else
      max_power(ctx, params, p);
  }
};

}  // namespace

const StepKind& max_power_step_kind() {
  static const MaxPowerKind kind;
  return kind;
}

}  // namespace ampbench::sequence
