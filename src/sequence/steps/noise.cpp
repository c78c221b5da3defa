// Step kind noise: the output noise with no signal (band and weighting as given) and the
// output's DC offset, SNR re a reference output level; with a tone, AES17 dynamic range; with
// `ein`, a mic preamp's equivalent input noise.
#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

// Equivalent input noise of a mic preamp: the input terminated in source_ohm; the gain
// measured with a 1 kHz sine at `level` refers the output noise to the input.
struct EinSpec {
  double source_ohm = 150.0;
  Level level{-60.0, LevelUnit::dbu};
};

struct NoiseParams : StepParams {
  ToneSettings analysis;
  std::optional<Level> reference;  // SNR (or dynamic range) re this output level
  std::optional<EinSpec> ein;
};

constexpr std::string_view kKeys[] = {"reference", "ein", "thdn_method", "weighting", "band"};
constexpr MeasurementSpec kMeasurements[] = {{"noise_dbv", "dBV"},
                                             {"snr_db", "dB"},
                                             {"dynamic_range_db", "dB"},
                                             {"ein_dbu", "dBu"},
                                             {"ein_a_dbu", "dBu"},
                                             {"dc_offset_v", "V"},
                                             {"noise_density_nv_rthz", "nV/rtHz"}};
constexpr CurveSpec kCurves[] = {{"noise_density_nv_rthz", "Output noise density", "Frequency (Hz)",
                                  "Noise density (nV/√Hz)", true, true}};

constexpr record::StimulusField kStimulusFields[] = {record::StimulusField::frequency_hz,
                                                     record::StimulusField::level};

