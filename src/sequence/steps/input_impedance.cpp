// Step kind input_impedance: the series-resistor method. The DUT's complex output voltage
// with the station's resistor shorted (U1) and in series with the source (U2), from the
// same stimulus, gives Z_in = R_s·U2/(U1 − U2): magnitude and phase, and the impedance
// curve over a frequency sweep.
#include <cstdio>
#include <numbers>

#include "common/error.hpp"
#include "sequence/step_context.hpp"
#include "sequence/steps/impedance.hpp"

namespace ampbench::sequence {
namespace {

constexpr std::string_view kKeys[] = {"thdn_method", "weighting", "band"};
constexpr MeasurementSpec kMeasurements[] = {{"input_impedance_ohm", "ohm"},
                                             {"input_impedance_phase_deg", "deg"}};
constexpr CurveSpec kCurves[] = {
    {"input_impedance_ohm", "Input impedance", "Frequency (Hz)", "|Z| (Ω)", true, true}};

constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level};

class InputImpedanceKind : public ToneLevelKind {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "input_impedance"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  void check_params(StepChecks& checks, const ToneSettingsParams&) const override {
    if (!checks.station().series_resistor_ohm)
      checks.error("kind", "station '" + checks.station().name +
                               "' declares no series resistor ([source] series_ohm)");
    check_interface_stimulus(checks);
  }

  void run(StepContext& ctx, const ToneSettingsParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    if (!ctx.station().series_resistor_ohm)
      throw MeasurementError("the station declares no series resistor ([source] series_ohm)");
    auto& dut = ctx.bench().dut;
    if (!dut) throw MeasurementError("this bench cannot switch the series resistor");
    const double rs = *ctx.station().series_resistor_ohm;
    const double vin = ctx.vrms_of(*p.level, p.load_ohm);
    const std::vector<double> drive(ctx.channels().size(), vin);
    const SourceDirectAgain restore(*dut);
    dut->set_series_ohm(0.0);
    const auto direct = ctx.capture_tones(*p.frequency_hz, drive, p.load_ohm, params.analysis);
    dut->set_series_ohm(rs);
    const auto through = ctx.capture_tones(*p.frequency_hz, drive, p.load_ohm, params.analysis);
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto& ch = ctx.channels()[c];
      const auto u1 = output_phasor(direct[c], ch);
      const auto u2 = output_phasor(through[c], ch);
      char resistor[64];
      std::snprintf(resistor, sizeof resistor, "the levels with and without the %g ohm resistor",
                    rs);
      require_resolvable(u1, u2, ch, resistor);
      const std::complex<double> z = rs * u2 / (u1 - u2);
      ctx.add(ch, "input_impedance_ohm", std::abs(z), p.coordinates, p.frequency_hz);
      ctx.add(ch, "input_impedance_phase_deg", std::arg(z) * 180.0 / std::numbers::pi,
              p.coordinates, p.frequency_hz);
    }
  }

  void finish_params(StepContext& ctx, const ToneSettingsParams&,
                     const std::vector<Point>& points) const override {
    add_frequency_curve(ctx, points, "input_impedance_ohm");
  }
};

}  // namespace

const StepKind& input_impedance_step_kind() {
  static const InputImpedanceKind kind;
  return kind;
}

}  // namespace ampbench::sequence
