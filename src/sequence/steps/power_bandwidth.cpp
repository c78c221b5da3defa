// Step kind power_bandwidth (SPEC §17; IEC 60268-3's power bandwidth): the frequencies below
// and above a reference where the amplifier still delivers half its rated power within the
// distortion criterion, every channel driven by duty-limited bursts. The walk steps half
// an octave at a time from the reference until each channel fails, then halves each
// channel's bracket to 0.5 %; the edge is where log distortion crosses the criterion
// between the bracket's ends. Distortion at half the rated power versus frequency is a curve.
#include <algorithm>
#include <cmath>
#include <map>

#include "common/error.hpp"
#include "common/text.hpp"
#include "dsp/dsp.hpp"
#include "record/point_words.hpp"
#include "sequence/distortion_criterion.hpp"
#include "sequence/power_burst.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

struct PowerBandwidthParams : StepParams {
  double rated_power_w = 0.0;
  DistortionCriterion criterion;
  dsp::FrequencyBand band = dsp::FrequencyBand::full();
  BurstSpec burst;
  double from_hz = 10.0;
  std::optional<double> to_hz;  // default: where the 3rd harmonic leaves the band
};

constexpr double kReferenceHz = 1000.0;
constexpr double kWalkStepOctaves = 0.5;
constexpr double kEdgeRatio = 1.005;        // a bracket this narrow is done
constexpr double kLevelToleranceDb = 0.05;  // half the rated power within this
constexpr int kLevelBursts = 4;             // at most, to set the level at one frequency

// Symmetric clipping and slewing show first in the 3rd harmonic: above a third of the band's
// top a distorting amplifier reads as clean.
double highest_judged_hz(const dsp::FrequencyBand& band, double fs) {
  return std::min(band.high_hz, fs / 2.0) / 3.0;
}

// What one frequency gave at (or as near as the drive allows) half the rated power.
struct AtFrequency {
  double frequency_hz = 0.0;
  std::vector<double> distortion_pct;  // by channel, as the criterion counts it
  bool drive_limited = false;          // the station's max_output_vrms held it below
};

class Walk {
 public:
  Walk(StepContext& ctx, const PowerBandwidthParams& params, double load_ohm)
      : ctx_(ctx),
        params_(params),
        load_ohm_(load_ohm),
        target_vout_(std::sqrt(params.rated_power_w / 2.0 * load_ohm)),
        vin_(std::min(dsp::dbv_to_vrms(-20.0), ctx.station().safety.max_output_vrms)) {}

  bool passes(const AtFrequency& a, std::size_t channel) const {
    return a.distortion_pct[channel] <= params_.criterion.pct;
  }

  // Bursts at f until every channel's output is within kLevelToleranceDb of half the rated
  // power on average (the input scaled by the geometric mean of target over output).
  const AtFrequency& at(double f) {
    if (auto it = cache_.find(f); it != cache_.end()) return it->second;
    const double max_vin = ctx_.station().safety.max_output_vrms;
    BurstSpec spec = params_.burst;
    // Low frequencies lengthen the burst until its analysed part tells H2 from the tone: the
    // settle time (at most half the burst) and that much after it.
    const double needed_s =
        static_cast<double>(dsp::frames_resolving_harmonics(f, ctx_.fs())) / ctx_.fs();
    const double settle_s = static_cast<double>(ctx_.settle_frames()) / ctx_.fs();
    spec.on_s = std::max(spec.on_s, (needed_s + settle_s) * 1.02);
    AtFrequency a{f, {}, false};
    for (int i = 0; i < kLevelBursts; ++i) {
      const Burst b = play_sine_burst(ctx_, spec, params_.band, f, vin_, load_ohm_);
      ctx_.progress(static_cast<int>(++bursts_), 0);
      a.distortion_pct.clear();
      double log_error = 0.0;
      for (const auto& c : b.channels) {
        a.distortion_pct.push_back(params_.criterion.thd_only ? c.thd_pct : c.thdn_pct);
        log_error += std::log(target_vout_ / c.vout) / static_cast<double>(b.channels.size());
      }
      if (std::abs(dsp::amplitude_ratio_to_db(std::exp(log_error))) <= kLevelToleranceDb) break;
      const double next = std::min(vin_ * std::exp(log_error), max_vin);
      a.drive_limited = next >= max_vin && log_error > 0.0;
      if (a.drive_limited && vin_ >= max_vin) break;
      vin_ = next;
    }
    return cache_.emplace(f, std::move(a)).first->second;
  }

