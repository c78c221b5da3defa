// Step kind hold: a steady sine held on every channel at a level for duration_s, as FTC 16
// CFR 432 preconditions an amplifier (an hour at 1/8 of its rated power) before it is rated.
// It plays in pieces of a second, so Ctrl-C ends it within one and progress counts them;
// the last piece's output rms is compared with the first's (a protection circuit or a heat
// sink that gave up shows there), and a last capture is analysed: where the output ended and
// its THD+N.
#include <algorithm>
#include <cmath>

#include "common/text.hpp"
#include "dsp/signal.hpp"
#include "dsp/units.hpp"
#include "sequence/output_level.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

struct HoldParams : StepParams {
  ToneSettings analysis;
  double duration_s = 0.0;
};

constexpr double kPieceS = 1.0;

constexpr std::string_view kKeys[] = {"duration_s", "thdn_method", "weighting", "band"};
constexpr MeasurementSpec kMeasurements[] = {{"held_s", "s"},          {"level_dbv", "dBV"},
                                             {"power_w", "W"},         {"thdn_pct", "%"},
                                             {"level_drift_db", "dB"}, {"input_level_dbv", "dBV"}};
constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level,
                                                     record::StimulusField::output_level};

class HoldKind : public StepKindWith<HoldParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "hold"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  HoldParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                          const std::string& p) const override {
    HoldParams params;
    params.analysis = parse_tone_settings(r, t, p);
    const auto duration = r.number(t, "duration_s", p);
    if (!duration || !(*duration > 0.0))
      r.fail(duration ? t.get("duration_s") : &t, p + ".duration_s",
             "a hold step needs how long it holds (s, above 0)");
    params.duration_s = *duration;
    require(r, t, step.stimulus.frequency_hz || step.sweeps_over(record::Dimension::frequency),
            p + "." + std::string(record::path_of(record::StimulusField::frequency_hz)),
            "required for a hold step");
    require(r, t,
            step.stimulus.level || step.sweeps_over(record::Dimension::level) ||
                step.stimulus.output_level || step.sweeps_over(record::Dimension::output_level),
            p + "." + std::string(record::path_of(record::StimulusField::level)),
            "required for a hold step (or stimulus.output_level)");
    return params;
  }

  void run(StepContext& ctx, const HoldParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    const double f = *p.frequency_hz;
    const auto found = input_for_point(ctx, p, f);
    if (!found.unreachable.empty()) {
      ctx.end_condition(p, found.unreachable, found.unreachable_by_bench);
      return;
    }
    const std::size_t channels = ctx.channels().size();
    const auto piece_frames = static_cast<std::size_t>(std::llround(kPieceS * ctx.fs()));
    // The analysed capture at the end holds the level too: the pieces make up the rest.
    const double final_s =
        static_cast<double>(ctx.settle_frames() + ctx.analysed_frames()) / ctx.fs();
    const auto pieces =
        static_cast<int>(std::max(0.0, std::ceil((params.duration_s - final_s) / kPieceS - 1e-9)));
    std::vector<std::vector<double>> x;
    for (const double vin : found.vin)
      x.push_back(ctx.steady({{f, ctx.peak_fs_of_vrms(vin), 0.0}}, 0, piece_frames));
    std::vector<double> first_rms(channels, 0.0), last_rms(channels, 0.0);
    const std::size_t skip = std::min(ctx.settle_frames(), piece_frames / 2);
    for (int i = 0; i < pieces; ++i) {
      ctx.check_abort();
      const audio::Capture piece = ctx.play(x, piece_frames, p.load_ohm);
      for (std::size_t c = 0; c < channels; ++c) {
        last_rms[c] = dsp::ac_rms(std::span(piece.audio.channels[c]).subspan(skip));
        if (i == 0) first_rms[c] = last_rms[c];
      }
      ctx.progress(i + 1, pieces + 1);
    }
    ctx.check_abort();
    const auto tones = ctx.capture_tones(f, found.vin, p.load_ohm, params.analysis);
    ctx.progress(pieces + 1, pieces + 1);
    const double held_s = pieces * kPieceS + final_s;
    for (std::size_t c = 0; c < channels; ++c) {
      const auto& ch = ctx.channels()[c];
      const auto& tone = tones[c];
      ctx.add(ch, "held_s", held_s, p.coordinates, f);
      ctx.add(ch, "level_dbv", dsp::vrms_to_dbv(tone.vrms_out), p.coordinates, f);
      if (p.load_ohm)
        ctx.add(ch, "power_w", tone.vrms_out * tone.vrms_out / *p.load_ohm, p.coordinates, f);
      ctx.add(ch, "thdn_pct", tone.analysis.thdn_pct(), p.coordinates, f);
      if (pieces > 1)
        ctx.add(ch, "level_drift_db", dsp::amplitude_ratio_to_db(last_rms[c] / first_rms[c]),
                p.coordinates, f);
      if (p.output_level)
        ctx.add(ch, "input_level_dbv", dsp::vrms_to_dbv(found.vin[c]), p.coordinates, f);
    }
  }
};

}  // namespace

const StepKind& hold_step_kind() {
  static const HoldKind kind;
  return kind;
}

}  // namespace ampbench::sequence
