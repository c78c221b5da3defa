// Step kinds level and thdn: a sine (stepped over any sweep) on every channel, each output
// analysed. level: gain, level, frequency, the DC offset and the L − R balance; thdn: THD+N, THD,
// SINAD and SNR too, the spectrum of the last point, and THD+N versus output level over a
// sweep, which may stop at a distortion criterion (stop_when.hpp).
#include <algorithm>

#include "audio/audio_port.hpp"
#include "dsp/dsp.hpp"
#include "sequence/output_level.hpp"
#include "sequence/step_context.hpp"
#include "sequence/steps/families.hpp"
#include "sequence/steps/stop_when.hpp"

namespace ampbench::sequence {
namespace {

struct ToneParams : ToneSettingsParams {
  std::optional<DistortionCriterion> stop_when;  // thdn only
};

constexpr std::string_view kKeys[] = {"thdn_method", "weighting", "band"};
constexpr std::string_view kThdnKeys[] = {"thdn_method", "weighting", "band", "stop_when"};

constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level,
                                                     record::StimulusField::output_level};

class ToneKind : public StepKindWith<ToneParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::span<const std::string_view> keys() const override { return kKeys; }
  bool generator_drives(const ToneParams&) const override { return true; }

 protected:
  ToneParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                          const std::string& field) const override {
    ToneParams params;
    static_cast<ToneSettingsParams&>(params) = parse_tone_step(r, t, step, field);
    const auto keys = this->keys();
    if (std::find(keys.begin(), keys.end(), "stop_when") != keys.end())
      params.stop_when = parse_stop_when(r, t, step, field);
    return params;
  }

  // with_spectrum: keep the spectrum of this point as a curve. At an output level, the capture
  // that met the request is the one analysed; a level the DUT cannot reach ends the sweep of
  // its condition (the runner skips the higher points) without an error.
  void measure(StepContext& ctx, const ToneParams& params, const Point& p,
               bool with_spectrum) const {
    std::vector<ChannelTone> tones;
    std::vector<double> vin;
    if (p.output_level) {
      auto found = capture_tones_at_output(ctx, p, *p.frequency_hz, params.analysis, with_spectrum);
      if (!found.unreachable.empty()) {
        ctx.end_condition(p, found.unreachable, found.unreachable_by_bench);
        return;
      }
      tones = std::move(found.tones);
      vin = std::move(found.vin);
    } else {
      vin.assign(ctx.channels().size(), ctx.vrms_of(*p.level, p.load_ohm));
      try {
        tones = ctx.capture_tones(*p.frequency_hz, vin, p.load_ohm, params.analysis, with_spectrum);
      } catch (const audio::InputClippedError& e) {
        // Over a level sweep the interface's headroom ends that condition's sweep, not the
        // step: its other conditions still measure.
        if (!ctx.step().sweeps_over(record::Dimension::level)) throw;
        ctx.end_condition(p, std::string("the interface's input clips first (") + e.what() + ")",
                          true);
        return;
      }
    }
    store(ctx, p, vin, tones, with_spectrum);
    if (params.stop_when)
      follow_criterion(
          ctx, *params.stop_when, p, params.analysis, vin, tones,
          [&](const Point& q, const std::vector<double>& q_vin, std::vector<ChannelTone>& q_tones) {
            store(ctx, q, q_vin, q_tones, false);
          });
  }
  // A point's figures on every channel from its inputs and analysed outputs.
  void store(StepContext& ctx, const Point& p, const std::vector<double>& vin,
             std::vector<ChannelTone>& tones, bool with_spectrum) const {
    for (std::size_t c = 0; c < tones.size(); ++c) {
      auto& t = tones[c];
      const auto& ch = ctx.channels()[c];
      if (with_spectrum) {
        t.spectrum.channel = ch;
        for (const auto& [key, value] : p.coordinates.items()) t.spectrum.point[key] = value;
        ctx.add_curve(std::move(t.spectrum));
      }
      ctx.add(ch, "gain_db", dsp::amplitude_ratio_to_db(t.vrms_out / vin[c]), p.coordinates,
              p.frequency_hz);
      ctx.add(ch, "level_dbv", dsp::vrms_to_dbv(t.vrms_out), p.coordinates, p.frequency_hz);
      ctx.add(ch, "level_vrms", t.vrms_out, p.coordinates, p.frequency_hz);
      if (p.load_ohm)
        ctx.add(ch, "power_w", t.vrms_out * t.vrms_out / *p.load_ohm, p.coordinates,
                p.frequency_hz);
      if (p.output_level)
        ctx.add(ch, "input_level_dbv", dsp::vrms_to_dbv(vin[c]), p.coordinates, p.frequency_hz);
      figures(ctx, ch, t, p);
    }
  }
  virtual void figures(StepContext& ctx, const std::string& channel, const ChannelTone& tone,
                       const Point& p) const = 0;
};