  const std::map<double, AtFrequency>& visited() const { return cache_; }
  double criterion_pct() const { return params_.criterion.pct; }

 private:
  StepContext& ctx_;
  const PowerBandwidthParams& params_;
  double load_ohm_;
  double target_vout_;
  double vin_;
  std::size_t bursts_ = 0;
  std::map<double, AtFrequency> cache_;
};

struct Edge {
  std::optional<double> hz;
  record::BoundSide bound = record::BoundSide::none;  // an edge the walk did not find
  std::string note;                                   // what the bound means
};

// From the reference towards `limit_hz`, half an octave a step, until every channel has
// failed; each channel's bracket then halved to kEdgeRatio.
std::vector<Edge> find_edges(Walk& walk, double reference_hz, double limit_hz,
                             std::size_t channels) {
  const bool up = limit_hz > reference_hz;
  std::vector<double> path{reference_hz};
  while (path.back() != limit_hz) {
    const double next = path.back() * std::exp2(up ? kWalkStepOctaves : -kWalkStepOctaves);
    path.push_back(up ? std::min(next, limit_hz) : std::max(next, limit_hz));
    const auto& a = walk.at(path.back());
    bool all_failed = true;
    for (std::size_t c = 0; c < channels; ++c) all_failed = all_failed && !walk.passes(a, c);
    if (all_failed || a.drive_limited) break;
  }
  std::vector<Edge> edges(channels);
  for (std::size_t c = 0; c < channels; ++c) {
    std::size_t fail = 1;
    while (fail < path.size() && walk.passes(walk.at(path[fail]), c)) ++fail;
    if (fail == path.size()) {
      const auto& last = walk.at(path.back());
      edges[c] = {
          path.back(), up ? record::BoundSide::lower : record::BoundSide::upper,
          std::string(up ? "a bound (at least)" : "a bound (at most)") +
              (last.drive_limited ? ": the station's max_output_vrms stops the walk here"
                                  : ": half the rated power is delivered as far as the walk goes")};
      continue;
    }
    double good = path[fail - 1], bad = path[fail];
    while (std::max(good, bad) / std::min(good, bad) > kEdgeRatio) {
      const double middle = std::sqrt(good * bad);
      (walk.passes(walk.at(middle), c) ? good : bad) = middle;
    }
    // Log distortion against log frequency, straight between the bracket's ends.
    const double dg = std::log(std::max(walk.at(good).distortion_pct[c], 1e-12));
    const double db = std::log(walk.at(bad).distortion_pct[c]);
    const double u =
        db > dg ? std::clamp((std::log(walk.criterion_pct()) - dg) / (db - dg), 0.0, 1.0) : 0.5;
    edges[c] = {std::exp(std::log(good) + u * (std::log(bad) - std::log(good))),
                record::BoundSide::none, ""};
  }
  return edges;
}

constexpr std::string_view kKeys[] = {"rated_power_w", "criterion", "band",
                                      "burst",         "from_hz",   "to_hz"};
constexpr MeasurementSpec kMeasurements[] = {{"power_bandwidth_low_hz", "Hz"},
                                             {"power_bandwidth_high_hz", "Hz"}};
constexpr CurveSpec kCurves[] = {
    {"distortion_at_half_power_pct", "Distortion at half the rated power versus frequency",
     "Frequency (Hz)", "THD+N, or THD as the criterion says (%)", true, true}};
constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz};

