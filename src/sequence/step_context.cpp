#include "sequence/step_context.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "audio/wav.hpp"
#include "common/bench_clock.hpp"
#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "record/point_words.hpp"
#include "record/uncertainty.hpp"
#include "selftest/selftest.hpp"
#include "sequence/steps/registry.hpp"

namespace ampbench::sequence {
namespace {

// Switches the generator off however the capture ends.
class GeneratorOutputGuard {
 public:
  explicit GeneratorOutputGuard(instruments::FunctionGenerator& generator)
      : generator_(generator) {}
  ~GeneratorOutputGuard() {
    try {
      if (generator_.output_on()) generator_.output(false);
    } catch (const std::exception&) {
      // The instrument is failing; that error is already on its way to the step.
    }
  }
  GeneratorOutputGuard(const GeneratorOutputGuard&) = delete;
  GeneratorOutputGuard& operator=(const GeneratorOutputGuard&) = delete;

 private:
  instruments::FunctionGenerator& generator_;
};

}  // namespace

ToneSettings parse_tone_settings(const TomlReader& r, const toml::table& t,
                                 const std::string& field) {
  ToneSettings settings;
  try {
    if (auto m = r.string(t, "thdn_method", field))
      settings.thdn_method = dsp::parse_thdn_method(*m);
    if (auto w = r.string(t, "weighting", field)) settings.weighting = dsp::parse_weighting(*w);
    if (auto b = r.string(t, "band", field)) settings.band = dsp::parse_band(*b);
  } catch (const UsageError& e) {
    r.fail(&t, field, e.what());
  }
  return settings;
}

nlohmann::json tone_conditions(const ToneSettings& settings) {
  nlohmann::json c = nlohmann::json::object();
  if (settings.weighting != dsp::Weighting::none)
    c["weighting"] = settings.weighting == dsp::Weighting::a ? "A-weighted" : "CCIR-RMS weighted";
  c["band"] = band_in_words(settings.band);
  if (settings.thdn_method == dsp::ThdnMethod::notch) c["thdn_method"] = "THD+N by notch";
  return c;
}

std::string band_in_words(const dsp::FrequencyBand& band) {
  if (band == dsp::FrequencyBand::full()) return "full band";
  return record::frequency_in_words(band.low_hz) + "–" + record::frequency_in_words(band.high_hz);
}

void require_tone_stimulus(const TomlReader& r, const toml::table& t, const StepPlan& step,
                           const std::string& field) {
  const std::string_view kind = step.kind_name();
  const std::string what =
      std::string("required for ") +
      (std::string_view("aeiou").find(kind.front()) == std::string_view::npos ? "a " : "an ") +
      std::string(kind) + " step";
  using record::StimulusField;
  const auto path = [&](StimulusField f) { return std::string(record::path_of(f)); };
  require(r, t, step.stimulus.frequency_hz || step.sweeps_over(record::Dimension::frequency),
          field + "." + path(StimulusField::frequency_hz), what);
  const bool output_level =
      step.stimulus.output_level.has_value() || step.sweeps_over(record::Dimension::output_level);
  require(
      r, t,
      step.stimulus.level.has_value() || step.sweeps_over(record::Dimension::level) || output_level,
      field + "." + path(StimulusField::level),
      what + (step.kind->takes_output_level() ? " (or " + path(StimulusField::output_level) + ")"
                                              : ""));
}

ToneSettingsParams parse_tone_step(const TomlReader& r, const toml::table& t, const StepPlan& step,
                                   const std::string& field) {
  ToneSettingsParams params;
  params.analysis = parse_tone_settings(r, t, field);
  require_tone_stimulus(r, t, step, field);
  return params;
}

void require(const TomlReader& r, const toml::table& t, bool ok, const std::string& field,
             const std::string& what) {
  if (!ok) r.fail(&t, field, what);
}

SourceDirectAgain::~SourceDirectAgain() {
  try {
    dut_.set_series_ohm(0.0);
  } catch (const std::exception&) {
    // The step is already failing for the reason that got us here.
  }
}

void StepContext::check_abort() const {
  if (step_.cleanup || !options_.stop_signal) return;
  switch (options_.stop_signal->load()) {
    case 0:
      return;
    case SIGINT:
      throw AbortedError("stopped by the operator (Ctrl-C)");
    case SIGTERM:
      throw AbortedError("stopped by SIGTERM (a supervisor or a shutdown ended the run)");
    case kStopByOperator:
      throw AbortedError("aborted by the operator (Abort on the station's page)");
    default:
      throw AbortedError("stopped by signal " + std::to_string(options_.stop_signal->load()));
  }
}

void StepContext::select_load(double load_ohm) {
  if (bench_.loads) bench_.loads->select(load_ohm);
}

std::size_t StepContext::settle_frames() const {
  return static_cast<std::size_t>(std::llround(step_.settle_s * fs()));
}

std::size_t StepContext::analysed_frames() const {
  return std::max(static_cast<std::size_t>(std::llround(step_.capture_s * fs())),
                  min_analysed_frames_);
}

void StepContext::require_analysed_frames(std::size_t frames, const std::string& what) {
  min_analysed_frames_ = 0;
  if (frames <= analysed_frames()) return;
  if (static_cast<double>(frames) > kMaxResolvingCaptureS * fs()) {
    char text[240];
    std::snprintf(text, sizeof text, "%s within a %g s capture: it needs %.3g s", what.c_str(),
                  kMaxResolvingCaptureS, static_cast<double>(frames) / fs());
    throw MeasurementError(text);
  }
  min_analysed_frames_ = frames;
}

void StepContext::resolve_harmonics(double frequency_hz, const ToneSettings& settings) {
  min_analysed_frames_ = 0;
  if (2.0 * frequency_hz > std::min(settings.band.high_hz, fs() / 2.0)) return;  // none in band
  const std::size_t needed = dsp::frames_resolving_harmonics(frequency_hz, fs());
  if (needed <= analysed_frames()) return;
  if (static_cast<double>(needed) > kMaxResolvingCaptureS * fs()) {
    char text[200];
    std::snprintf(text, sizeof text,
                  "H2 at %g Hz cannot be told from the %g Hz fundamental within a %g s capture: "
                  "it needs %.3g s",
                  2.0 * frequency_hz, frequency_hz, kMaxResolvingCaptureS,
                  static_cast<double>(needed) / fs());
    throw MeasurementError(text);
  }
  min_analysed_frames_ = needed;
}

double StepContext::vrms_of(const Level& level, std::optional<double> load_ohm) const {
  try {
    return level_to_vrms(level, {station_.audio.calibration.output_vrms_at_0dbfs, load_ohm});
  } catch (const std::invalid_argument& e) {
    throw MeasurementError(e.what());
  }
}

double StepContext::peak_fs_of_vrms(double vrms) const {
  return vrms / station_.audio.calibration.output_vrms_at_0dbfs;
}

double StepContext::volts_at_dut_output(double level_dbfs) const {
  return station_.audio.calibration.input_vrms_at_0dbfs * dsp::db_to_amplitude_ratio(level_dbfs) /
         dsp::db_to_amplitude_ratio(station_.attenuator_gain_db);
}

double StepContext::dc_volts_at_dut_output(double dc_fs) const {
  // Full scale is the peak of a 0 dBFS sine, whose rms reaches the input as this many volts.
  return dc_fs * std::numbers::sqrt2 * volts_at_dut_output(0.0);
}

double StepContext::volts_gain_of_fs_ratio() const {
  return station_.audio.calibration.input_vrms_at_0dbfs /
         station_.audio.calibration.output_vrms_at_0dbfs /
         dsp::db_to_amplitude_ratio(station_.attenuator_gain_db);
}

audio::Capture StepContext::play(const std::vector<std::vector<double>>& signals,
                                 std::size_t frames, std::optional<double> load_ohm) {
  check_abort();
  if (load_ohm) select_load(*load_ohm);
  auto& port = *bench_.port;
  audio::AudioBuffer stimulus;
  stimulus.sample_rate_hz = fs();
  stimulus.channels.assign(static_cast<std::size_t>(port.output_count()),
                           std::vector<double>(frames, 0.0));
  for (std::size_t c = 0; c < signals.size(); ++c)
    std::copy_n(signals[c].begin(), std::min(signals[c].size(), frames),
                stimulus.channels[c].begin());
  if (station_.audio.loopback) {
    for (const auto& signal : signals) {
      if (signal.empty()) continue;
      std::copy_n(signal.begin(), std::min(signal.size(), frames),
                  stimulus.channels.back().begin());
      break;
    }
  }
  auto capture = port.play_and_capture(stimulus);
  if (!options_.captures_dir.empty()) keep_capture(capture);
  return capture;
}

void StepContext::keep_capture(const audio::Capture& capture) {
  const auto safe = [](std::string text) {
    for (char& c : text)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    return text;
  };
  audio::AudioBuffer dut;
  dut.sample_rate_hz = capture.audio.sample_rate_hz;
  dut.channels.assign(
      capture.audio.channels.begin(),
      capture.audio.channels.begin() +
          static_cast<long>(std::min(capture.audio.channels.size(), channels().size())));
  dut.comment = "ampbench capture: serial " + options_.serial + ", step " + step_.id + ", settle " +
                std::to_string(settle_frames()) + " frames";
  const auto path = std::filesystem::path(options_.captures_dir) /
                    (safe(options_.serial.empty() ? "unit" : options_.serial) + "-" +
                     safe(step_.id) + "-" + std::to_string(++captures_written_) + ".wav");
  audio::write_wav(path.string(), dut, audio::WavSampleFormat::float32);
}

std::vector<double> StepContext::steady(const std::vector<dsp::Tone>& tones) const {
  return steady(tones, settle_frames(), analysed_frames());
}

std::vector<double> StepContext::steady(const std::vector<dsp::Tone>& tones, std::size_t settle,
                                        std::size_t analysed) const {
  auto x = dsp::generate_tones(tones, fs(), settle + analysed);
  dsp::fade_in(x, std::min(settle, static_cast<std::size_t>(0.005 * fs())));
  return x;
}

std::span<const double> StepContext::analysed(const audio::Capture& capture,
                                              std::size_t channel) const {
  return std::span(capture.audio.channels[channel]).subspan(settle_frames(), analysed_frames());
}

// The external generator's sine on every DUT input (one output, split to each), captured
// through the interface while it plays; output off again however the capture ends.
audio::Capture StepContext::capture_from_generator(double frequency_hz,
                                                   const std::vector<double>& vrms_in,
                                                   std::optional<double> load_ohm) {
  if (!bench_.generator) throw MeasurementError("the station has no [generator]");
  const double vrms = *std::max_element(vrms_in.begin(), vrms_in.end());
  if (std::any_of(vrms_in.begin(), vrms_in.end(), [&](double v) { return v != vrms; }))
    throw MeasurementError(
        "the generator drives every DUT input alike; this step needs "
        "different levels per channel");
  check_abort();
  if (load_ohm) select_load(*load_ohm);  // loads switch before the signal comes, never under it
  auto& generator = *bench_.generator;
  GeneratorOutputGuard off(generator);
  generator.set_sine(frequency_hz, vrms);
  generator.output(true);
  hold_bench_for(generator.settle_s());
  return play({}, settle_frames() + analysed_frames(), std::nullopt);
}

std::vector<ChannelTone> StepContext::capture_tones(double frequency_hz,
                                                    const std::vector<double>& vrms_in,
                                                    std::optional<double> load_ohm,
                                                    const ToneSettings& settings,
                                                    bool with_spectrum) {
  std::vector<ChannelTone> tones;
  if (step_.stimulus.source == StimulusSource::generator) {
    tones = analyse_tones(capture_from_generator(frequency_hz, vrms_in, load_ohm), frequency_hz,
                          settings, with_spectrum, false);
  } else {
    std::vector<std::vector<double>> signals(vrms_in.size());
    for (std::size_t c = 0; c < vrms_in.size(); ++c) {
      if (vrms_in[c] <= 0.0) continue;
      // Channels driven alike share one generated signal.
      const auto same =
          std::find(vrms_in.begin(), vrms_in.begin() + static_cast<long>(c), vrms_in[c]);
      signals[c] = same != vrms_in.begin() + static_cast<long>(c)
                       ? signals[static_cast<std::size_t>(same - vrms_in.begin())]
                       : steady({{frequency_hz, peak_fs_of_vrms(vrms_in[c]), 0.0}});
    }
    tones = analyse_tones(play(signals, settle_frames() + analysed_frames(), load_ohm),
                          frequency_hz, settings, with_spectrum, true);
  }
  for (std::size_t c = 0; c < tones.size(); ++c)
    output_vrms_[plan_.channels[c]] = tones[c].vrms_out;
  return tones;
}

std::vector<ChannelTone> StepContext::analyse_tones(const audio::Capture& capture,
                                                    double frequency_hz,
                                                    const ToneSettings& settings,
                                                    bool with_spectrum,
                                                    bool stimulus_phase_known) const {
  dsp::ToneAnalysisOptions options;
  options.fundamental_hz = frequency_hz;
  options.band = settings.band;
  options.thdn_method = settings.thdn_method;
  options.weighting = settings.weighting;
  std::vector<ChannelTone> out;
  for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
    ChannelTone t;
    t.analysis = dsp::analyze_tone(analysed(capture, c), fs(), options);
    t.vrms_out = volts_at_dut_output(t.analysis.level_dbfs);
    if (stimulus_phase_known && t.analysis.fundamental_mean_square_fs > 0.0) {
      // The stimulus sin(ω·n) has phase ω·settle at the analysed block's first sample.
      const double cycles = frequency_hz * static_cast<double>(settle_frames()) / fs();
      double phase = dsp::tone_phase_rad(analysed(capture, c), frequency_hz, fs()) -
                     2.0 * std::numbers::pi * (cycles - std::floor(cycles));
      phase = std::remainder(phase, 2.0 * std::numbers::pi);
      t.phase_deg = phase * 180.0 / std::numbers::pi;
      t.phase_absolute = capture.latency_certain;
    }
    if (with_spectrum) t.spectrum = spectrum_curve(analysed(capture, c), frequency_hz);
    out.push_back(t);
  }
  return out;
}

