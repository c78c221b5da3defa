// Step kind cmrr: a balanced input's common-mode rejection. At each point the tone drives the
// input normally (differentially), then on both legs at once through the station's
// common-mode wiring ([dut_switch] common_mode_relay, the simulated preamp's, or the
// operator's hands): CMRR = 20·log10(U_normal / U_common) at the same drive, each the tone's
// level at its frequency, so the gain between cancels. A common-mode output lost in the noise
// gives a bound, said. Over a frequency sweep, CMRR versus frequency.
#include "dsp/units.hpp"
#include "sequence/step_context.hpp"
#include "sequence/steps/families.hpp"

namespace ampbench::sequence {
namespace {

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
      dut_.set_common_mode(false);
    } catch (const std::exception&) {  // the step's own error is the one to report
    }
  }
  NormalDriveAgain(const NormalDriveAgain&) = delete;
  NormalDriveAgain& operator=(const NormalDriveAgain&) = delete;

 private:
  plugs::DutControl& dut_;
};

class CmrrKind : public ToneLevelKind {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "cmrr"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  // The common-mode wiring is the station's, not a slot's.
  bool needs_station_alone(const StepPlan&, const Station&) const override { return true; }

 protected:
  void check_params(StepChecks& checks, const ToneSettingsParams&) const override {
    const auto& sim = checks.station().sim;
    if (sim && !sim->preamp)
      checks.error("kind",
                   "the simulated DUT has no balanced input to drive in common mode "
                   "(a cmrr step needs [sim.preamp])");
  }

  void run(StepContext& ctx, const ToneSettingsParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    auto& dut = ctx.bench().dut;
    if (!dut) throw MeasurementError("this bench cannot drive the DUT in common mode");
    const std::vector<double> drive(ctx.channels().size(), ctx.vrms_of(*p.level, p.load_ohm));
    const auto normal = ctx.capture_tones(*p.frequency_hz, drive, p.load_ohm, params.analysis);
    std::vector<ChannelTone> common;
    {
      NormalDriveAgain again(*dut);
      dut->set_common_mode(true);
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
        ctx.note_last("a bound (at least): the common-mode output lies in the noise");
    }
  }

  void finish_params(StepContext& ctx, const ToneSettingsParams&,
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
