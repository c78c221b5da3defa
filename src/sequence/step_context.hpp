// sequence: what every step kind measures with — the capture helpers (play, capture and
// analyse tones, a spectrum as a curve), volts and full-scale conversions through the
// station's calibration, and judging results against the step's limits as they are added
// to the step's record.
#pragma once

#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "audio/audio_port.hpp"
#include "dsp/signal.hpp"
#include "dsp/tone_analysis.hpp"
#include "dsp/weighting.hpp"
#include "plugs/operator_io.hpp"
#include "record/record.hpp"
#include "sequence/bench.hpp"
#include "sequence/observer.hpp"
#include "sequence/step_kind.hpp"

namespace ampbench::sequence {

// How a captured tone is analysed (the thdn_method, weighting and band keys).
struct ToneSettings {
  dsp::ThdnMethod thdn_method = dsp::ThdnMethod::fft;
  dsp::Weighting weighting = dsp::Weighting::none;
  dsp::FrequencyBand band = dsp::FrequencyBand::audio();
};
inline constexpr std::string_view kToneSettingKeys[] = {"thdn_method", "weighting", "band"};
// Those settings as a step's conditions: a weighting, the band, a notch THD+N.
nlohmann::json tone_conditions(const ToneSettings& settings);
// "20 Hz–20 kHz", or "full band".
std::string band_in_words(const dsp::FrequencyBand& band);
// Reads those keys of the step table; throws InputError.
ToneSettings parse_tone_settings(const TomlReader& reader, const toml::table& table,
                                 const std::string& field);
// The parameters of a kind that has only the tone-analysis keys.
struct ToneSettingsParams : StepParams {
  ToneSettings analysis;
};
// The step's stimulus.frequency_hz and stimulus.level, given or swept, or an error naming
// the one missing: "required for a crosstalk step".
void require_tone_stimulus(const TomlReader& reader, const toml::table& table, const StepPlan& step,
                           const std::string& field);
// The analysis keys and a required tone stimulus: all a simple tone kind reads.
ToneSettingsParams parse_tone_step(const TomlReader& reader, const toml::table& table,
                                   const StepPlan& step, const std::string& field);
// Fails with `what` at `field` of the step unless `ok`.
void require(const TomlReader& reader, const toml::table& table, bool ok, const std::string& field,
             const std::string& what);

// Takes the series resistor (or termination) out again however the step ends.
class SourceDirectAgain {
 public:
  explicit SourceDirectAgain(plugs::DutControl& dut) : dut_(dut) {}
  ~SourceDirectAgain();
  SourceDirectAgain(const SourceDirectAgain&) = delete;
  SourceDirectAgain& operator=(const SourceDirectAgain&) = delete;

 private:
  plugs::DutControl& dut_;
};

struct ChannelTone {
  dsp::ToneAnalysis analysis;
  double vrms_out = 0.0;  // at the DUT output
  // The output's phase re the stimulus's, −180..180° (the interface's latency removed by
  // the port); none when an external generator, whose phase nobody knows, drove the DUT.
  std::optional<double> phase_deg;
  // The phase is absolute (the port knew its latency): polarity can be read from it. When
  // not, it still compares two captures of the same stream (impedances).
  bool phase_absolute = true;
  record::CurveRecord spectrum;  // when asked for
};

// +1 or −1 from a tone's phase re the stimulus, or why it cannot be told: an external
// generator's unknown phase (`unknown_phase`: a step reports that only when a limit asks), a
// latency known to a whole period only, no tone above the noise, a phase near ±90°.
struct PolarityReading {
  std::optional<int> sign;
  std::string why_not;
  bool unknown_phase = false;
};
PolarityReading polarity_of(const ChannelTone& tone);

class StepContext {
 public:
  StepContext(const SequencePlan& plan, const Station& station, Bench& bench,
              const RunOptions& options, plugs::OperatorIo& io, RunObserver& observer,
              const StepPlan& step, record::StepRecord& record)
      : plan_(plan),
        station_(station),
        bench_(bench),
        options_(options),
        io_(io),
        observer_(observer),
        step_(step),
        record_(record) {}

  const SequencePlan& plan() const { return plan_; }
  const std::vector<std::string>& channels() const { return plan_.channels; }
  const Station& station() const { return station_; }
  Bench& bench() { return bench_; }
  plugs::OperatorIo& io() { return io_; }
  const StepPlan& step() const { return step_; }
  record::StepRecord& record() { return record_; }

  void progress(int point, int points) { observer_.progress(record_, point, points); }
  // The runner says which point is measured next: its load and requested output level place
  // its results for limits that follow the sweep (judged).
  void begin_point(const Point& point);
  // Ctrl-C ends the step here, unless it is a cleanup step.
  void check_abort() const;
  void select_load(double load_ohm);

