// Step kind max_power: the output power at which THD+N (or THD) reaches the criterion,
// all channels driven, found with duty-limited bursts (or, with `headroom`, CEA-490
// dynamic headroom with its burst signal) that never exceed max_output_vrms or
// max_power_w; THD+N versus power along the search path.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "common/error.hpp"
#include "common/text.hpp"
#include "dsp/dsp.hpp"
#include "record/point_words.hpp"
#include "sequence/distortion_criterion.hpp"
#include "sequence/power_burst.hpp"
#include "sequence/power_search.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

struct MaxPowerParams : StepParams {
  // Clipping is seen by its harmonics: all the capture holds, unless the step narrows it
  // (a 10 kHz tone has none below 20 kHz).
  dsp::FrequencyBand band = dsp::FrequencyBand::full();
  DistortionCriterion criterion;
  BurstSpec burst;
  std::optional<double> max_power_w;       // the search never drives beyond this
  std::optional<double> headroom_rated_w;  // CEA-490 dynamic headroom re this rating
  bool single_burst = false;  // one burst at stimulus.level: a rated-power check, no search
};

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
  return params.headroom_rated_w
             ? headroom_burst(ctx, params, frequency_hz, vin, load_ohm)
             : play_sine_burst(ctx, params.burst, params.band, frequency_hz, vin, load_ohm);
}

// Each channel's figures at fraction u (in dB) of the way from burst a to burst b; where the
// search ended on a bound (`bound`, `why`), its power figures are that bound.
void report_power(StepContext& ctx, const MaxPowerParams& params, const Point& p,
                  std::vector<Burst> visited, const Burst& a, const Burst& b, double u, double load,
                  record::BoundSide bound, const std::string& why) {
  const double f = *p.frequency_hz;
  const auto add_power = [&](const std::string& ch, const char* name, double value) {
    ctx.add(ch, name, value, p.coordinates, f);
    if (bound != record::BoundSide::none) ctx.bound_last(bound, why);
  };
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
    const auto& ca = a.channels[c];
    const auto& cb = b.channels[c];
    const double va = dsp::amplitude_ratio_to_db(ca.vout), vb = dsp::amplitude_ratio_to_db(cb.vout);
    const double vout = dsp::db_to_amplitude_ratio(va + u * (vb - va));
    const auto& ch = ctx.channels()[c];
    if (params.headroom_rated_w) {
      add_power(ch, "burst_power_w", vout * vout / load);
      add_power(ch, "dynamic_headroom_db",
                10.0 * std::log10(vout * vout / load / *params.headroom_rated_w));
      continue;
    }
    add_power(ch, "power_w", vout * vout / load);
    add_power(ch, "clip_vrms", vout);
    ctx.add(ch, "thdn_pct",
            std::exp(std::log(ca.thdn_pct) + u * (std::log(cb.thdn_pct) - std::log(ca.thdn_pct))),
            p.coordinates, f);
    if (!std::isfinite(ca.thd_pct) || !std::isfinite(cb.thd_pct))
      ctx.add_missing(ch, "thd_pct",
                      "no harmonic of " + record::frequency_in_words(f) +
                          " lies within the analysis band (to " +
                          record::frequency_in_words(std::min(params.band.high_hz, ctx.fs() / 2)) +
                          ")",
                      p.coordinates, f);
    else
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

// Maximum output power, all channels driven (power_search.hpp): each burst through the
// station, the figures where the search ends.
void max_power(StepContext& ctx, const MaxPowerParams& params, const Point& p) {
  const double load = *p.load_ohm, f = *p.frequency_hz;
  PowerSearchSettings settings;
  settings.criterion_pct = params.criterion.pct;
  settings.thd_only = params.criterion.thd_only;
  settings.max_vin = ctx.station().safety.max_output_vrms;
  settings.start_vin =
      std::min(p.level ? ctx.vrms_of(*p.level, load) : dsp::dbv_to_vrms(-20.0), settings.max_vin);
  settings.max_power_w = params.max_power_w;
  settings.load_ohm = load;
  std::size_t bursts = 0;
  const auto result = search_max_power(settings, [&](double vin) {
    auto b = burst(ctx, params, f, vin, load);
    ctx.progress(static_cast<int>(++bursts), 0);
    return b;
  });
  std::string message = result.message;
  // Symmetric clipping shows first in the 3rd harmonic: beyond the band, a clipping
  // amplifier reads as clean, and the bound says so.
  const double band_top = std::min(params.band.high_hz, ctx.fs() / 2);
  if (result.found == PowerSearchResult::Found::lower_bound && 3.0 * f >= band_top)
    message += " (its 3rd harmonic, " + record::frequency_in_words(3.0 * f) +
               ", lies beyond the analysis band, to " + record::frequency_in_words(band_top) +
               ": clipping there is not seen)";
  if (!message.empty()) ctx.record().message = message;
  const auto bound =
      result.found == PowerSearchResult::Found::lower_bound   ? record::BoundSide::lower
      : result.found == PowerSearchResult::Found::upper_bound ? record::BoundSide::upper
                                                              : record::BoundSide::none;
  report_power(ctx, params, p, result.visited, result.lo, result.hi, result.at, load, bound,
               message);
}

// A production line's rated-power check: one burst at stimulus.level (the input that gives
// the rated power at nominal gain). power_w is the power that burst reached within the
// criterion; beyond the criterion there is no such power, and power_w is missing with the
// distortion it found, failing any limit on it. The maximum is not sought.
void rated_power(StepContext& ctx, const MaxPowerParams& params, const Point& p) {
  const double load = *p.load_ohm, f = *p.frequency_hz;
  const double vin = ctx.vrms_of(*p.level, load);
  const Burst b = burst(ctx, params, f, vin, load);
  const std::string name = params.criterion.name();
  for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
    const auto& ch = ctx.channels()[c];
    const auto& cb = b.channels[c];
    const double watts = cb.vout * cb.vout / load;
    const double distortion = params.criterion.thd_only ? cb.thd_pct : cb.thdn_pct;
    if (distortion <= params.criterion.pct) {
      ctx.add(ch, "power_w", watts, p.coordinates, f);
      ctx.bound_last(record::BoundSide::lower,
                     "a bound (at least): one burst at " + format_level(*p.level) +
                         " reached it within the criterion; the maximum was not sought");
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
  std::string_view why_not_read(record::StimulusField field) const override {
    return field == record::StimulusField::output_level
               ? "finding the input for an output power takes a steady tone at that power, what "
                 "its duty-limited bursts exist to avoid; its search finds the power (max_power_w "
                 "caps it), single_burst checks one burst at stimulus.level"
               : "";
  }
  bool needs_station_alone(const StepPlan&, const Station& station) const override {
    return !station.slot_bursts_overlap;
  }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  nlohmann::json conditions_of(const MaxPowerParams& params) const override {
    return {{"criterion", "at " + params.criterion.in_words()},
            {"band", band_in_words(params.band)}};
  }

  MaxPowerParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                              const std::string& p) const override {
    MaxPowerParams s;
    parse_burst_judgement(r, t, p, s.band, s.criterion, s.burst);
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
    std::vector<double> frequencies_hz;
    for (const auto& p : expand_points(checks.step()))
      if (p.frequency_hz) frequencies_hz.push_back(*p.frequency_hz);
    check_burst_spec(checks, params.burst, frequencies_hz);
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
