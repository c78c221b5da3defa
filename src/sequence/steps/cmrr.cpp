// Step kind cmrr: a balanced input's common-mode rejection. At each point the tone drives the
// input normally (differentially), then on both legs at once through the station's
// common-mode wiring ([dut_switch] common_mode_relay, the simulated preamp's, or the
// operator's hands): CMRR = 20·log10(U_normal / U_common) at the same drive, each the tone's
// level at its frequency, so the gain between cancels; `source_imbalance_ohm` puts a resistor
// in series with the cold leg in common mode (IEC 60268-3's unbalanced source). A
// common-mode output lost in the noise gives a bound, said. Over a frequency sweep, CMRR
// versus frequency.
#include <cstdio>

#include "dsp/units.hpp"
#include "sequence/step_context.hpp"
#include "sequence/steps/families.hpp"

namespace ampbench::sequence {
namespace {

struct CmrrParams : StepParams {
  ToneSettings analysis;
  double imbalance_ohm = 0.0;
};

constexpr std::string_view kKeys[] = {"thdn_method", "weighting", "band", "source_imbalance_ohm"};
constexpr MeasurementSpec kMeasurements[] = {{"cmrr_db", "dB"}};
constexpr CurveSpec kCurves[] = {
    {"cmrr_db", "Common-mode rejection", "Frequency (Hz)", "CMRR (dB)", true, false}};
constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level};

// Back to the normal drive however the step ends: a unit left in common mode fails
// everything after it.
class NormalDriveAgain {
 public:
  explicit NormalDriveAgain(plugs::DutControl& dut) : dut_(dut) {}
  ~NormalDriveAgain() {
    try {
      dut_.set_common_mode(false, 0.0);
    } catch (const std::exception&) {  // the step's own error is the one to report
    }
  }
  NormalDriveAgain(const NormalDriveAgain&) = delete;
  NormalDriveAgain& operator=(const NormalDriveAgain&) = delete;

 private:
  plugs::DutControl& dut_;
};

class CmrrKind : public StepKindWith<CmrrParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "cmrr"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }
  // The common-mode wiring is the station's, not a slot's.
  bool needs_station_alone(const StepPlan&, const Station&) const override { return true; }

 protected:
  CmrrParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                          const std::string& p) const override {
    CmrrParams params;
    params.analysis = parse_tone_step(r, t, step, p).analysis;
    params.imbalance_ohm = r.number(t, "source_imbalance_ohm", p).value_or(0.0);
    if (!(params.imbalance_ohm >= 0.0))
      r.fail(t.get("source_imbalance_ohm"), p + ".source_imbalance_ohm", "must be 0 or more ohms");
    return params;
  }

  // Only what changes the figure: an imbalanced source.
  nlohmann::json conditions_of(const CmrrParams& params) const override {
    if (!(params.imbalance_ohm > 0.0)) return nlohmann::json::object();
    char text[64];
    std::snprintf(text, sizeof text, "%g Ω in the source's cold leg", params.imbalance_ohm);
    return {{"source imbalance", text}};
  }

  void check_params(StepChecks& checks, const CmrrParams&) const override {
    const auto& sim = checks.station().sim;
    if (sim && !sim->preamp)
      checks.error("kind",
                   "the simulated DUT has no balanced input to drive in common mode "
                   "(a cmrr step needs [sim.preamp])");
  }

  void run(StepContext& ctx, const CmrrParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    auto& dut = ctx.bench().dut;
    if (!dut) throw MeasurementError("this bench cannot drive the DUT in common mode");
    const std::vector<double> drive(ctx.channels().size(), ctx.vrms_of(*p.level, p.load_ohm));
    const auto normal = ctx.capture_tones(*p.frequency_hz, drive, p.load_ohm, params.analysis);
    std::vector<ChannelTone> common;
    {
      NormalDriveAgain again(*dut);
      dut->set_common_mode(true, params.imbalance_ohm);
      common = ctx.capture_tones(*p.frequency_hz, drive, p.load_ohm, params.analysis);
    }
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto& ch = ctx.channels()[c];
      if (!normal[c].analysis.tone_present()) {
        ctx.add_missing(ch, "cmrr_db",
                        "no tone stands 20 dB above the noise with the input driven normally "
                        "(no signal came through)",
                        p.coordinates, p.frequency_hz);
        continue;
      }
      ctx.add(ch, "cmrr_db", dsp::amplitude_ratio_to_db(normal[c].vrms_out / common[c].vrms_out),
              p.coordinates, p.frequency_hz);
      if (!common[c].analysis.tone_present())
        ctx.bound_last(record::BoundSide::lower,
                       "a bound (at least): the common-mode output lies in the noise");
    }
  }

  void finish_params(StepContext& ctx, const CmrrParams&,
                     const std::vector<Point>& points) const override {
    const auto& sweeps = ctx.step().sweeps;
    if (points.size() > 1 && !sweeps.empty() &&
        sweeps.back().dimension == record::Dimension::frequency)
      add_family(ctx, sweeps.back().parameter, "cmrr_db", sweeps.back().parameter, "Hz", "cmrr_db");
  }
};

}  // namespace

const StepKind& cmrr_step_kind() {
  static const CmrrKind kind;
  return kind;
}

}  // namespace ampbench::sequence