constexpr MeasurementSpec kLevelMeasurements[] = {
    {"gain_db", "dB"},      {"level_dbv", "dBV"}, {"level_vrms", "V"},
    {"frequency_hz", "Hz"}, {"balance_db", "dB"}, {"dc_offset_v", "V"},
    {"polarity", ""},       {"power_w", "W"},     {"input_level_dbv", "dBV"}};

class LevelKind : public ToneKind {
 public:
  std::string_view name() const override { return "level"; }
  std::span<const MeasurementSpec> measurements() const override { return kLevelMeasurements; }

 protected:
  void run(StepContext& ctx, const ToneParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    measure(ctx, params, p, false);
    balance(ctx, p);
  }
  void figures(StepContext& ctx, const std::string& channel, const ChannelTone& tone,
               const Point& p) const override {
    const auto& analysis = tone.analysis;
    ctx.add(channel, "frequency_hz", analysis.frequency_hz, p.coordinates, p.frequency_hz);
    ctx.add(channel, "dc_offset_v", ctx.dc_volts_at_dut_output(analysis.dc_fs), p.coordinates,
            p.frequency_hz);
    polarity(ctx, channel, tone, p);
  }

 private:
  // A generator's step says nothing of polarity unless a limit asks.
  static void polarity(StepContext& ctx, const std::string& channel, const ChannelTone& tone,
                       const Point& p) {
    const auto reading = polarity_of(tone);
    if (reading.sign)
      ctx.add(channel, "polarity", *reading.sign, p.coordinates, p.frequency_hz);
    else if (!reading.unknown_phase || ctx.step().limits.count("polarity"))
      ctx.add_missing(channel, "polarity", reading.why_not, p.coordinates, p.frequency_hz);
  }

  // On two channels: the balance L − R of their gains.
  static void balance(StepContext& ctx, const Point& p) {
    const auto& channels = ctx.channels();
    if (channels.size() < 2) return;
    std::optional<double> first, second;
    for (const auto& m : ctx.record().measurements) {
      if (m.name != "gain_db" || m.point != p.coordinates) continue;
      if (m.channel == channels[0]) first = m.value;
      if (m.channel == channels[1]) second = m.value;
    }
    if (first && second)
      ctx.add(channels[0] + "-" + channels[1], "balance_db", *first - *second, p.coordinates,
              p.frequency_hz);
  }
};

constexpr MeasurementSpec kThdnMeasurements[] = {{"thdn_pct", "%"},
                                                 {"thdn_db", "dB"},
                                                 {"thd_pct", "%"},
                                                 {"thd_db", "dB"},
                                                 {"sinad_db", "dB"},
                                                 {"snr_db", "dB"},
                                                 {"gain_db", "dB"},
                                                 {"level_dbv", "dBV"},
                                                 {"level_vrms", "V"},
                                                 {"power_w", "W"},
                                                 {"input_level_dbv", "dBV"},
                                                 {"level_at_criterion_dbv", "dBV", true},
                                                 {"output_at_criterion_dbv", "dBV", true}};
// thdn_vs_power_pct is max_power's declaration.
constexpr std::string_view kThdnSharedCurves[] = {"thdn_vs_power_pct"};
constexpr CurveSpec kThdnCurves[] = {
    {"spectrum_dbv", "Spectrum", "Frequency (Hz)", "Level (dBV)", true, false},
    {"thdn_vs_level_pct", "THD+N versus output level", "Output level (dBV)", "THD+N (%)", false,
     true},
    {"thdn_vs_freq_pct", "THD+N versus frequency", "Frequency (Hz)", "THD+N (%)", true, true}};