record::CurveRecord StepContext::spectrum_curve(std::span<const double> block,
                                                double fundamental_hz) const {
  const auto s =
      dsp::power_spectrum(block, fs(), dsp::WindowKind::blackman_harris_7, dsp::DcLevel::remove);
  record::CurveRecord curve{
      "", "spectrum_dbv", "Hz", "dBV", {}, {}, {{"fundamental_hz", fundamental_hz}}};
  const double step = std::pow(2.0, 1.0 / 48.0);
  std::size_t k = static_cast<std::size_t>(std::ceil(10.0 / s.bin_width_hz()));
  for (double edge = 10.0 * step; k < s.bin_mean_square.size(); edge *= step) {
    double peak = 0.0, at = 0.0;
    for (; k < s.bin_mean_square.size() && s.bin_frequency_hz(k) < edge; ++k) {
      if (s.bin_mean_square[k] > peak) {
        peak = s.bin_mean_square[k];
        at = s.bin_frequency_hz(k);
      }
    }
    if (peak > 0.0) {
      curve.x.push_back(at);
      curve.y.push_back(dsp::vrms_to_dbv(volts_at_dut_output(dsp::mean_square_to_dbfs(peak))));
    }
  }
  return curve;
}

PolarityReading polarity_of(const ChannelTone& tone) {
  if (!tone.phase_deg)
    return {std::nullopt,
            "an external generator's phase is unknown: polarity needs the interface's own output",
            true};
  if (!tone.phase_absolute)
    return {std::nullopt,
            "the interface's latency is known to a whole period only (no broadband signal has "
            "played yet: a sweep step or a loopback reference fixes it)"};
  if (!tone.analysis.tone_present())
    return {std::nullopt,
            "no tone at the output stands 20 dB above the noise around it to take a polarity "
            "from"};
  if (const auto sign = dsp::polarity_of_phase_deg(*tone.phase_deg)) return {sign, ""};
  char reason[96];
  std::snprintf(reason, sizeof reason,
                "the output is %.0f° from the stimulus: neither in nor out of polarity",
                *tone.phase_deg);
  return {std::nullopt, reason};
}