class PowerBandwidthKind : public StepKindWith<PowerBandwidthParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "power_bandwidth"; }
  bool needs_station_alone(const StepPlan&, const Station& station) const override {
    return !station.slot_bursts_overlap;
  }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  nlohmann::json conditions_of(const PowerBandwidthParams& params) const override {
    return {{"criterion",
             "at " + params.criterion.in_words() + fmt(", half of %g W", params.rated_power_w)},
            {"band", band_in_words(params.band)}};
  }

  PowerBandwidthParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                                    const std::string& p) const override {
    PowerBandwidthParams s;
    parse_burst_judgement(r, t, p, s.band, s.criterion, s.burst);
    const auto rated = r.number(t, "rated_power_w", p);
    if (!rated || !(*rated > 0.0))
      r.fail(rated ? t.get("rated_power_w") : &t, p + ".rated_power_w",
             "a power_bandwidth step needs the rated power (W) it drives half of");
    s.rated_power_w = *rated;
    s.from_hz = r.number(t, "from_hz", p).value_or(s.from_hz);
    if (!(s.from_hz > 0.0)) r.fail(t.get("from_hz"), p + ".from_hz", "must be positive");
    s.to_hz = r.number(t, "to_hz", p);
    const double reference = step.stimulus.frequency_hz.value_or(kReferenceHz);
    if (!(s.from_hz < reference))
      r.fail(t.get("from_hz"), p + ".from_hz", "must lie below the reference frequency");
    if (s.to_hz && !(*s.to_hz > reference))
      r.fail(t.get("to_hz"), p + ".to_hz", "must lie above the reference frequency");
    require(r, t, step.load_ohm.has_value(), p + ".load_ohm",
            "a power_bandwidth step needs the load it measures into");
    require(r, t, !step.sweeps_over(record::Dimension::frequency), p + ".sweep",
            "a power_bandwidth step walks the frequencies itself (stimulus.frequency_hz is its "
            "reference)");
    return s;
  }

  void check_params(StepChecks& checks, const PowerBandwidthParams& params) const override {
    const double fs = checks.station().audio.sample_rate_hz;
    const double reference = checks.step().stimulus.frequency_hz.value_or(kReferenceHz);
    check_burst_spec(checks, params.burst, {reference});
    const double top = highest_judged_hz(params.band, fs);
    if (params.to_hz && *params.to_hz > top)
      checks.error("to_hz", fmt("%g Hz", *params.to_hz) + ": above " + fmt("%.4g Hz", top) +
                                " a tone's 3rd harmonic lies beyond the analysis band (to " +
                                fmt("%.4g Hz", 3.0 * top) +
                                "), where slewing and clipping are not seen");
    if (!params.to_hz && !(top > reference))
      checks.error("band", "the analysis band leaves nothing above the reference to judge");
  }

  void run(StepContext& ctx, const PowerBandwidthParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    const double load = *p.load_ohm;
    const double reference = p.frequency_hz.value_or(kReferenceHz);
    const double top = params.to_hz.value_or(highest_judged_hz(params.band, ctx.fs()));
    const std::size_t channels = ctx.channels().size();
    Walk walk(ctx, params, load);
    const auto& at_reference = walk.at(reference);
    std::vector<Edge> low(channels), high(channels);
    std::vector<bool> reaches(channels, true);
    bool any = false;
    for (std::size_t c = 0; c < channels; ++c) {
      reaches[c] = walk.passes(at_reference, c) && !at_reference.drive_limited;
      any = any || reaches[c];
    }
    if (any) {
      low = find_edges(walk, reference, params.from_hz, channels);
      high = find_edges(walk, reference, top, channels);
    }
    const double half_w = params.rated_power_w / 2.0;
    for (std::size_t c = 0; c < channels; ++c) {
      const auto& ch = ctx.channels()[c];
      if (!reaches[c]) {
        const std::string why =
            at_reference.drive_limited && walk.passes(at_reference, c)
                ? fmt("half the rated power (%g W) is beyond the station's max_output_vrms at ",
                      half_w) +
                      record::frequency_in_words(reference)
                : std::string(params.criterion.name()) +
                      fmt(" %.3g %%", at_reference.distortion_pct[c]) +
                      fmt(" at half the rated power (%g W) at ", half_w) +
                      record::frequency_in_words(reference) +
                      fmt(": beyond the %g %% criterion at the reference itself",
                          params.criterion.pct);
        ctx.add_missing(ch, "power_bandwidth_low_hz", why, p.coordinates);
        ctx.add_missing(ch, "power_bandwidth_high_hz", why, p.coordinates);
        continue;
      }
      for (const auto& [name, edge] : {std::pair{"power_bandwidth_low_hz", low[c]},
                                       std::pair{"power_bandwidth_high_hz", high[c]}}) {
        ctx.add(ch, name, *edge.hz, p.coordinates);
        if (edge.bound != record::BoundSide::none) ctx.bound_last(edge.bound, edge.note);
      }
    }
    for (std::size_t c = 0; c < channels; ++c) {
      record::CurveRecord curve{
          ctx.channels()[c], "distortion_at_half_power_pct", "Hz", "%", {}, {}, p.coordinates};
      for (const auto& [f, a] : walk.visited()) {
        curve.x.push_back(f);
        curve.y.push_back(a.distortion_pct[c]);
      }
      ctx.add_curve(std::move(curve));
    }
  }
};

}  // namespace

const StepKind& power_bandwidth_step_kind() {
  static const PowerBandwidthKind kind;
  return kind;
}

}  // namespace ampbench::sequence
