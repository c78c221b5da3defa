// Step kind imd: intermodulation distortion of a two-tone signal (SMPTE, CCIF/DFD or named
// frequencies) or of DIM's square and sine, on every channel.
#include "dsp/imd.hpp"

#include <cmath>
#include <cstdio>

#include "common/error.hpp"
#include "dsp/units.hpp"
#include "record/point_words.hpp"
#include "sequence/output_level.hpp"
#include "sequence/step_context.hpp"
#include "sequence/steps/families.hpp"

namespace ampbench::sequence {
namespace {

struct ImdParams : StepParams {
  dsp::ImdSignal signal = dsp::parse_imd_signal("smpte");
};

constexpr std::string_view kKeys[] = {"standard"};
constexpr MeasurementSpec kMeasurements[] = {{"imd_pct", "%"},
                                             {"imd_db", "dB"},
                                             {"dim_pct", "%"},
                                             {"level_dbv", "dBV"},
                                             {"input_level_dbv", "dBV"}};
constexpr CurveSpec kCurves[] = {
    {"imd_vs_level_pct", "IMD versus output level", "Output level (dBV, the sine of the same peak)",
     "IMD (%)", false, true},
    {"dim_vs_level_pct", "DIM versus output level", "Output level (dBV, the sine of the same peak)",
     "DIM (%)", false, true}};

// DIM's figure has its own name: a limit on the other standard's would judge nothing.
bool measures(const dsp::ImdSignal& s, std::string_view measurement) {
  const bool dim = s.standard == dsp::ImdStandard::dim;
  if (measurement == "dim_pct") return dim;
  if (measurement == "imd_pct" || measurement == "imd_db") return !dim;
  return true;
}

constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::level,
                                                     record::StimulusField::output_level};

// A two-tone's level is that of the sine with the same peak; at an output level, that sine's
// input is found at the frequency of the tone that makes most of the peak (SMPTE: the low
// one), between the two when they are equal (CCIF).
double reference_hz(const dsp::ImdSignal& s) {
  if (s.amplitude_ratio > 1.0) return s.f1_hz;
  if (s.amplitude_ratio < 1.0) return s.f2_hz;
  return std::sqrt(s.f1_hz * s.f2_hz);
}

// The output's level as the sine with the composite's peak: its rms (DC aside) times the
// signal's nominal peak over rms ((1 + r)/√(1 + r²)·√2 for tones in amplitude ratio r).
double sine_equivalent_dbv(const StepContext& ctx, std::span<const double> block,
                           const dsp::ImdSignal& s) {
  const double peak_equivalent_fs = dsp::ac_rms(block) * dsp::imd_peak_over_rms(s, ctx.fs());
  return dsp::vrms_to_dbv(ctx.volts_at_dut_output(dsp::amplitude_ratio_to_db(peak_equivalent_fs)));
}

class ImdKind : public StepKindWith<ImdParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "imd"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const std::string_view> keys() const override { return kKeys; }
  std::span<const CurveSpec> curves() const override { return kCurves; }

 protected:
  nlohmann::json conditions_of(const ImdParams& params) const override {
    const auto& s = params.signal;
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%g:1", s.amplitude_ratio);
    if (s.standard == dsp::ImdStandard::dim)
      return {{"standard", "DIM" + dsp::imd_standard_name(s).substr(3) + " " +
                               record::frequency_in_words(s.f1_hz) + " square + " +
                               record::frequency_in_words(s.f2_hz) + " sine " + ratio}};
    return {{"standard", std::string(s.standard == dsp::ImdStandard::smpte ? "SMPTE " : "CCIF ") +
                             record::frequency_in_words(s.f1_hz) + " + " +
                             record::frequency_in_words(s.f2_hz) + " " + ratio}};
  }

  ImdParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                         const std::string& p) const override {
    ImdParams params;
    try {
      if (auto standard = r.string(t, "standard", p))
        params.signal = dsp::parse_imd_signal(*standard);
    } catch (const UsageError& e) {
      r.fail(&t, p, e.what());
    }
    for (const auto& [name, limit] : step.limits)
      if (!measures(params.signal, name))
        r.fail(t["limits"][name].node(), p + ".limits." + name,
               params.signal.standard == dsp::ImdStandard::dim
                   ? "a DIM standard measures dim_pct, not " + name
                   : "dim_pct is measured with standard = \"dim30\" or \"dim100\" only");
    require(r, t,
            step.stimulus.level || step.sweeps_over(record::Dimension::level) ||
                step.stimulus.output_level || step.sweeps_over(record::Dimension::output_level),
            p + "." + std::string(record::path_of(record::StimulusField::level)),
            "required for an imd step (or stimulus.output_level)");
    return params;
  }

  // Products that fall on a component of the signal itself cannot be read at any length.
  void check_params(StepChecks& checks, const ImdParams& params) const override {
    try {
      dsp::frames_resolving_imd(params.signal, checks.station().audio.sample_rate_hz);
    } catch (const MeasurementError& e) {
      checks.error("standard", e.what());
    }
  }

  void run(StepContext& ctx, const ImdParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    // At an output level, each channel's input for it (a level the DUT cannot reach ends the
    // sweep of its condition, as on a THD+N step).
    const auto found = input_for_point(ctx, p, reference_hz(params.signal));
    if (!found.unreachable.empty()) {
      ctx.end_condition(p, found.unreachable, found.unreachable_by_bench);
      return;
    }
    // A short capture_s is lengthened to the block that keeps the products apart.
    ctx.require_analysed_frames(dsp::frames_resolving_imd(params.signal, ctx.fs()),
                                "the IMD products cannot be told apart");
    std::vector<std::vector<double>> x;
    for (const double vin : found.vin)
      x.push_back(ctx.steady(dsp::imd_tones(params.signal, ctx.peak_fs_of_vrms(vin), ctx.fs())));
    const audio::Capture capture = ctx.play(x, x.front().size(), p.load_ohm);
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto& ch = ctx.channels()[c];
      const auto r = dsp::analyze_imd(ctx.analysed(capture, c), ctx.fs(), params.signal);
      if (params.signal.standard == dsp::ImdStandard::dim) {
        ctx.add(ch, "dim_pct", r.imd_pct(), p.coordinates);
      } else {
        ctx.add(ch, "imd_pct", r.imd_pct(), p.coordinates);
        ctx.add(ch, "imd_db", r.imd_db(), p.coordinates);
      }
      ctx.add(ch, "level_dbv", sine_equivalent_dbv(ctx, ctx.analysed(capture, c), params.signal),
              p.coordinates);
      if (p.output_level)
        ctx.add(ch, "input_level_dbv", dsp::vrms_to_dbv(found.vin[c]), p.coordinates);
    }
  }
  // Over a level or output-level sweep, IMD versus the output level: a curve per condition of
  // the outer sweeps and channel.
  void finish_params(StepContext& ctx, const ImdParams& params,
                     const std::vector<Point>& points) const override {
    const auto& sweeps = ctx.step().sweeps;
    if (points.size() <= 1 || sweeps.empty()) return;
    const auto dimension = sweeps.back().dimension;
    const bool dim = params.signal.standard == dsp::ImdStandard::dim;
    if (dimension == record::Dimension::level || dimension == record::Dimension::output_level)
      add_family(ctx, sweeps.back().parameter, dim ? "dim_vs_level_pct" : "imd_vs_level_pct",
                 "level_dbv", "dBV", dim ? "dim_pct" : "imd_pct");
  }
};

}  // namespace

const StepKind& imd_step_kind() {
  static const ImdKind kind;
  return kind;
}

}  // namespace ampbench::sequence