void StepContext::add_curve(record::CurveRecord curve) {
  if (const CurveSpec* spec = find_curve_spec(curve.name))
    curve.style = {std::string(spec->title), std::string(spec->x_label), std::string(spec->y_label),
                   spec->log_x, spec->log_y};
  record_.curves.push_back(std::move(curve));
}

LimitCoordinates StepContext::coordinates_of(const record::MeasurementRecord& m,
                                             std::optional<double> frequency_hz) const {
  LimitCoordinates where;
  where.at(LimitAxis::frequency) = frequency_hz;
  where.load_ohm = point_load_ohm_;
  // A requested output level places the point where it was asked for, not where the
  // search landed within its tolerance: a segment edge at 100 W judges the 100 W point alike
  // on every unit.
  std::optional<double> vrms;
  if (point_output_level_) {
    try {
      vrms = level_to_vrms(*point_output_level_, {1.0, point_load_ohm_});
    } catch (const std::invalid_argument&) {
    }
  } else if (auto it = output_vrms_.find(m.channel); it != output_vrms_.end()) {
    vrms = it->second;
  }
  if (vrms && *vrms > 0.0) {
    where.at(LimitAxis::level) = dsp::vrms_to_dbv(*vrms);
    if (point_load_ohm_) where.at(LimitAxis::power) = *vrms * *vrms / *point_load_ohm_;
  }
  return where;
}