class ThdnKind : public ToneKind {
 public:
  std::string_view name() const override { return "thdn"; }
  std::span<const MeasurementSpec> measurements() const override { return kThdnMeasurements; }
  std::span<const CurveSpec> curves() const override { return kThdnCurves; }
  std::span<const std::string_view> shared_curves() const override { return kThdnSharedCurves; }
  std::span<const std::string_view> keys() const override { return kThdnKeys; }

 protected:
  void run(StepContext& ctx, const ToneParams& params, const Point& p, std::size_t index,
           std::size_t count) const override {
    // A low tone in a short capture: lengthened until H2 has a lobe of its own.
    ctx.resolve_harmonics(*p.frequency_hz, params.analysis);
    measure(ctx, params, p, index + 1 == count);
  }
  void figures(StepContext& ctx, const std::string& ch, const ChannelTone& tone,
               const Point& p) const override {
    const auto& a = tone.analysis;
    if (!a.unresolved.empty()) {
      for (const char* name : {"thdn_pct", "thdn_db", "thd_pct", "thd_db", "sinad_db", "snr_db"})
        ctx.add_missing(ch, name, a.unresolved, p.coordinates, p.frequency_hz);
      return;
    }
    // At the analysis's floor THD+N is at most, SINAD and SNR at least, what it reads.
    const auto bounded = [&](const char* name, double value, record::BoundSide side) {
      ctx.add(ch, name, value, p.coordinates, p.frequency_hz);
      if (a.at_floor)
        ctx.bound_last(side, std::string(side == record::BoundSide::upper ? "a bound (at most)"
                                                                          : "a bound (at least)") +
                                 ": the residual lies below the analysis's own floor");
    };
    bounded("thdn_pct", a.thdn_pct(), record::BoundSide::upper);
    bounded("thdn_db", a.thdn_db(), record::BoundSide::upper);
    if (a.no_harmonic.empty()) {
      ctx.add(ch, "thd_pct", a.thd_pct(), p.coordinates, p.frequency_hz);
      ctx.add(ch, "thd_db", a.thd_db(), p.coordinates, p.frequency_hz);
    } else {
      ctx.add_missing(ch, "thd_pct", a.no_harmonic, p.coordinates, p.frequency_hz);
      ctx.add_missing(ch, "thd_db", a.no_harmonic, p.coordinates, p.frequency_hz);
    }
    bounded("sinad_db", a.sinad_db, record::BoundSide::lower);
    bounded("snr_db", a.snr_db, record::BoundSide::lower);
  }
  // Over a level sweep, THD+N versus the measured output level (and power, into a load); over
  // a frequency sweep, versus frequency: one curve per condition of the outer sweeps and
  // channel.
  void finish_params(StepContext& ctx, const ToneParams& params,
                     const std::vector<Point>& points) const override {
    if (params.stop_when) report_uncrossed(ctx, *params.stop_when, points);
    const auto& sweeps = ctx.step().sweeps;
    if (points.size() <= 1 || sweeps.empty()) return;
    const std::string& inner = sweeps.back().parameter;
    const auto dimension = sweeps.back().dimension;
    if (dimension == record::Dimension::frequency) {
      add_family(ctx, inner, "thdn_vs_freq_pct", inner, "Hz", "thdn_pct");
    } else if (dimension == record::Dimension::level ||
               dimension == record::Dimension::output_level) {
      add_family(ctx, inner, "thdn_vs_level_pct", "level_dbv", "dBV", "thdn_pct");
      if (ctx.step().load_ohm || ctx.step().sweeps_over(record::Dimension::load))
        add_family(ctx, inner, "thdn_vs_power_pct", "power_w", "W", "thdn_pct");
    }
  }
};

}  // namespace

const StepKind& level_step_kind() {
  static const LevelKind kind;
  return kind;
}

const StepKind& thdn_step_kind() {
  static const ThdnKind kind;
  return kind;
}

}  // namespace ampbench::sequence
