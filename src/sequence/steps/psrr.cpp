// Step kind psrr (SPEC §17): rejection of ripple on the amplifier's supply. The station's
// [ripple] generator puts `ripple` volts at stimulus.frequency_hz on the supply (through its
// stated coupling gain) while the DUT's inputs are silent; PSRR = 20·log10(ripple / U_out),
// U_out each output's level at that frequency. An output ripple lost in the noise gives a
// bound, said. The ripple generator's output is off again however the step ends. Over a
// frequency sweep, PSRR versus frequency.
#include <cstdio>

#include "common/error.hpp"
#include "dsp/units.hpp"
#include "instruments/drivers.hpp"
#include "sequence/levels.hpp"
#include "sequence/step_context.hpp"
#include "sequence/steps/families.hpp"

namespace ampbench::sequence {
namespace {

struct PsrrParams : StepParams {
  ToneSettings analysis;
  double ripple_vrms = 0.0;  // at the supply
};

constexpr std::string_view kKeys[] = {"ripple", "band"};
constexpr MeasurementSpec kMeasurements[] = {{"psrr_db", "dB"}, {"output_ripple_dbv", "dBV"}};
constexpr CurveSpec kCurves[] = {
    {"psrr_db", "Supply rejection", "Frequency (Hz)", "PSRR (dB)", true, false}};
constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz};

class RippleOffAgain {
 public:
  explicit RippleOffAgain(instruments::FunctionGenerator& ripple) : ripple_(ripple) {}
  ~RippleOffAgain() {
    try {
      ripple_.output(false);
    } catch (const std::exception&) {  // the step's own error is the one to report
    }
  }
  RippleOffAgain(const RippleOffAgain&) = delete;
  RippleOffAgain& operator=(const RippleOffAgain&) = delete;

 private:
  instruments::FunctionGenerator& ripple_;
};

class PsrrKind : public StepKindWith<PsrrParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "psrr"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }
  // The ripple generator and the supply are the station's, not a slot's.
  bool needs_station_alone(const StepPlan&, const Station&) const override { return true; }

 protected:
  nlohmann::json conditions_of(const PsrrParams& params) const override {
    auto conditions = tone_conditions(params.analysis);
    conditions["ripple"] = fmt_ripple(params.ripple_vrms) + " ripple on the supply";
    return conditions;
  }

  PsrrParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                          const std::string& p) const override {
    PsrrParams params;
    params.analysis = parse_tone_settings(r, t, p);
    const toml::node* ripple = t.get("ripple");
    if (!ripple)
      r.fail(&t, p + ".ripple", "a psrr step needs the ripple it puts on the supply (\"1 V\")");
    const Level level = level_field(r, ripple, p + ".ripple");
    if (level.unit == LevelUnit::dbfs || level.unit == LevelUnit::watt ||
        level.unit == LevelUnit::milliwatt)
      r.fail(ripple, p + ".ripple", "the ripple is volts on the supply: \"1 V\" or \"0 dBV\"");
    params.ripple_vrms = level_to_vrms(level, {1.0, std::nullopt});
    require(r, t, step.stimulus.frequency_hz || step.sweeps_over(record::Dimension::frequency),
            p + "." + std::string(record::path_of(record::StimulusField::frequency_hz)),
            "required for a psrr step (the ripple's frequency)");
    return params;
  }

  void check_params(StepChecks& checks, const PsrrParams& params) const override {
    const auto& ripple = checks.station().ripple;
    if (!ripple) {
      checks.error("kind",
                   "a psrr step needs the station's [ripple] generator, and this station "
                   "has none");
      return;
    }
    if (params.ripple_vrms > ripple->max_vrms * (1 + 1e-9))
      checks.error("ripple", fmt_ripple(params.ripple_vrms) +
                                 " is above the station's [ripple] max_vrms of " +
                                 fmt_ripple(ripple->max_vrms));
  }

  void run(StepContext& ctx, const PsrrParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    auto& ripple = ctx.bench().ripple;
    if (!ripple) throw MeasurementError("the station has no [ripple] generator");
    const double f = *p.frequency_hz;
    std::vector<ChannelTone> tones;
    {
      RippleOffAgain off(*ripple);
      ripple->set_sine(f, params.ripple_vrms / ctx.station().ripple->gain);
      ripple->output(true);
      const std::vector<double> silent(ctx.channels().size(), 0.0);
      tones = ctx.capture_tones(f, silent, p.load_ohm, params.analysis);
    }
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto& ch = ctx.channels()[c];
      const double out = tones[c].vrms_out;
      ctx.add(ch, "output_ripple_dbv", dsp::vrms_to_dbv(out), p.coordinates, f);
      if (!tones[c].analysis.tone_present())
        ctx.bound_last(record::BoundSide::upper,
                       "a bound (at most): no ripple stands above the noise");
      ctx.add(ch, "psrr_db", dsp::amplitude_ratio_to_db(params.ripple_vrms / out), p.coordinates,
              f);
      if (!tones[c].analysis.tone_present())
        ctx.bound_last(record::BoundSide::lower,
                       "a bound (at least): the output's ripple lies in the noise");
    }
  }

  void finish_params(StepContext& ctx, const PsrrParams&,
                     const std::vector<Point>& points) const override {
    const auto& sweeps = ctx.step().sweeps;
    if (points.size() > 1 && !sweeps.empty() &&
        sweeps.back().dimension == record::Dimension::frequency)
      add_family(ctx, sweeps.back().parameter, "psrr_db", sweeps.back().parameter, "Hz", "psrr_db");
  }

 private:
  static std::string fmt_ripple(double vrms) {
    char text[48];
    std::snprintf(text, sizeof text, "%g Vrms", vrms);
    return text;
  }
};

}  // namespace

const StepKind& psrr_step_kind() {
  static const PsrrKind kind;
  return kind;
}

}  // namespace ampbench::sequence