std::string StepContext::unjudged_limits() const {
  std::string unjudged;
  for (const auto& entry : step_.limits)
    if (!limits_judged_.count(entry.first))
      unjudged += (unjudged.empty() ? "" : ", ") + entry.first;
  return unjudged;
}

record::MeasurementRecord StepContext::judged(record::MeasurementRecord m,
                                              std::optional<double> frequency_hz) const {
  auto decision = record::Decision::simple;
  if (auto it = step_.limits.find(m.name); it != step_.limits.end()) {
    limits_judged_.insert(m.name);
    if (const auto bounds = it->second.at(coordinates_of(m, frequency_hz))) {
      m.low = bounds->low;
      m.high = bounds->high;
      decision = bounds->decision;
    }
  }
  if (!std::isfinite(m.value)) {
    // Without a reason, a value that is not a number is the bench's problem, never the DUT's.
    // With one, the unit did not show the figure its limit asks for (a dead channel has no
    // polarity): it fails that limit, and passes where none is asked.
    const bool limited = m.low || m.high;
    m.verdict = m.note.empty() ? record::Verdict::error
                               : (limited ? record::Verdict::fail : record::Verdict::pass);
    return m;
  }
  const record::Bounds bounds{m.low, m.high, decision};
  if (decision == record::Decision::guarded && !m.uncertainty) {
    // A guard of unknown width guards nothing: the bench cannot judge this value.
    m.verdict = record::Verdict::error;
    m.note =
        "a guarded limit needs the value's uncertainty: this channel has no calibration "
        "record";
    return m;
  }
  const auto side = record::has_flag(m, record::kLowerBound)   ? record::BoundSide::lower
                    : record::has_flag(m, record::kUpperBound) ? record::BoundSide::upper
                                                               : record::BoundSide::none;
  m.verdict = record::accepted(m.value, bounds, m.uncertainty, side) ? record::Verdict::pass
                                                                     : record::Verdict::fail;
  return m;
}

