// Step kind multitone: one designed multitone on every channel at once (each channel its own
// interleaved tone set, dsp/multitone.hpp), one capture of settle_s and `averages` periods,
// and from it per channel the gain and level, the frequency response and phase at the
// tones, TD+N and noise from the bins between them, crosstalk from the other channels'
// tones, whether each output carries its own input's tones, and polarity.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "sequence/step_context.hpp"
#include "sequence/steps/multitone_designs.hpp"
#include "sequence/steps/response_figures.hpp"

namespace ampbench::sequence {
namespace {

using Complex = std::complex<double>;

struct MultitoneParams : StepParams {
  int tones = 31;                 // per channel
  std::size_t period_frames = 0;  // 0: the power of two nearest a third of a second
  int averages = 1;
  double reference_hz = 1000.0;
  std::optional<dsp::FrequencyBand> band;  // TD+N and noise; default the tones' band
  std::optional<TargetCurve> target;       // deviation from this curve (RIAA, a table)
};

constexpr std::string_view kKeys[] = {
    "tones", "tones_per_octave", "fft_size", "averages", "reference_hz", "band", "target"};
constexpr MeasurementSpec kMeasurements[] = {
    {"gain_db", "dB"},          {"level_dbv", "dBV"},
    {"deviation_db", "dB"},     {"deviation_min_db", "dB"},
    {"deviation_max_db", "dB"}, {"tdn_db", "dB"},
    {"tdn_pct", "%"},           {"noise_dbv", "dBV"},
    {"crosstalk_db", "dB"},     {"channel_map_ok", ""},
    {"polarity", ""},           {"dc_offset_v", "V"},
    {"gain_100hz_db", "dB"},    {"gain_10khz_db", "dB"},
    {"bass_turnover_hz", "Hz"}, {"treble_turnover_hz", "Hz"}};
// Its response_db, phase_deg and spectrum_dbv curves are those frequency_response and the
// tone kinds declare (one declaration per curve name).
constexpr CurveSpec kCurves[] = {
    {"crosstalk_db", "Crosstalk", "Frequency (Hz)", "Crosstalk (dB)", true}};
constexpr std::string_view kSharedCurves[] = {"response_db", "phase_deg", "group_delay_ms",
                                              "spectrum_dbv"};

std::size_t period_frames(const MultitoneParams& params, double fs) {
  if (params.period_frames) return params.period_frames;
  return dsp::default_multitone_period(fs);
}

dsp::MultitoneRequest request_for(const StepPlan& step, const MultitoneParams& params, double fs,
                                  std::size_t channels) {
  dsp::MultitoneRequest r;
  r.sample_rate_hz = fs;
  r.period_frames = period_frames(params, fs);
  r.from_hz = step.stimulus.from_hz.value_or(20.0);
  r.to_hz = std::min(step.stimulus.to_hz.value_or(20000.0), 0.45 * fs);
  r.tones_per_channel = params.tones;
  r.channels = channels;
  r.reference_hz = params.reference_hz;
  return r;
}

double db_of_ratio(double ratio) {
  return 20.0 * std::log10(ratio);
}

constexpr record::StimulusField kStimulusFields[] = {
    record::StimulusField::level, record::StimulusField::from_hz, record::StimulusField::to_hz};

class MultitoneKind : public StepKindWith<MultitoneParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "multitone"; }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> shared_curves() const override { return kSharedCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  nlohmann::json conditions_of(const MultitoneParams& params) const override {
    nlohmann::json c = nlohmann::json::object();
    c["tones"] = std::to_string(params.tones) + " tones";
    if (params.band) c["band"] = band_in_words(*params.band);
    return c;
  }

  MultitoneParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                               const std::string& p) const override {
    MultitoneParams params;
    require(r, t, step.stimulus.level.has_value() || step.sweeps_over(record::Dimension::level),
            p + "." + std::string(record::path_of(record::StimulusField::level)),
            "required for a multitone step (the rms of each channel's tones)");
    if (const auto tones = r.integer(t, "tones", p)) {
      require(r, t, *tones >= 1 && *tones <= 200, p + ".tones", "must be 1 to 200 per channel");
      params.tones = static_cast<int>(*tones);
    }
    if (const auto per_octave = r.number(t, "tones_per_octave", p)) {
      require(r, t, !t.get("tones"), p + ".tones_per_octave", "give tones or tones_per_octave");
      require(r, t, *per_octave > 0.0 && *per_octave <= 24.0, p + ".tones_per_octave",
              "must be above 0 and at most 24");
      params.tones = dsp::tones_for_octaves(*per_octave, step.stimulus.from_hz.value_or(20.0),
                                            step.stimulus.to_hz.value_or(20000.0));
    }
    if (const auto size = r.integer(t, "fft_size", p)) {
      require(r, t, *size >= 4096 && *size <= 1048576 && (*size & (*size - 1)) == 0,
              p + ".fft_size", "must be a power of two from 4096 to 1048576");
      params.period_frames = static_cast<std::size_t>(*size);
    }
    if (const auto averages = r.integer(t, "averages", p)) {
      require(r, t, *averages >= 1 && *averages <= 64, p + ".averages", "must be 1 to 64");
      params.averages = static_cast<int>(*averages);
    }
    if (const auto reference = r.number(t, "reference_hz", p)) {
      require(r, t, *reference > 0.0, p + ".reference_hz", "must be positive");
      params.reference_hz = *reference;
    }
    if (t.get("band")) params.band = parse_tone_settings(r, t, p).band;
    if (const toml::node* target = t.get("target"))
      params.target = parse_target(r, target, p + ".target");
    return params;
  }

  void check_params(StepChecks& checks, const MultitoneParams& params) const override {
    const auto& step = checks.step();
    const auto& station = checks.station();
    if (step.stimulus.source == StimulusSource::generator) return;  // the common check says so
    const double fs = station.audio.sample_rate_hz;
    const auto request = request_for(step, params, fs, checks.plan().channels.size());
    try {
      const auto& design = multitone_design_for(request);
      // The station's maxima are a sine's rms: the multitone's true peak must stay within
      // a sine's peak at that rms.
      const double crest =
          *std::max_element(design.crest_factor.begin(), design.crest_factor.end());
      for (const auto& point : expand_points(step)) {
        if (!point.level) continue;
        const double vrms = level_to_vrms(
            *point.level, {station.audio.calibration.output_vrms_at_0dbfs, point.load_ohm});
        if (vrms * crest > station.safety.max_output_vrms * std::numbers::sqrt2 * (1 + 1e-9)) {
          char what[200];
          std::snprintf(what, sizeof what,
                        "%s of multitone peaks at %.3g V (crest factor %.2f), beyond a sine of the "
                        "station's max_output_vrms of %g Vrms",
                        format_level(*point.level).c_str(), vrms * crest, crest,
                        station.safety.max_output_vrms);
          checks.error(record::StimulusField::level, what);
        }
      }
    } catch (const std::invalid_argument& e) {
      checks.error("tones", e.what());
    }
  }

  void run(StepContext& ctx, const MultitoneParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    const auto& channels = ctx.channels();
    const double fs = ctx.fs();
    const auto& design = multitone_design_for(request_for(ctx.step(), params, fs, channels.size()));
    const std::size_t n = design.period_frames;
    const std::size_t settle = ctx.settle_frames();
    const std::size_t analysed = n * static_cast<std::size_t>(params.averages);
    // Each tone's amplitude at the DUT input, in full scale (a sine's peak).
    const double rms_fs = ctx.peak_fs_of_vrms(ctx.vrms_of(*p.level, p.load_ohm)) / std::sqrt(2.0);
    std::vector<std::vector<double>> signals;
    for (std::size_t c = 0; c < channels.size(); ++c) {
      const auto period = dsp::multitone_period(design, c, rms_fs);
      std::vector<double> x(settle + analysed);
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = period[i % n];
      // A 20 ms raised-cosine fade-in inside the settle time: the lowest tones switched on
      // at once would kick an input coupling capacitor's high-pass into a slow transient.
      dsp::fade_in(x, std::min(settle, static_cast<std::size_t>(0.02 * fs)));
      signals.push_back(std::move(x));
    }
    const auto capture = ctx.play(signals, settle + analysed, p.load_ohm);

    const double tone_fs = dsp::multitone_tone_peak(design, 0, rms_fs);
    std::vector<dsp::MultitoneSpectrum> spectra;
    for (std::size_t c = 0; c < channels.size(); ++c)
      spectra.push_back(dsp::analyse_multitone(
          std::span(capture.audio.channels[c]).subspan(settle, analysed), design));
    // The band of TD+N and noise: as given, else the tones' own band.
    const double band_from =
        params.band ? params.band->low_hz : ctx.step().stimulus.from_hz.value_or(20.0);
    const double band_to =
        std::min(0.45 * fs,
                 params.band ? params.band->high_hz : ctx.step().stimulus.to_hz.value_or(20000.0));
    for (std::size_t c = 0; c < channels.size(); ++c)
      report_channel(ctx, params, design, spectra, c, tone_fs, settle,
                     dsp::multitone_residual(spectra[c], design, band_from, band_to,
                                             static_cast<std::size_t>(params.averages)),
                     capture, p);
  }

