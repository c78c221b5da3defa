// Step kind crosstalk: each channel driven in turn with the others silent; the level on
// each undriven output re the driven one; over a frequency sweep, crosstalk versus
// frequency, a curve per driven channel and listening channel. At an output level, the
// driven channel is driven to it (its input found with every channel driven).
#include "dsp/units.hpp"
#include "sequence/output_level.hpp"
#include "sequence/step_context.hpp"
#include "sequence/steps/families.hpp"

namespace ampbench::sequence {
namespace {

constexpr std::string_view kKeys[] = {"thdn_method", "weighting", "band"};
constexpr MeasurementSpec kMeasurements[] = {{"crosstalk_db", "dB"}, {"level_dbv", "dBV"}};
constexpr std::string_view kSharedCurves[] = {"crosstalk_db"};  // multitone's declaration

constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level,
                                                     record::StimulusField::output_level};

class CrosstalkKind : public ToneLevelKind {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "crosstalk"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const std::string_view> keys() const override { return kKeys; }
  std::span<const std::string_view> shared_curves() const override { return kSharedCurves; }

 protected:
  void run(StepContext& ctx, const ToneSettingsParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    const auto& channels = ctx.channels();
    const auto found = input_for_point(ctx, p, *p.frequency_hz);
    if (!found.unreachable.empty()) {
      ctx.end_condition(p, found.unreachable, found.unreachable_by_bench);
      return;
    }
    for (std::size_t d = 0; d < channels.size(); ++d) {
      std::vector<double> drive(channels.size(), 0.0);
      drive[d] = found.vin[d];
      const auto tones = ctx.capture_tones(*p.frequency_hz, drive, p.load_ohm, params.analysis);
      nlohmann::json point = p.coordinates;
      point["driven"] = channels[d];
      // The level the crosstalk is re: the driven output's.
      ctx.add(channels[d], "level_dbv", dsp::vrms_to_dbv(tones[d].vrms_out), point);
      for (std::size_t c = 0; c < tones.size(); ++c)
        if (c != d)
          ctx.add(channels[c], "crosstalk_db",
                  tones[c].analysis.level_dbfs - tones[d].analysis.level_dbfs, point);
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