  double fs() const { return bench_.port->sample_rate_hz(); }
  std::size_t settle_frames() const;
  // capture_s in frames, or more where a point needs it (resolve_harmonics).
  std::size_t analysed_frames() const;
  // Lengthens this point's captures so a tone at `frequency_hz` and its harmonics have
  // window lobes of their own (dsp::frames_resolving_harmonics), up to kMaxResolvingCaptureS;
  // throws MeasurementError naming the harmonic and the capture it needs beyond that.
  void resolve_harmonics(double frequency_hz, const ToneSettings& settings);
  // The same for any analysis: captures of at least `frames` analysed, up to
  // kMaxResolvingCaptureS; beyond that throws MeasurementError "`what` … needs N s".
  void require_analysed_frames(std::size_t frames, const std::string& what);
  // Vrms at the DUT input of a stimulus level; throws MeasurementError.
  double vrms_of(const Level& level, std::optional<double> load_ohm) const;
  // Peak, in full scale, of a sine of this many Vrms at the DUT input.
  double peak_fs_of_vrms(double vrms) const;
  double volts_at_dut_output(double level_dbfs) const;
  // Volts of DC at the DUT output for a DC level in full scale (a DC-coupled input).
  double dc_volts_at_dut_output(double dc_fs) const;
  // Volts out per volt in, for a ratio of full-scale values at the input and output.
  double volts_gain_of_fs_ratio() const;

  // Plays one signal per DUT channel (empty = silent; shorter ones are padded with
  // silence); the loopback reference plays the first driven channel's signal. The capture
  // is written to RunOptions::captures_dir when there is one.
  audio::Capture play(const std::vector<std::vector<double>>& signals, std::size_t frames,
                      std::optional<double> load_ohm);
  // A steady signal (sine or two-tone) with a 5 ms raised-cosine fade-in inside the settle
  // time, which spares tweeters the click of a switched-on sine.
  std::vector<double> steady(const std::vector<dsp::Tone>& tones) const;
  std::vector<double> steady(const std::vector<dsp::Tone>& tones, std::size_t settle,
                             std::size_t analysed) const;
  // The analysed part of a capture's channel: after settle_s, capture_s long.
  std::span<const double> analysed(const audio::Capture& capture, std::size_t channel) const;

  // Sine of vrms_in[c] on each DUT channel (0 = silent), from the interface or the
  // station's generator as the step says; each output analysed.
  std::vector<ChannelTone> capture_tones(double frequency_hz, const std::vector<double>& vrms_in,
                                         std::optional<double> load_ohm,
                                         const ToneSettings& settings, bool with_spectrum = false);
  // The analysed block's spectrum at the DUT output in dBV (each bin as a sine's level),
  // reduced to a 1/48-octave maximum from 10 Hz to fs/2 so reports can draw it.
  record::CurveRecord spectrum_curve(std::span<const double> block, double fundamental_hz) const;

  // The measurement with the bounds of the step's limit on its name that cover where it was
  // measured (frequency_hz, this point's load, the channel's output level and power), and its
  // verdict; a non-finite value is an ERROR, limits or not.
  record::MeasurementRecord judged(record::MeasurementRecord m,
                                   std::optional<double> frequency_hz) const;
  // Adds a judged measurement in the unit its kind declares for `name`.
  void add(const std::string& channel, const std::string& name, double value,
           const nlohmann::json& point, std::optional<double> frequency_hz = std::nullopt);
  // A figure that does not exist here (no harmonic in band, no tone to take a polarity
  // from): stored without a value, with the reason; it fails a limit asked of it.
  void add_missing(const std::string& channel, const std::string& name, const std::string& reason,
                   const nlohmann::json& point, std::optional<double> frequency_hz = std::nullopt);
  // Flags the measurement just added at_analyzer_limit when the noise it comes from (at the
  // DUT's output) lies within 10 dB of the bench's residual noise: for figures such as EIN,
  // whose value is that noise referred elsewhere. (THD, THD+N, SINAD and noise_dbv are
  // flagged as they are added.)
  void flag_noise_at_analyzer_limit(double dut_output_vrms);
  // Says what the measurement just added is ("at the rated level, not the maximum").
  void note_last(const std::string& note) { record_.measurements.back().note = note; }
  // The measurement just added is a bound of its figure, `why` said in its note: flagged
  // lower_bound or upper_bound and judged again as one (record::accepted).
  void bound_last(record::BoundSide side, const std::string& why);
  void add_judged(record::MeasurementRecord m) {
    record_.measurements.push_back(judged(std::move(m), std::nullopt));
  }
  // Stores the curve with how reports draw it (its kind's declaration).
  void add_curve(record::CurveRecord curve);
  // After the step's last point: every curve a limit names judged point by point, its worst
  // point (least margin) added as a measurement of the curve's name.
  void judge_curves();
  // Volts out per volt in, by channel, where the last output-level point was found: the
  // next point's search starts there.
  std::vector<double>& output_gain_estimates() { return output_gain_estimates_; }
  // A point the DUT cannot reach ends its condition's sweep: the runner skips the points
  // that differ from it only in the swept level, and the step says so. Its limited
  // figures are stored without a value (add_unmeasured). `by_bench`: the bench, not the DUT,
  // stopped it (the interface's input clips first).
  void end_condition(const Point& point, const std::string& why, bool by_bench = false);
  // The point was measured and its condition's sweep ends here by the step's own rule
  // (stop_when): the higher points are skipped, `why` said in the step's message; they were
  // never to be measured, so nothing of them is stored.
  void stop_condition(const std::string& why);
  bool ended_by_rule() const { return ended_by_rule_; }
  bool condition_ended() const { return condition_ended_; }
  // Why the last condition ended ("50 W not reached at 1 kHz: …"), for its skipped points.
  const std::string& ended_reason() const { return ended_reason_; }
  bool ended_by_bench() const { return ended_by_bench_; }
  // A limit judges a value: every figure of this point that a limit covers, and that was not
  // measured (its level not reached, or a higher point of a sweep that ended there), is stored
  // without a value and with the reason — FAIL, or ERROR when the bench is the reason — and so
  // is a curve a mask covers here (judge_curves). Figures no limit asks for are left out.
  void add_unmeasured(const Point& point, const std::string& reason, bool by_bench);
  // A kind that judges a limit through figures of other names (deviation_db's mask bounds
  // deviation_min_db and deviation_max_db) says so here.
  void limit_judged(const std::string& name) { limits_judged_.insert(name); }
  // The step's limits that judged nothing ("thdn_pct, power_w"), or "".
  std::string unjudged_limits() const;

