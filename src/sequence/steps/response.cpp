// Step kind frequency_response: the gain from from_hz to to_hz, stepped (a sine per
// frequency, from the interface or the generator) or by one synchronised swept sine (which
// also gives phase and THD versus frequency); deviation re the gain at 1 kHz, or from a
// target curve (RIAA or a table), with its limit mask; -3 dB corners and shelf figures.
#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "dsp/sweep.hpp"
#include "dsp/target_curve.hpp"
#include "sequence/output_level.hpp"
#include "sequence/step_context.hpp"
#include "sequence/steps/response_figures.hpp"

namespace ampbench::sequence {
namespace {

struct ResponseParams : StepParams {
  bool swept = false;  // method = "sweep"
  ToneSettings analysis;
  std::optional<TargetCurve> target;
};

// A swept response's default: 48 points per octave, the resolution REW and the lab expect.
int swept_points(double f1, double f2) {
  return std::clamp(static_cast<int>(std::ceil(48.0 * std::log2(f2 / f1))) + 1, 2, 1000);
}

std::vector<double> log_grid(double f1, double f2, int points) {
  std::vector<double> f;
  for (int i = 0; i < points; ++i) f.push_back(f1 * std::pow(f2 / f1, double(i) / (points - 1)));
  return f;
}

// The sweep runs two octaves below and a little above the reported band, where its band
// tapers lie (dsp/sweep.hpp).
dsp::SyncSweep design_sweep(double from_hz, double to_hz, double duration_s, double fs) {
  return dsp::SyncSweep::design(
      from_hz / 4.0, std::min(to_hz * std::pow(2.0, 1.0 / 8.0), 0.48 * fs), duration_s, fs);
}

constexpr std::string_view kKeys[] = {"method", "target", "thdn_method", "weighting", "band"};
constexpr MeasurementSpec kMeasurements[] = {{"deviation_db", "dB"},
                                             {"deviation_min_db", "dB"},
                                             {"deviation_max_db", "dB"},
                                             {"f_low_3db_hz", "Hz"},
                                             {"f_high_3db_hz", "Hz"},
                                             {"gain_db", "dB"},
                                             {"gain_100hz_db", "dB"},
                                             {"gain_10khz_db", "dB"},
                                             {"bass_turnover_hz", "Hz"},
                                             {"treble_turnover_hz", "Hz"},
                                             {"polarity", ""}};
constexpr CurveSpec kCurves[] = {
    {"response_db", "Frequency response", "Frequency (Hz)", "Gain (dB)", true, false},
    {"phase_deg", "Phase", "Frequency (Hz)", "Phase (°)", true, false},
    {"group_delay_ms", "Group delay", "Frequency (Hz)", "Group delay (ms)", true, false},
    {"deviation_db", "Deviation from the target curve", "Frequency (Hz)", "Deviation (dB)", true,
     false},
    {"thd_vs_freq_pct", "THD versus frequency", "Frequency (Hz)", "THD (%)", true, true}};

constexpr record::StimulusField kStimulusFields[] = {
    record::StimulusField::level,   record::StimulusField::output_level,
    record::StimulusField::from_hz, record::StimulusField::to_hz,
    record::StimulusField::points,  record::StimulusField::duration_s};

class ResponseKind : public StepKindWith<ResponseParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "frequency_response"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  // A tone's level at each frequency: neither weighting nor band changes it.
  nlohmann::json conditions_of(const ResponseParams&) const override {
    return nlohmann::json::object();
  }

  ResponseParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                              const std::string& p) const override {
    ResponseParams params;
    if (auto m = r.string(t, "method", p)) {
      if (*m != "stepped" && *m != "sweep")
        r.fail(t.get("method"), p + ".method", "must be \"stepped\" or \"sweep\"");
      params.swept = *m == "sweep";
    }
    params.analysis = parse_tone_settings(r, t, p);
    // A response point needs only the tone's level, wherever the band edges are.
    params.analysis.band = dsp::FrequencyBand::full();
    if (const toml::node* target = t.get("target"))
      params.target = parse_target(r, target, p + ".target");
    require(r, t, step.stimulus.from_hz && step.stimulus.to_hz,
            p + "." + std::string(record::path_of(record::StimulusField::from_hz)),
            "from_hz and to_hz are required");
    require(r, t,
            step.stimulus.level || step.sweeps_over(record::Dimension::level) ||
                step.stimulus.output_level || step.sweeps_over(record::Dimension::output_level),
            p + "." + std::string(record::path_of(record::StimulusField::level)),
            "required for a frequency_response step (or output_level)");
    return params;
  }

  bool generator_drives(const ResponseParams& params) const override { return !params.swept; }