void StepContext::bound_last(record::BoundSide side, const std::string& why) {
  auto& m = record_.measurements.back();
  m.note = why;
  record::add_flag(m, side == record::BoundSide::lower ? record::kLowerBound : record::kUpperBound);
  m = judged(std::move(m), frequency_of_last_);
}

void StepContext::add_missing(const std::string& channel, const std::string& name,
                              const std::string& reason, const nlohmann::json& point,
                              std::optional<double> frequency_hz) {
  add(channel, name, std::numeric_limits<double>::quiet_NaN(), point, frequency_hz);
  record_.measurements.back().note = reason;
  record_.measurements.back() = judged(std::move(record_.measurements.back()), frequency_hz);
}

void StepContext::add(const std::string& channel, const std::string& name, double value,
                      const nlohmann::json& point, std::optional<double> frequency_hz) {
  const auto specs = step_.kind->measurements();
  const auto spec = std::find_if(specs.begin(), specs.end(),
                                 [&](const MeasurementSpec& s) { return s.name == name; });
  if (spec == specs.end())
    throw std::logic_error("'" + name + "' is not a declared measurement of a " +
                           std::string(step_.kind->name()) + " step");
  record::MeasurementRecord m{channel,
                              name,
                              value,
                              std::string(spec->unit),
                              std::nullopt,
                              std::nullopt,
                              record::Verdict::pass,
                              point,
                              ""};
  add_uncertainty(m);
  flag_at_analyzer_limit(m);
  frequency_of_last_ = frequency_hz;
  record_.measurements.push_back(judged(std::move(m), frequency_hz));
}

