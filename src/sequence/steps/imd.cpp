// Step kind imd: intermodulation distortion of a two-tone signal (SMPTE, CCIF/DFD or named
// frequencies) on every channel.
#include "dsp/imd.hpp"

#include "common/error.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

struct ImdParams : StepParams {
  dsp::ImdSignal signal = dsp::parse_imd_signal("smpte");
};

constexpr std::string_view kKeys[] = {"standard"};
constexpr MeasurementSpec kMeasurements[] = {{"imd_pct", "%"}, {"imd_db", "dB"}};

constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::level};

class ImdKind : public StepKindWith<ImdParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "imd"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  ImdParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                         const std::string& p) const override {
    ImdParams params;
    try {
      if (auto standard = r.string(t, "standard", p))
        params.signal = dsp::parse_imd_signal(*standard);
    } catch (const UsageError& e) {
      r.fail(&t, p, e.what());
    }
    require(r, t, step.stimulus.level.has_value() || step.sweeps_over(record::Dimension::level),
            p + "." + std::string(record::path_of(record::StimulusField::level)),
            "required for an imd step");
    return params;
  }

  void run(StepContext& ctx, const ImdParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    const double vin = ctx.vrms_of(*p.level, p.load_ohm);
    // A short capture_s is lengthened to the block that keeps the products apart.
    ctx.require_analysed_frames(dsp::frames_resolving_imd(params.signal, ctx.fs()),
                                "the IMD products cannot be told apart");
    // A two-tone's level is that of the sine with the same peak.
    const auto x = ctx.steady(dsp::imd_tones(params.signal, ctx.peak_fs_of_vrms(vin)));
    const audio::Capture capture =
        ctx.play(std::vector<std::vector<double>>(ctx.channels().size(), x), x.size(), p.load_ohm);
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto r = dsp::analyze_imd(ctx.analysed(capture, c), ctx.fs(), params.signal);
      ctx.add(ctx.channels()[c], "imd_pct", r.imd_pct(), p.coordinates);
      ctx.add(ctx.channels()[c], "imd_db", r.imd_db(), p.coordinates);
    }
  }
};

}  // namespace

const StepKind& imd_step_kind() {
  static const ImdKind kind;
  return kind;
}

}  // namespace ampbench::sequence