 private:
  // The stimulus phasor of channel c's tone k at the analysed block's first sample.
  static Complex stimulus(const dsp::MultitoneDesign& d, std::size_t c, std::size_t k,
                          double tone_fs, std::size_t settle) {
    const double cycles = static_cast<double>(d.bins[c][k] * (settle % d.period_frames)) /
                          static_cast<double>(d.period_frames);
    return std::polar(tone_fs, d.phases_rad[c][k] + 2.0 * std::numbers::pi * cycles);
  }

  static void report_channel(StepContext& ctx, const MultitoneParams& params,
                             const dsp::MultitoneDesign& d,
                             const std::vector<dsp::MultitoneSpectrum>& spectra, std::size_t c,
                             double tone_fs, std::size_t settle, const dsp::MultitoneResidual& r,
                             const audio::Capture& capture, const Point& p) {
    const auto& ch = ctx.channels()[c];
    const auto& s = spectra[c];
    const double volts_gain = ctx.volts_gain_of_fs_ratio();
    const auto ms_to_dbv = [&](double ms) {
      return dsp::vrms_to_dbv(ctx.volts_at_dut_output(dsp::mean_square_to_dbfs(ms)));
    };
    record::CurveRecord response{ch, "response_db", "Hz", "dB", {}, {}, p.coordinates};
    record::CurveRecord phase{ch, "phase_deg", "Hz", "deg", {}, {}, p.coordinates};
    for (std::size_t k = 0; k < d.bins[c].size(); ++k) {
      const Complex h = s.tones[c][k] / stimulus(d, c, k, tone_fs, settle);
      response.x.push_back(d.frequency_hz(c, k));
      response.y.push_back(db_of_ratio(std::abs(h) * volts_gain));
      phase.x.push_back(d.frequency_hz(c, k));
      phase.y.push_back(std::arg(h) * 180.0 / std::numbers::pi);
    }
    const std::size_t ref = d.reference[c];
    // With a target, the gain is the reference tone's less the target's value there: the
    // gain by which the curve is scaled (RIAA's 0 dB is at 1 kHz).
    const double gain_db =
        response.y[ref] - (params.target ? params.target->db(d.frequency_hz(c, ref)) : 0.0);
    const nlohmann::json at_reference = [&] {
      auto point = p.coordinates;
      point["reference_hz"] = d.frequency_hz(c, ref);
      return point;
    }();
    const double own_ms = dsp::multitone_own_mean_square(s, c);
    const bool present = dsp::multitone_present(s, d, c, r);
    if (present) {
      ctx.add(ch, "gain_db", gain_db, at_reference);
      ctx.add(ch, "level_dbv", ms_to_dbv(own_ms), p.coordinates);
    } else {
      ctx.add_missing(ch, "gain_db", "no tone of this channel's set stands above the noise",
                      at_reference);
      ctx.add_missing(ch, "level_dbv", "no tone of this channel's set stands above the noise",
                      p.coordinates);
    }
    deviation(ctx, ch, response, gain_db, params.target, present, p);
    if (present) {
      // A tone control's figures, read off the tones as off a stepped response.
      ResponseData data;
      data.frequency_hz = response.x;
      data.gain_db = response.y;
      data.reference_gain_db = response.y[ref];
      add_shelf_figures(ctx, data, ch, p.coordinates);
    }
    ctx.add_curve(std::move(response));
    if (capture.latency_certain) {
      record::CurveRecord delay{ch,           "group_delay_ms", "Hz",
                                "ms",         phase.x,          group_delay_ms(phase.x, phase.y),
                                p.coordinates};
      if (!delay.y.empty()) ctx.add_curve(std::move(delay));
      ctx.add_curve(std::move(phase));
    }

    // Polarity from the reference tone's phase, as for a level step.
    ChannelTone reference;
    reference.phase_deg =
        std::arg(s.tones[c][ref] / stimulus(d, c, ref, tone_fs, settle)) * 180.0 / std::numbers::pi;
    reference.phase_absolute = capture.latency_certain;
    reference.analysis.fundamental_mean_square_fs = std::norm(s.tones[c][ref]) / 2.0;
    reference.analysis.prominence_db =
        10.0 * std::log10(reference.analysis.fundamental_mean_square_fs / r.noise_bin_ms);
    if (const auto reading = polarity_of(reference); reading.sign)
      ctx.add(ch, "polarity", *reading.sign, p.coordinates);
    else
      ctx.add_missing(ch, "polarity", reading.why_not, p.coordinates);

    const double tdn = r.total_ms > 0.0 ? r.residual_ms / r.total_ms : NAN;
    if (present && tdn > 0.0) {
      ctx.add(ch, "tdn_db", 10.0 * std::log10(tdn), p.coordinates);
      ctx.add(ch, "tdn_pct", 100.0 * std::sqrt(tdn), p.coordinates);
    } else {
      ctx.add_missing(ch, "tdn_db", "no tone of this channel's set stands above the noise",
                      p.coordinates);
      ctx.add_missing(ch, "tdn_pct", "no tone of this channel's set stands above the noise",
                      p.coordinates);
    }
    if (r.noise_ms > 0.0)
      ctx.add(ch, "noise_dbv", ms_to_dbv(r.noise_ms), p.coordinates);
    else
      ctx.add_missing(ch, "noise_dbv",
                      "no bin of the band is clear of the tones and their harmonics, or none "
                      "holds any noise",
                      p.coordinates);
    ctx.add(ch, "dc_offset_v", ctx.dc_volts_at_dut_output(s.dc_fs), p.coordinates);
    crosstalk(ctx, d, spectra, c, r, p);
    auto spectrum =
        ctx.spectrum_curve(std::span(capture.audio.channels[c]).subspan(settle, d.period_frames),
                           d.frequency_hz(c, ref));
    spectrum.channel = ch;
    spectrum.point = p.coordinates;  // one plot for every channel; the report marks the tones
    ctx.add_curve(std::move(spectrum));
  }

