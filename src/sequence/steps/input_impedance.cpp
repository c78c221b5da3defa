// Step kind input_impedance: the series-resistor method. The DUT's output level with the
// station's resistor shorted (U1) and in series with the source (U2) gives
// Z_in = R_s·U2/(U1 − U2).
#include <cstdio>

#include "common/error.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

constexpr std::string_view kKeys[] = {"thdn_method", "weighting", "band"};
constexpr MeasurementSpec kMeasurements[] = {{"input_impedance_ohm", "ohm"}};

class InputImpedanceKind : public StepKindWith<ToneSettingsParams> {
 public:
  std::string_view name() const override { return "input_impedance"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  ToneSettingsParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                                  const std::string& p) const override {
    return parse_tone_step(r, t, step, p);
  }

  void check_params(StepChecks& checks, const ToneSettingsParams&) const override {
    if (!checks.station().series_resistor_ohm)
      checks.error("kind", "station '" + checks.station().name +
                               "' declares no series resistor ([source] series_ohm)");
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
      const double u1 = direct[c].vrms_out, u2 = through[c].vrms_out;
      if (!(u2 > 0.0) || u1 - u2 <= u1 * 1e-4) {
        char resistor[48];
        std::snprintf(resistor, sizeof resistor, "%g ohm", rs);
        throw MeasurementError(ctx.channels()[c] + ": the series resistor of " + resistor +
                               " changes the level by less than 0.001 dB: the input impedance is "
                               "beyond what it can measure (or no signal came through)");
      }
      ctx.add(ctx.channels()[c], "input_impedance_ohm", rs * u2 / (u1 - u2), p.coordinates,
              p.frequency_hz);
    }
  }
};

}  // namespace

const StepKind& input_impedance_step_kind() {
  static const InputImpedanceKind kind;
  return kind;
}

}  // namespace ampbench::sequence