  void check_params(StepChecks& checks, const ResponseParams& params) const override {
    const auto& s = checks.step();
    const double fs = checks.station().audio.sample_rate_hz;
    if (!params.swept || !s.stimulus.to_hz || *s.stimulus.to_hz >= fs / 2.0) return;
    // The sweep must reach past to_hz by its top taper (1/12 octave), below 0.48·fs.
    char text[160];
    if (*s.stimulus.to_hz * std::pow(2.0, 1.0 / 12.0) > 0.48 * fs) {
      std::snprintf(text, sizeof text,
                    "%g Hz is too close to half the sample rate for a sweep (at most %.0f Hz)",
                    *s.stimulus.to_hz, 0.48 * fs / std::pow(2.0, 1.0 / 12.0));
      checks.error(record::StimulusField::to_hz, text);
    }
    try {
      dsp::SyncSweep::design(*s.stimulus.from_hz / 4.0,
                             *s.stimulus.to_hz * std::pow(2.0, 1.0 / 8.0), s.stimulus.duration_s,
                             fs);
    } catch (const UsageError& e) {
      checks.error(record::StimulusField::duration_s, e.what());
    }
  }

  void run(StepContext& ctx, const ResponseParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    const auto& s = ctx.step();
    // At an output level: the input that gives it at the reference frequency, one for every
    // channel (their mean in dB: a swept sine drives all alike).
    const auto found = input_for_point(ctx, p, reference_hz(s));
    if (!found.unreachable.empty()) {
      ctx.end_condition(p, found.unreachable, found.unreachable_by_bench);
      return;
    }
    double mean_db = 0.0;
    for (double v : found.vin)
      mean_db += dsp::vrms_to_dbv(v) / static_cast<double>(found.vin.size());
    const double vin = dsp::dbv_to_vrms(mean_db);
    const auto data = params.swept ? swept(ctx, p, vin) : stepped(ctx, params, p, vin);
    const Limit* mask = s.limits.count("deviation_db") ? &s.limits.at("deviation_db") : nullptr;
    if (mask) ctx.limit_judged("deviation_db");
    for (std::size_t c = 0; c < data.size(); ++c) {
      const auto& d = data[c];
      const auto& ch = ctx.channels()[c];
      ctx.add(ch, "gain_db", d.reference_gain_db, p.coordinates);
      // Deviation re the reference gain, and from the target curve when there is one.
      std::vector<double> deviation(d.frequency_hz.size());
      for (std::size_t i = 0; i < d.frequency_hz.size(); ++i)
        deviation[i] = d.gain_db[i] - d.reference_gain_db -
                       (params.target ? params.target->db(d.frequency_hz[i]) : 0.0);
      const auto range = deviation_range(d.frequency_hz, deviation, mask);
      if (params.target) {
        auto point = p.coordinates;
        point["target"] = params.target->name;
        ctx.add_curve({ch, "deviation_db", "Hz", "dB", d.frequency_hz, deviation, point});
      }
      add_shelf_figures(ctx, d, ch, p.coordinates);
      if (d.polarity)
        ctx.add(ch, "polarity", *d.polarity, p.coordinates);
      else if (!d.no_polarity_reason.empty())
        ctx.add_missing(ch, "polarity", d.no_polarity_reason, p.coordinates);
      // The deviation_db mask bounds both figures; their own limits, if given, take over.
      ctx.add_judged({ch, "deviation_min_db", range.min_db, "dB", range.min_limit_db, std::nullopt,
                      record::Verdict::pass, p.coordinates, ""});
      ctx.add_judged({ch, "deviation_max_db", range.max_db, "dB", std::nullopt, range.max_limit_db,
                      record::Verdict::pass, p.coordinates, ""});
      const double reference = reference_hz(s);
      if (auto f = corner_hz(d, reference, -1)) ctx.add(ch, "f_low_3db_hz", *f, p.coordinates);
      if (auto f = corner_hz(d, reference, +1)) ctx.add(ch, "f_high_3db_hz", *f, p.coordinates);
      ctx.add_curve({ch, "response_db", "Hz", "dB", d.frequency_hz, d.gain_db, p.coordinates});
      if (!d.phase_deg.empty()) {
        ctx.add_curve({ch, "phase_deg", "Hz", "deg", d.frequency_hz, d.phase_deg, p.coordinates});
        if (auto delay = group_delay_ms(d.frequency_hz, d.phase_deg); !delay.empty())
          ctx.add_curve(
              {ch, "group_delay_ms", "Hz", "ms", d.frequency_hz, std::move(delay), p.coordinates});
      }
      record::CurveRecord thd{ch, "thd_vs_freq_pct", "Hz", "%", {}, {}, p.coordinates};
      for (std::size_t i = 0; i < d.thd_pct.size(); ++i) {
        if (!std::isfinite(d.thd_pct[i])) continue;
        thd.x.push_back(d.frequency_hz[i]);
        thd.y.push_back(d.thd_pct[i]);
      }
      if (!thd.x.empty()) ctx.add_curve(std::move(thd));
    }
  }