class NoiseKind : public StepKindWith<NoiseParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override {
    return kStimulusFields;
  }
  std::string_view name() const override { return "noise"; }
  std::string_view why_not_read(record::StimulusField field) const override {
    return field == record::StimulusField::output_level
               ? "it plays no tone; its SNR is re `reference`, which takes an output level "
                 "(\"1 W\", \"2.83 V\")"
               : "";
  }
  std::span<const MeasurementSpec> measurements() const override { return kMeasurements; }
  std::span<const CurveSpec> curves() const override { return kCurves; }
  std::span<const std::string_view> keys() const override { return kKeys; }

 protected:
  nlohmann::json conditions_of(const NoiseParams& params) const override {
    auto c = tone_conditions(params.analysis);
    if (!c.contains("weighting")) c["weighting"] = "unweighted";  // a noise figure says so
    if (params.reference) c["reference"] = "re " + format_level(*params.reference);
    return c;
  }

  NoiseParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                           const std::string& p) const override {
    NoiseParams params;
    params.analysis = parse_tone_settings(r, t, p);
    if (const toml::node* ref = t.get("reference"))
      params.reference = level_field(r, ref, p + ".reference");
    if (const toml::table* e = r.table(t, "ein", p, false)) {
      const std::string q = p + ".ein";
      r.reject_unknown_keys(*e, q, {"source_ohm", "level"});
      EinSpec ein;
      if (const auto ohm = r.number(*e, "source_ohm", q)) {
        if (*ohm < 0.0 || *ohm > 1e6)
          r.fail(e->get("source_ohm"), q + ".source_ohm", "must be 0 to 1 Mohm");
        ein.source_ohm = *ohm;
      }
      if (const toml::node* level = e->get("level"))
        ein.level = level_field(r, level, q + ".level");
      params.ein = ein;
    }
    const bool tone = step.stimulus.frequency_hz && step.stimulus.level;
    require(r, t, !tone || params.reference.has_value(), p + ".reference",
            "a noise step with a tone (AES17 dynamic range) needs the maximum output level as "
            "reference");
    require(r, t, !params.ein || !tone, p + ".ein",
            "EIN and dynamic range are separate noise steps");
    require(r, t,
            !params.reference || !is_power(params.reference->unit) || step.load_ohm ||
                step.sweeps_over(record::Dimension::load),
            p + ".reference", "a reference in W needs the step's load_ohm");
    return params;
  }

  void check_params(StepChecks& checks, const NoiseParams& params) const override {
    if (!params.ein) return;
    const auto& station = checks.station();
    try {
      const double v = level_to_vrms(
          params.ein->level, {station.audio.calibration.output_vrms_at_0dbfs, std::nullopt});
      if (v > station.safety.max_output_vrms * (1 + 1e-9))
        checks.error("ein.level",
                     format_level(params.ein->level) + " is above the station's max_output_vrms");
    } catch (const std::invalid_argument& e) {
      checks.error("ein.level", e.what());
    }
  }

  void run(StepContext& ctx, const NoiseParams& params, const Point& p, std::size_t,
           std::size_t) const override {
    if (params.ein) return equivalent_input_noise(ctx, params, p);
    if (p.frequency_hz && p.level) return dynamic_range(ctx, params, p);
    const audio::Capture capture =
        ctx.play({}, ctx.settle_frames() + ctx.analysed_frames(), p.load_ohm);
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const auto spectrum =
          dsp::power_spectrum(ctx.analysed(capture, c), ctx.fs(),
                              dsp::WindowKind::blackman_harris_7, dsp::DcLevel::remove);
      const double rms_fs =
          dsp::band_rms_fs(spectrum, params.analysis.band, params.analysis.weighting);
      const double vrms = ctx.volts_at_dut_output(dsp::mean_square_to_dbfs(rms_fs * rms_fs));
      ctx.add(ctx.channels()[c], "noise_dbv", dsp::vrms_to_dbv(vrms), p.coordinates);
      add_density(ctx, spectrum, ctx.channels()[c], p);
      ctx.add(ctx.channels()[c], "dc_offset_v", ctx.dc_volts_at_dut_output(spectrum.dc_fs),
              p.coordinates);
      if (params.reference) {
        const double ref =
            ctx.vrms_of(*params.reference, p.load_ohm ? p.load_ohm : ctx.step().load_ohm);
        ctx.add(ctx.channels()[c], "snr_db", dsp::amplitude_ratio_to_db(ref / vrms), p.coordinates);
      }
    }
  }

 private:
  // The output's noise density, nV/√Hz: at 1 kHz (the octave around it) and over the octaves
  // from 31.5 Hz to 16 kHz as a curve.
  static void add_density(StepContext& ctx, const dsp::PowerSpectrum& spectrum,
                          const std::string& channel, const Point& p) {
    const auto nv = [&](double centre_hz) {
      const double fs_per_rthz =
          dsp::noise_density_fs(spectrum, centre_hz / std::sqrt(2.0), centre_hz * std::sqrt(2.0));
      return ctx.volts_at_dut_output(dsp::mean_square_to_dbfs(fs_per_rthz * fs_per_rthz)) * 1e9;
    };
    ctx.add(channel, "noise_density_nv_rthz", nv(1000.0), p.coordinates);
    record::CurveRecord curve{channel, "noise_density_nv_rthz", "Hz", "nV/rtHz", {},
                              {},      p.coordinates,           {}};
    for (double centre = 31.25; centre < 0.45 * ctx.fs() / std::sqrt(2.0) && centre <= 16000.0;
         centre *= 2.0) {
      const double density = nv(centre);
      if (!std::isfinite(density)) continue;
      curve.x.push_back(centre);
      curve.y.push_back(density);
    }
    if (curve.x.size() > 1) ctx.add_curve(std::move(curve));
  }

  // AES17 dynamic range: a tone about 60 dB below the maximum (the step's `reference`, an
  // output level), weighted THD+N; DR = 20·lg(max/output) − THD+N(dB).
  static void dynamic_range(StepContext& ctx, const NoiseParams& params, const Point& p) {
    const double vin = ctx.vrms_of(*p.level, p.load_ohm);
    const auto tones =
        ctx.capture_tones(*p.frequency_hz, std::vector<double>(ctx.channels().size(), vin),
                          p.load_ohm, params.analysis);
    const double max_vrms =
        ctx.vrms_of(*params.reference, p.load_ohm ? p.load_ohm : ctx.step().load_ohm);
    for (std::size_t c = 0; c < tones.size(); ++c) {
      const double max_re_level_db = dsp::amplitude_ratio_to_db(max_vrms / tones[c].vrms_out);
      ctx.add(ctx.channels()[c], "dynamic_range_db",
              dsp::dynamic_range_db(tones[c].analysis, max_re_level_db), p.coordinates);
    }
  }

  // EIN: the input terminated in R_s; the gain from a 1 kHz sine at the EIN level (from
  // the source's open-circuit volts, so the termination's divider counts as the DUT's);
  // then the output noise 20 Hz–20 kHz, unweighted and A-weighted, over that gain, in dBu.
  static void equivalent_input_noise(StepContext& ctx, const NoiseParams& params, const Point& p) {
    auto& dut = ctx.bench().dut;
    if (!dut) throw MeasurementError("this bench cannot terminate the DUT's input");
    const EinSpec& ein = *params.ein;
    const SourceDirectAgain restore(*dut);
    dut->set_series_ohm(ein.source_ohm);
    const double vin = ctx.vrms_of(ein.level, p.load_ohm);
    const auto tones = ctx.capture_tones(1000.0, std::vector<double>(ctx.channels().size(), vin),
                                         p.load_ohm, params.analysis);
    const audio::Capture capture =
        ctx.play({}, ctx.settle_frames() + ctx.analysed_frames(), p.load_ohm);
    for (std::size_t c = 0; c < ctx.channels().size(); ++c) {
      const double gain = tones[c].vrms_out / vin;
      if (!(gain > 0.0))
        throw MeasurementError(ctx.channels()[c] + ": no gain to refer the noise to");
      const auto spectrum =
          dsp::power_spectrum(ctx.analysed(capture, c), ctx.fs(),
                              dsp::WindowKind::blackman_harris_7, dsp::DcLevel::remove);
      for (const auto weighting : {dsp::Weighting::none, dsp::Weighting::a}) {
        const double rms_fs = dsp::band_rms_fs(spectrum, dsp::FrequencyBand::audio(), weighting);
        const double out_vrms = ctx.volts_at_dut_output(dsp::mean_square_to_dbfs(rms_fs * rms_fs));
        auto point = p.coordinates;
        point["source_ohm"] = ein.source_ohm;
        ctx.add(ctx.channels()[c], weighting == dsp::Weighting::none ? "ein_dbu" : "ein_a_dbu",
                dsp::vrms_to_dbu(out_vrms / gain), point);
        ctx.flag_noise_at_analyzer_limit(out_vrms);
      }
    }
  }
};

}  // namespace

const StepKind& noise_step_kind() {
  static const NoiseKind kind;
  return kind;
}

}  // namespace ampbench::sequence
