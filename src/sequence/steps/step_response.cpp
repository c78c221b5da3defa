// Step kind step_response: a band-limited square wave at stimulus.frequency_hz (its period a
// whole number of samples), peak `level` at the DUT input (a square's rms is its peak), on
// every channel. Each output's periods are averaged and its edges read (dsp/edge.hpp): rise
// time 10–90 %, slew rate, overshoot, and the averaged period as a curve. The stimulus's own
// edge is read the same way: a slew rate the DUT's gain times that is the stimulus's, a bound.
#include <cmath>
#include <limits>
#include <numbers>

#include "dsp/edge.hpp"
#include "record/point_words.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

struct StepResponseParams : StepParams {
  double band_hz = 0.0;  // 0: 0.45·fs
};

constexpr std::string_view kKeys[] = {"band_hz"};
constexpr MeasurementSpec kMeasurements[] = {
    {"slew_rate_v_per_us", "V/us"}, {"rise_time_us", "us"}, {"overshoot_pct", "%"}};
constexpr CurveSpec kCurves[] = {
    {"step_response_v", "Step response (one period)", "Time (µs)", "Output (V)", false, false}};
constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level};
// A capture whose step is not this far above its noise (re the rms about the settled levels
// of what lies near them) has no edge to read.
constexpr double kMinStepToNoise = 10.0;

class StepResponseKind : public StepKindWith<StepResponseParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "step_response"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  nlohmann::json conditions_of(const StepResponseParams& params) const override {
    if (params.band_hz <= 0.0) return {{"band", "square to 0.45·fs"}};
    return {{"band", "square to " + record::frequency_in_words(params.band_hz)}};
  }

  StepResponseParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                                  const std::string& p) const override {
    StepResponseParams params;
    params.band_hz = r.number(t, "band_hz", p).value_or(0.0);
    if (t.get("band_hz") && !(params.band_hz > 0.0))
      r.fail(t.get("band_hz"), p + ".band_hz", "must be positive");
    require(r, t, step.stimulus.frequency_hz || step.sweeps_over(record::Dimension::frequency),
            p + ".stimulus.frequency_hz", "required for a step_response step (the square's rate)");
    require(r, t, step.stimulus.level || step.sweeps_over(record::Dimension::level),
            p + ".stimulus.level", "required for a step_response step (the square's peak)");
    return params;
  }

  void check_params(StepChecks& checks, const StepResponseParams& params) const override {
    const double fs = checks.station().audio.sample_rate_hz;
    if (params.band_hz > 0.45 * fs)
      checks.error("band_hz",
                   "above 0.45 of the sample rate: the interface's own filter "
                   "would shape the edge");
    if (checks.step().stimulus.source == StimulusSource::generator)
      checks.error(record::StimulusField::source,
                   "a step response needs the interface's own output (the generator plays sines)");
  }

  void run(StepContext& ctx, const StepResponseParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    const double fs = ctx.fs();
    const auto period = static_cast<std::size_t>(std::max(8.0, std::round(fs / *p.frequency_hz)));
    const double fundamental_hz = fs / static_cast<double>(period);
    const double band_hz = params.band_hz > 0.0 ? params.band_hz : 0.45 * fs;
    const double peak_v = ctx.vrms_of(*p.level, p.load_ohm);
    std::vector<dsp::Tone> tones;
    for (const auto& h : dsp::band_limited_square(fundamental_hz, band_hz))
      tones.push_back({fundamental_hz * h.number,
                       ctx.peak_fs_of_vrms(peak_v) / std::sqrt(2.0) * h.amplitude, 0.0});
    const auto signal = ctx.steady(tones);
    const std::vector<std::vector<double>> x(ctx.channels().size(), signal);
    const auto capture = ctx.play(x, signal.size(), p.load_ohm);
    // The stimulus's own edge (in full scale: only its slope re its step counts).
    std::vector<double> one_period(period);
    for (std::size_t i = 0; i < period; ++i)
      for (const auto& t : tones)
        one_period[i] += t.amplitude_peak_fs * std::sin(2.0 * std::numbers::pi * t.frequency_hz *
                                                        static_cast<double>(i) / fs);
    const auto stimulus = dsp::analyze_edge(one_period, fs);
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto& ch = ctx.channels()[c];
      auto mean = dsp::period_average(ctx.analysed(capture, c), period);
      for (double& v : mean) v = ctx.dc_volts_at_dut_output(v);
      const auto e = dsp::analyze_edge(mean, fs);
      const double step = e.high - e.low;
      if (!(std::abs(step) * kMinStepToNoise > residual_rms(mean, e)) ||
          !std::isfinite(e.rise_time_s)) {
        for (const auto& m : kMeasurements)
          ctx.add_missing(
              ch, std::string(m.name),
              "no square stands out of the noise at the output (no signal came through)",
              p.coordinates, p.frequency_hz);
        continue;
      }
      // The mean slope from 10 % to 90 %: a slew-limited ramp's own slope, whatever rings at
      // its corners.
      const double slew = 0.8 * std::abs(step) / e.rise_time_s * 1e-6;
      ctx.add(ch, "slew_rate_v_per_us", slew, p.coordinates, p.frequency_hz);
      // Within 10 % of the stimulus's own edge: the edge is the stimulus's, the DUT's slew
      // rate at least this.
      if (e.rise_time_s < 1.1 * stimulus.rise_time_s)
        ctx.bound_last(record::BoundSide::lower,
                       "a bound (at least): the stimulus's own edge (square to " +
                           record::frequency_in_words(band_hz) + ") is this steep");
      ctx.add(ch, "rise_time_us", e.rise_time_s * 1e6, p.coordinates, p.frequency_hz);
      ctx.add(ch, "overshoot_pct", e.overshoot_pct, p.coordinates, p.frequency_hz);
      record::CurveRecord curve{ch, "step_response_v", "us", "V", {}, {}, p.coordinates, {}};
      for (std::size_t i = 0; i < e.t_s.size(); i += dsp::kEdgeOversampling / 4) {
        curve.x.push_back(e.t_s[i] * 1e6);
        curve.y.push_back(e.v[i]);
      }
      ctx.add_curve(std::move(curve));
    }
  }

 private:
  // The rms of the averaged period's samples away from its edges, about their level: noise.
  static double residual_rms(const std::vector<double>& mean, const dsp::EdgeFigures& e) {
    double sum = 0.0;
    std::size_t n = 0;
    const double middle = 0.5 * (e.high + e.low);
    for (double v : mean) {
      const double settled = v > middle ? e.high : e.low;
      if (std::abs(v - settled) < 0.05 * std::abs(e.high - e.low) || e.high == e.low) {
        sum += (v - settled) * (v - settled);
        ++n;
      }
    }
    return n ? std::sqrt(sum / static_cast<double>(n)) : std::numeric_limits<double>::infinity();
  }
};

}  // namespace

const StepKind& step_response_step_kind() {
  static const StepResponseKind kind;
  return kind;
}

}  // namespace ampbench::sequence