 private:
  static double reference_hz(const StepPlan& s) {
    return std::clamp(1000.0, *s.stimulus.from_hz, *s.stimulus.to_hz);
  }

  static std::vector<ResponseData> stepped(StepContext& ctx, const ResponseParams& params,
                                           const Point& p, double vin) {
    const auto& s = ctx.step();
    const std::vector<double> drive(ctx.channels().size(), vin);
    const auto reference = ctx.capture_tones(reference_hz(s), drive, p.load_ohm, params.analysis);
    const auto freqs =
        log_grid(*s.stimulus.from_hz, *s.stimulus.to_hz, s.stimulus.points.value_or(31));
    std::vector<ResponseData> data(ctx.channels().size());
    std::vector<std::vector<double>> phases(data.size());
    for (std::size_t c = 0; c < data.size(); ++c) {
      data[c].frequency_hz = freqs;
      data[c].reference_gain_db = dsp::amplitude_ratio_to_db(reference[c].vrms_out / vin);
      // At the reference frequency; a generator's says nothing unless a limit asks.
      const auto reading = polarity_of(reference[c]);
      data[c].polarity = reading.sign;
      if (!reading.unknown_phase || s.limits.count("polarity"))
        data[c].no_polarity_reason = reading.why_not;
    }
    for (std::size_t i = 0; i < freqs.size(); ++i) {
      ctx.progress(static_cast<int>(i), static_cast<int>(freqs.size()));
      const auto tones = ctx.capture_tones(freqs[i], drive, p.load_ohm, params.analysis);
      for (std::size_t c = 0; c < data.size(); ++c) {
        data[c].gain_db.push_back(dsp::amplitude_ratio_to_db(tones[c].vrms_out / vin));
        // The output's phase re the interface's sine; none from an external generator.
        if (tones[c].phase_deg) phases[c].push_back(*tones[c].phase_deg);
      }
    }
    for (std::size_t c = 0; c < data.size(); ++c)
      if (phases[c].size() == freqs.size()) data[c].phase_deg = std::move(phases[c]);
    return data;
  }

  static std::vector<ResponseData> swept(StepContext& ctx, const Point& p, double vin) {
    const auto& s = ctx.step();
    const double from = *s.stimulus.from_hz, to = *s.stimulus.to_hz;
    const auto sweep = design_sweep(from, to, s.stimulus.duration_s, ctx.fs());
    // A sweep's (and a two-tone's) level is that of the sine with the same peak.
    const auto x = dsp::generate_sync_sweep(sweep, ctx.peak_fs_of_vrms(vin));
    const std::size_t frames =
        x.size() + static_cast<std::size_t>(std::llround(std::max(0.25, s.settle_s) * ctx.fs()));
    const audio::Capture capture =
        ctx.play(std::vector<std::vector<double>>(ctx.channels().size(), x), frames, p.load_ohm);
    dsp::SweepAnalysisOptions options;
    options.latency_samples = 0.0;  // the port already aligned the capture
    options.frequencies_hz = log_grid(from, to, s.stimulus.points.value_or(swept_points(from, to)));
    options.frequencies_hz.push_back(reference_hz(s));
    std::vector<double> stimulus(frames, 0.0);
    std::copy(x.begin(), x.end(), stimulus.begin());
    // Divided by the loopback reference, H1 is DUT output over interface output, both read
    // by the same input: only the attenuator is left between it and volts over volts.
    double to_volts_db = dsp::amplitude_ratio_to_db(ctx.volts_gain_of_fs_ratio());
    if (ctx.station().audio.loopback) {
      options.reference = capture.audio.channels.back();
      to_volts_db = -ctx.station().attenuator_gain_db;
    }
    std::vector<ResponseData> data(ctx.channels().size());
    for (std::size_t c = 0; c < data.size(); ++c) {
      const auto r = dsp::analyze_sync_sweep(capture.audio.channels[c], stimulus, sweep, options);
      const std::size_t n = options.frequencies_hz.size() - 1;
      for (std::size_t i = 0; i < n; ++i) {
        data[c].frequency_hz.push_back(r.frequency_hz[i]);
        data[c].gain_db.push_back(r.h1_db(i) + to_volts_db);
        data[c].phase_deg.push_back(r.h1_phase_deg(i));
        data[c].thd_pct.push_back(100.0 * r.thd_ratio(i));
      }
      data[c].reference_gain_db = r.h1_db(n) + to_volts_db;
      data[c].polarity = r.polarity;
    }
    return data;
  }

  // Gain re 1 kHz at 100 Hz and 10 kHz (tone controls) and each shelf's turnover.
};

}  // namespace

const StepKind& frequency_response_step_kind() {
  static const ResponseKind kind;
  return kind;
}

}  // namespace ampbench::sequence
