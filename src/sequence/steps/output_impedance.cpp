// Step kind output_impedance: the output's complex voltage into the nominal load and into
// the 'open' load (none, or open_load_ohm), by load switching, from the same stimulus;
// impedance magnitude and phase, damping factor re the nominal load, and their curves over
// a frequency sweep.
#include <cmath>
#include <limits>
#include <numbers>

#include "sequence/step_context.hpp"
#include "sequence/steps/impedance.hpp"

namespace ampbench::sequence {
namespace {

struct OutputImpedanceParams : StepParams {
  ToneSettings analysis;
  std::optional<double> open_load_ohm;  // the 'open' load (default none)
};

constexpr std::string_view kKeys[] = {"open_load_ohm", "thdn_method", "weighting", "band"};
constexpr MeasurementSpec kMeasurements[] = {
    {"output_impedance_ohm", "ohm"}, {"output_impedance_phase_deg", "deg"}, {"damping_factor", ""}};
constexpr CurveSpec kCurves[] = {
    {"output_impedance_ohm", "Output impedance", "Frequency (Hz)", "|Z| (Ω)", true, true},
    {"damping_factor", "Damping factor", "Frequency (Hz)", "Damping factor", true, true}};

constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level};

class OutputImpedanceKind : public StepKindWith<OutputImpedanceParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "output_impedance"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  // A tone's level at one frequency: neither weighting nor band changes it.
  nlohmann::json conditions_of(const OutputImpedanceParams&) const override {
    return nlohmann::json::object();
  }

  OutputImpedanceParams parse_params(const TomlReader& r, const toml::table& t,
                                     const StepPlan& step, const std::string& p) const override {
    OutputImpedanceParams params;
    params.analysis = parse_tone_settings(r, t, p);
    params.open_load_ohm = r.number(t, "open_load_ohm", p);
    if (params.open_load_ohm && !(*params.open_load_ohm > 0.0))
      r.fail(t.get("open_load_ohm"), p + ".open_load_ohm", "must be positive");
    require_tone_stimulus(r, t, step, p);
    require(r, t, step.load_ohm.has_value(), p + ".load_ohm",
            "an output_impedance step needs its nominal load");
    return params;
  }

  void check_params(StepChecks& checks, const OutputImpedanceParams& params) const override {
    if (params.open_load_ohm) checks.check_load(*params.open_load_ohm, "open_load_ohm");
    check_interface_stimulus(checks);
  }

  // Complex voltages U_L (nominal load R_L) and U_o ('open'): Z = R_L·(U_o/U_L − 1); with a
  // finite 'open' load R_o both dividers solved: Z = (U_o − U_L)/(U_L/R_L − U_o/R_o).
  // Damping factor R_L/|Z|.
  void run(StepContext& ctx, const OutputImpedanceParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    const double nominal = *p.load_ohm;
    const double open = params.open_load_ohm.value_or(std::numeric_limits<double>::infinity());
    const double vin = ctx.vrms_of(*p.level, nominal);
    const std::vector<double> drive(ctx.channels().size(), vin);
    const auto loaded = ctx.capture_tones(*p.frequency_hz, drive, nominal, params.analysis);
    const auto unloaded = ctx.capture_tones(*p.frequency_hz, drive, open, params.analysis);
    ctx.select_load(nominal);
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto& ch = ctx.channels()[c];
      const auto u_load = output_phasor(loaded[c], ch);
      const auto u_open = output_phasor(unloaded[c], ch);
      require_resolvable(u_open, u_load, ch, "the open and loaded output voltages");
      const std::complex<double> z = std::isinf(open)
                                         ? nominal * (u_open / u_load - 1.0)
                                         : (u_open - u_load) / (u_load / nominal - u_open / open);
      ctx.add(ch, "output_impedance_ohm", std::abs(z), p.coordinates, p.frequency_hz);
      ctx.add(ch, "output_impedance_phase_deg", std::arg(z) * 180.0 / std::numbers::pi,
              p.coordinates, p.frequency_hz);
      ctx.add(ch, "damping_factor", nominal / std::abs(z), p.coordinates, p.frequency_hz);
    }
  }

  void finish_params(StepContext& ctx, const OutputImpedanceParams&,
                     const std::vector<Point>& points) const override {
    add_frequency_curve(ctx, points, "output_impedance_ohm");
    add_frequency_curve(ctx, points, "damping_factor");
  }
};

}  // namespace

const StepKind& output_impedance_step_kind() {
  static const OutputImpedanceKind kind;
  return kind;
}

}  // namespace ampbench::sequence
