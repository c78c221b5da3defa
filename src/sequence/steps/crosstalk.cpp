// Step kind crosstalk: each channel driven in turn with the others silent; the level on
// each undriven output re the driven one; over a frequency sweep, crosstalk versus
// frequency, a curve per driven channel and listening channel.
#include "sequence/step_context.hpp"
#include "sequence/steps/families.hpp"

namespace ampbench::sequence {
namespace {

constexpr std::string_view kKeys[] = {"thdn_method", "weighting", "band"};
constexpr MeasurementSpec kMeasurements[] = {{"crosstalk_db", "dB"}};
constexpr std::string_view kSharedCurves[] = {"crosstalk_db"};  // multitone's declaration

constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level};

class CrosstalkKind : public StepKindWith<ToneSettingsParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "crosstalk"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const std::string_view> keys() const override { return kKeys; }
  std::span<const std::string_view> shared_curves() const override { return kSharedCurves; }

 protected:
  ToneSettingsParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                                  const std::string& p) const override {
    return parse_tone_step(r, t, step, p);
  }

  void run(StepContext& ctx, const ToneSettingsParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    const auto& channels = ctx.channels();
    const double vin = ctx.vrms_of(*p.level, p.load_ohm);
    for (std::size_t d = 0; d < channels.size(); ++d) {
      std::vector<double> drive(channels.size(), 0.0);
      drive[d] = vin;
      const auto tones = ctx.capture_tones(*p.frequency_hz, drive, p.load_ohm, params.analysis);
      for (std::size_t c = 0; c < tones.size(); ++c) {
        if (c == d) continue;
        nlohmann::json point = p.coordinates;
        point["driven"] = channels[d];
        ctx.add(channels[c], "crosstalk_db",
                tones[c].analysis.level_dbfs - tones[d].analysis.level_dbfs, point);
      }
    }
  }

  void finish_params(StepContext& ctx, const ToneSettingsParams&,
                     const std::vector<Point>& points) const override {
    const auto& sweeps = ctx.step().sweeps;
    if (points.size() > 1 && !sweeps.empty() &&
        sweeps.back().dimension == record::Dimension::frequency)
      add_family(ctx, sweeps.back().parameter, "crosstalk_db", sweeps.back().parameter, "Hz",
                 "crosstalk_db");
  }
};

}  // namespace

const StepKind& crosstalk_step_kind() {
  static const CrosstalkKind kind;
  return kind;
}

}  // namespace ampbench::sequence