  // Deviation re the reference tone over the tones the deviation_db mask covers.
  static void deviation(StepContext& ctx, const std::string& ch,
                        const record::CurveRecord& response, double gain_db,
                        const std::optional<TargetCurve>& target, bool present, const Point& p) {
    const auto& limits = ctx.step().limits;
    const Limit* mask = limits.count("deviation_db") ? &limits.at("deviation_db") : nullptr;
    if (mask) ctx.limit_judged("deviation_db");
    std::vector<double> from_target(response.x.size());
    for (std::size_t i = 0; i < response.x.size(); ++i)
      from_target[i] = response.y[i] - gain_db - (target ? target->db(response.x[i]) : 0.0);
    if (target && present) {
      auto point = p.coordinates;
      point["target"] = target->name;
      ctx.add_curve({ch, "deviation_db", "Hz", "dB", response.x, from_target, point});
    }
    const auto range = deviation_range(response.x, from_target, mask);
    if (!present || !std::isfinite(range.min_db)) {
      const std::string why = present ? "the deviation_db mask covers no tone"
                                      : "no tone of this channel's set stands above the noise";
      ctx.add_missing(ch, "deviation_min_db", why, p.coordinates);
      ctx.add_missing(ch, "deviation_max_db", why, p.coordinates);
      return;
    }
    ctx.add_judged({ch, "deviation_min_db", range.min_db, "dB", range.min_limit_db, std::nullopt,
                    record::Verdict::pass, p.coordinates, ""});
    ctx.add_judged({ch, "deviation_max_db", range.max_db, "dB", std::nullopt, range.max_limit_db,
                    record::Verdict::pass, p.coordinates, ""});
  }

  static void crosstalk(StepContext& ctx, const dsp::MultitoneDesign& d,
                        const std::vector<dsp::MultitoneSpectrum>& spectra, std::size_t c,
                        const dsp::MultitoneResidual& r, const Point& p) {
    const auto& ch = ctx.channels()[c];
    const auto x = dsp::multitone_crosstalk(spectra, d, c, r);
    if (d.bins.size() > 1) {
      if (std::isfinite(x.worst_db)) {
        ctx.add(ch, "crosstalk_db", x.worst_db, p.coordinates);
        if (x.worst_at_noise)
          ctx.bound_last(record::BoundSide::upper,
                         "a bound (at most): at the noise floor, the crosstalk is below this");
      } else {
        ctx.add_missing(ch, "crosstalk_db", "no other channel's tones came out to compare with",
                        p.coordinates);
      }
      record::CurveRecord curve{ch, "crosstalk_db", "Hz", "dB", {}, {}, p.coordinates};
      for (const auto& [hz, db] : x.points) {
        curve.x.push_back(hz);
        curve.y.push_back(db);
      }
      if (!curve.x.empty()) ctx.add_curve(std::move(curve));
    }
    ctx.add(ch, "channel_map_ok", x.map_ok ? 1.0 : 0.0, p.coordinates);
  }
};

}  // namespace

const StepKind& multitone_step_kind() {
  static const MultitoneKind kind;
  return kind;
}

}  // namespace ampbench::sequence