const Station::AnalyzerResidual* StepContext::analyzer_residual(const std::string& channel) const {
  const auto& channels = plan_.channels;
  const auto at = std::find(channels.begin(), channels.end(), channel);
  if (at == channels.end()) return nullptr;
  const auto index = static_cast<std::size_t>(at - channels.begin());
  if (index >= station_.audio.inputs.size()) return nullptr;
  const auto it = station_.analyzer_residuals.find(station_.audio.inputs[index]);
  return it == station_.analyzer_residuals.end() ? nullptr : &it->second;
}

void StepContext::flag_at_analyzer_limit(record::MeasurementRecord& m) const {
  const auto* residual = analyzer_residual(m.channel);
  if (!residual || !std::isfinite(m.value)) return;
  std::optional<double> ratio_db;  // a distortion-and-noise figure re its fundamental
  if (m.name == "thd_db" || m.name == "thdn_db" || m.name == "tdn_db") ratio_db = m.value;
  if ((m.name == "thd_pct" || m.name == "thdn_pct" || m.name == "tdn_pct") && m.value > 0.0)
    ratio_db = dsp::amplitude_ratio_to_db(m.value / 100.0);
  if (m.name == "sinad_db") ratio_db = -m.value;
  // A ratio is at the floor where it nears the residual's own ratio, or where the residual
  // power it holds nears the bench's absolute residual (a noise floor, which a lower tone
  // meets at a higher ratio): the tone's level where the analyzer sees it decides.
  bool at_limit = ratio_db && *ratio_db <= residual->thdn_db + selftest::kAnalyzerLimitMarginDb;
  if (ratio_db && !at_limit) {
    if (const auto it = output_vrms_.find(m.channel);
        it != output_vrms_.end() && it->second > 0.0) {
      const double analyzer_dbfs = dsp::vrms_to_dbv(it->second) + station_.attenuator_gain_db -
                                   dsp::vrms_to_dbv(station_.audio.calibration.input_vrms_at_0dbfs);
      at_limit = *ratio_db + analyzer_dbfs <=
                 residual->thdn_db + residual->level_dbfs + selftest::kAnalyzerLimitMarginDb;
    }
  }
  at_limit = at_limit || (m.name == "noise_dbv" && residual->noise_dbv &&
                          m.value + station_.attenuator_gain_db <=
                              *residual->noise_dbv + selftest::kAnalyzerLimitMarginDb);
  if (at_limit) record::add_flag(m, record::kAtAnalyzerLimit);
}

void StepContext::flag_noise_at_analyzer_limit(double dut_output_vrms) {
  auto& m = record_.measurements.back();
  const auto* residual = analyzer_residual(m.channel);
  if (residual && residual->noise_dbv &&
      dsp::vrms_to_dbv(dut_output_vrms) + station_.attenuator_gain_db <=
          *residual->noise_dbv + selftest::kAnalyzerLimitMarginDb)
    record::add_flag(m, record::kAtAnalyzerLimit);
}

void StepContext::add_uncertainty(record::MeasurementRecord& m) const {
  const auto& channels = plan_.channels;
  const auto at = std::find(channels.begin(), channels.end(), m.channel);
  if (at == channels.end()) return;  // a figure of two channels (balance)
  const auto index = static_cast<std::size_t>(at - channels.begin());
  const auto& records = station_.calibration_records;
  const auto u_of = [](const std::map<int, double>& u, const std::vector<int>& channels,
                       std::size_t index) -> std::optional<double> {
    if (index >= channels.size()) return std::nullopt;
    const auto it = u.find(channels[index]);
    return it == u.end() ? std::nullopt : std::optional(it->second);
  };
  m.uncertainty = record::calibration_uncertainty(
      m.name, m.value, u_of(records.input_u_db, station_.audio.inputs, index),
      u_of(records.output_u_db, station_.audio.outputs, index), records.coverage_k);
  if (m.uncertainty) m.coverage_k = records.coverage_k;
}

}  // namespace ampbench::sequence