 private:
  void keep_capture(const audio::Capture& capture);
  // The value's expanded uncertainty from its channel's calibration records, where modelled.
  void add_uncertainty(record::MeasurementRecord& m) const;
  // The bench's residual at the input this channel is captured on, from its latest self-test.
  const Station::AnalyzerResidual* analyzer_residual(const std::string& channel) const;
  // at_analyzer_limit (SPEC §15): a THD, THD+N or SINAD within 10 dB of the residual THD+N, a
  // noise level within 10 dB of the residual noise (both where the analyzer sees them).
  void flag_at_analyzer_limit(record::MeasurementRecord& m) const;
  audio::Capture capture_from_generator(double frequency_hz, const std::vector<double>& vrms_in,
                                        std::optional<double> load_ohm);
  // stimulus_phase_known: the interface played sin(2π·f·n/fs) from the capture's sample 0.
  std::vector<ChannelTone> analyse_tones(const audio::Capture& capture, double frequency_hz,
                                         const ToneSettings& settings, bool with_spectrum,
                                         bool stimulus_phase_known) const;

  const SequencePlan& plan_;
  const Station& station_;
  Bench& bench_;
  const RunOptions& options_;
  plugs::OperatorIo& io_;
  RunObserver& observer_;
  LimitCoordinates coordinates_of(const record::MeasurementRecord& m,
                                  std::optional<double> frequency_hz) const;

  const StepPlan& step_;
  record::StepRecord& record_;
  mutable std::set<std::string> limits_judged_;
  std::optional<double> frequency_of_last_;  // where the last measurement added is judged
  std::string ended_reason_;
  bool ended_by_bench_ = false;
  bool ended_by_rule_ = false;
  // Per channel and curve limit: the points a mask covers that were not measured, and why.
  std::map<std::pair<std::string, std::string>, std::pair<int, record::MeasurementRecord>>
      unmeasured_curve_points_;
  std::size_t min_analysed_frames_ = 0;
  std::optional<double> point_load_ohm_;
  std::optional<Level> point_output_level_;
  std::map<std::string, double> output_vrms_;  // by channel, this point's last capture
  std::vector<double> output_gain_estimates_;
  bool condition_ended_ = false;
  int captures_written_ = 0;
};

// The longest a step's capture is lengthened to resolve a low tone's harmonics (20 Hz
// needs 0.85 s, 5 Hz 3.4 s).
inline constexpr double kMaxResolvingCaptureS = 10.0;

template <typename Params>
void StepKindWith<Params>::run_point(StepContext& context, const Point& point, std::size_t index,
                                     std::size_t count) const {
  run(context, params_of(context.step()), point, index, count);
}

template <typename Params>
void StepKindWith<Params>::finish(StepContext& context, const std::vector<Point>& points) const {
  finish_params(context, params_of(context.step()), points);
}

// A kind that reads one tone's level at its frequency (crosstalk, an impedance, CMRR): the
// tone-analysis keys and a tone stimulus are all it parses, and neither weighting nor band
// changes its figures, so its conditions hold neither.
class ToneLevelKind : public StepKindWith<ToneSettingsParams> {
 protected:
  ToneSettingsParams parse_params(const TomlReader& reader, const toml::table& table,
                                  const StepPlan& step, const std::string& field) const override {
    return parse_tone_step(reader, table, step, field);
  }
  nlohmann::json conditions_of(const ToneSettingsParams&) const override {
    return nlohmann::json::object();
  }
};

template <typename Params>
nlohmann::json StepKindWith<Params>::conditions_of(const Params& params) const {
  if constexpr (requires {
                  { params.analysis } -> std::convertible_to<const ToneSettings&>;
                })
    return tone_conditions(params.analysis);
  else
    return nlohmann::json::object();
}

}  // namespace ampbench::sequence
