#include "sequence/runner.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "audio/sim_port.hpp"
#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "sequence/bench.hpp"

namespace ampbench::sequence {
namespace {

using store::MeasurementRecord;
using store::StepRecord;
using store::Verdict;

class SimLoadSwitch : public LoadSwitch {
 public:
  explicit SimLoadSwitch(audio::SimPort& port) : port_(port) {}
  void select(double load_ohm) override { port_.chain().set_load_ohm(load_ohm); }

 private:
  audio::SimPort& port_;
};

// No switch on the bench: the operator moves the load by hand, once per change.
class ManualLoadSwitch : public LoadSwitch {
 public:
  explicit ManualLoadSwitch(OperatorIo& io) : io_(io) {}
  void select(double load_ohm) override {
    if (current_ && *current_ == load_ohm) return;
    char text[96];
    std::snprintf(text, sizeof text, "Connect the %g ohm load, then press Enter", load_ohm);
    io_.ask(text, "");
    current_ = load_ohm;
  }

 private:
  OperatorIo& io_;
  std::optional<double> current_;
};

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// One point of a step: the effective stimulus after the sweep coordinates are applied.
struct Point {
  std::optional<double> frequency_hz;
  std::optional<Level> level;
  std::optional<double> load_ohm;
  nlohmann::json coordinates = nlohmann::json::object();
};

std::vector<Point> expand_points(const StepPlan& step) {
  std::vector<Point> points = {{step.stimulus.frequency_hz, step.stimulus.level, step.load_ohm, nlohmann::json::object()}};
  for (const auto& axis : step.sweeps) {
    std::vector<Point> next;
    for (const auto& p : points) {
      for (const auto& v : axis.values) {
        Point q = p;
        if (axis.parameter == "stimulus.level") {
          q.level = std::get<Level>(v);
          q.coordinates[axis.parameter] = format_level(*q.level);
        } else if (axis.parameter == "stimulus.frequency_hz") {
          q.frequency_hz = std::get<double>(v);
          q.coordinates[axis.parameter] = *q.frequency_hz;
        } else {
          q.load_ohm = std::get<double>(v);
          q.coordinates[axis.parameter] = *q.load_ohm;
        }
        next.push_back(q);
      }
    }
    points = std::move(next);
  }
  return points;
}

struct ChannelTone {
  dsp::ToneAnalysis analysis;
  double vrms_out = 0.0;  // at the DUT output
};

class StepRunner {
 public:
  StepRunner(const SequencePlan& plan, const Station& station, Bench& bench, const RunOptions& options, OperatorIo& io,
             RunObserver& observer)
      : plan_(plan), station_(station), bench_(bench), options_(options), io_(io), observer_(observer) {}

  void run(const StepPlan& step, StepRecord& record) {
    step_ = &step;
    record_ = &record;
    const auto points = expand_points(step);
    switch (step.kind) {
      case StepKind::level:
      case StepKind::thdn:
        for (std::size_t i = 0; i < points.size(); ++i) {
          progress(static_cast<int>(i), static_cast<int>(points.size()));
          tone_point(points[i]);
        }
        if (step.kind == StepKind::thdn && points.size() > 1) thdn_curve();
        break;
      case StepKind::frequency_response:
        for (const auto& p : points) frequency_response(p);
        break;
      case StepKind::noise:
        for (const auto& p : points) noise(p);
        break;
      case StepKind::crosstalk:
        for (const auto& p : points) crosstalk(p);
        break;
      case StepKind::prompt: prompt(); break;
      case StepKind::set: select_load(*step.load_ohm); break;
      case StepKind::cleanup:
        if (!step.message.empty()) io_.ask(step.message, "");
        break;
    }
  }

 private:
  double vrms_of(const Level& level, std::optional<double> load) const {
    try {
      return level_to_vrms(level, {station_.audio.calibration.output_vrms_at_0dbfs, load});
    } catch (const std::invalid_argument& e) {
      throw MeasurementError(e.what());
    }
  }

  void select_load(double load_ohm) {
    if (bench_.loads) bench_.loads->select(load_ohm);
  }

  void progress(int point, int points) { observer_.progress(*record_, point, points); }

  void check_abort() const {
    if (!step_->cleanup && options_.abort_requested && options_.abort_requested->load())
      throw AbortedError("stopped by the operator (interrupt)");
  }

  // Plays a sine of vrms_in[c] on each DUT channel (0 = silent) and analyses each output.
  std::vector<ChannelTone> capture_tones(double frequency_hz, const std::vector<double>& vrms_in,
                                         std::optional<double> load) {
    check_abort();
    if (load) select_load(*load);
    auto& port = *bench_.port;
    const double fs = port.sample_rate_hz();
    const auto settle = static_cast<std::size_t>(std::llround(step_->settle_s * fs));
    const auto analysed = static_cast<std::size_t>(std::llround(step_->capture_s * fs));
    audio::AudioBuffer stimulus;
    stimulus.sample_rate_hz = fs;
    stimulus.channels.assign(static_cast<std::size_t>(port.output_count()), std::vector<double>(settle + analysed, 0.0));
    // A 5 ms raised-cosine fade-in (inside the settle time) spares tweeters the click.
    const std::size_t fade = std::min(settle, static_cast<std::size_t>(0.005 * fs));
    for (std::size_t c = 0; c < vrms_in.size(); ++c) {
      if (vrms_in[c] <= 0.0) continue;
      auto& x = stimulus.channels[c];
      x = dsp::generate_sine(frequency_hz, vrms_in[c] / port.calibration().output_vrms_at_0dbfs, fs, x.size());
      for (std::size_t i = 0; i < fade; ++i) x[i] *= 0.5 - 0.5 * std::cos(std::numbers::pi * double(i) / double(fade));
    }
    const audio::Capture capture = port.play_and_capture(stimulus);
    dsp::ToneAnalysisOptions options;
    options.fundamental_hz = frequency_hz;
    // A response point needs only the tone's level, wherever the band edges are.
    options.band = step_->kind == StepKind::frequency_response ? dsp::FrequencyBand::full() : step_->band;
    options.thdn_method = step_->thdn_method;
    options.weighting = step_->weighting;
    std::vector<ChannelTone> out;
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const auto& y = capture.audio.channels[c];
      ChannelTone t;
      t.analysis = dsp::analyze_tone(std::span(y).subspan(settle, analysed), fs, options);
      t.vrms_out = volts_at_dut_output(t.analysis.level_dbfs);
      out.push_back(t);
    }
    return out;
  }

  double volts_at_dut_output(double level_dbfs) const {
    return station_.audio.calibration.input_vrms_at_0dbfs * dsp::db_to_amplitude_ratio(level_dbfs) /
           dsp::db_to_amplitude_ratio(station_.attenuator_gain_db);
  }

  void add(const std::string& channel, const std::string& name, double value, const std::string& unit,
           const nlohmann::json& point, std::optional<double> frequency_hz = std::nullopt) {
    MeasurementRecord m{channel, name, value, unit, std::nullopt, std::nullopt, Verdict::pass, point};
    if (auto it = step_->limits.find(name); it != step_->limits.end()) {
      const Limit& l = it->second;
      const bool applies = !frequency_hz || ((!l.from_hz || *frequency_hz >= *l.from_hz) && (!l.to_hz || *frequency_hz <= *l.to_hz));
      if (applies) {
        m.low = l.min;
        m.high = l.max;
        const bool ok = std::isfinite(value) && (!l.min || value >= *l.min) && (!l.max || value <= *l.max);
        m.verdict = ok ? Verdict::pass : Verdict::fail;
      }
    }
    record_->measurements.push_back(std::move(m));
  }

  void tone_point(const Point& p) {
    const double vin = vrms_of(*p.level, p.load_ohm);
    const auto tones = capture_tones(*p.frequency_hz, std::vector<double>(plan_.channels.size(), vin), p.load_ohm);
    for (std::size_t c = 0; c < tones.size(); ++c) {
      const auto& t = tones[c];
      const auto& ch = plan_.channels[c];
      const double gain = dsp::amplitude_ratio_to_db(t.vrms_out / vin);
      add(ch, "gain_db", gain, "dB", p.coordinates, p.frequency_hz);
      add(ch, "level_dbv", dsp::vrms_to_dbv(t.vrms_out), "dBV", p.coordinates, p.frequency_hz);
      add(ch, "level_vrms", t.vrms_out, "V", p.coordinates, p.frequency_hz);
      if (step_->kind == StepKind::level) {
        add(ch, "frequency_hz", t.analysis.frequency_hz, "Hz", p.coordinates, p.frequency_hz);
      } else {
        add(ch, "thdn_pct", t.analysis.thdn_pct(), "%", p.coordinates, p.frequency_hz);
        add(ch, "thdn_db", t.analysis.thdn_db(), "dB", p.coordinates, p.frequency_hz);
        add(ch, "thd_pct", t.analysis.thd_pct(), "%", p.coordinates, p.frequency_hz);
        add(ch, "thd_db", t.analysis.thd_db(), "dB", p.coordinates, p.frequency_hz);
        add(ch, "sinad_db", t.analysis.sinad_db, "dB", p.coordinates, p.frequency_hz);
        add(ch, "snr_db", t.analysis.snr_db, "dB", p.coordinates, p.frequency_hz);
      }
    }
  }

  // THD+N versus the measured output level, one curve per channel.
  void thdn_curve() {
    for (const auto& ch : plan_.channels) {
      store::CurveRecord curve{ch, "thdn_vs_level_pct", "dBV", "%", {}, {}};
      const MeasurementRecord* level = nullptr;
      for (const auto& m : record_->measurements) {
        if (m.channel != ch) continue;
        if (m.name == "level_dbv") level = &m;
        if (m.name == "thdn_pct" && level) {
          curve.x.push_back(level->value);
          curve.y.push_back(m.value);
        }
      }
      record_->curves.push_back(std::move(curve));
    }
  }

  void frequency_response(const Point& p) {
    const double vin = vrms_of(*p.level, p.load_ohm);
    const int n = step_->stimulus.points;
    const double f1 = *step_->stimulus.from_hz, f2 = *step_->stimulus.to_hz;
    const std::vector<double> drive(plan_.channels.size(), vin);
    const double reference_hz = std::clamp(1000.0, f1, f2);
    const auto reference = capture_tones(reference_hz, drive, p.load_ohm);
    std::vector<double> freqs;
    for (int i = 0; i < n; ++i) freqs.push_back(f1 * std::pow(f2 / f1, double(i) / (n - 1)));
    std::vector<std::vector<double>> gains(plan_.channels.size());
    for (int i = 0; i < n; ++i) {
      progress(i, n);
      const auto tones = capture_tones(freqs[static_cast<std::size_t>(i)], drive, p.load_ohm);
      for (std::size_t c = 0; c < tones.size(); ++c) gains[c].push_back(dsp::amplitude_ratio_to_db(tones[c].vrms_out / vin));
    }
    const Limit* mask = step_->limits.count("deviation_db") ? &step_->limits.at("deviation_db") : nullptr;
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const auto& ch = plan_.channels[c];
      const double ref_gain = dsp::amplitude_ratio_to_db(reference[c].vrms_out / vin);
      add(ch, "gain_db", ref_gain, "dB", p.coordinates);
      double dmin = INFINITY, dmax = -INFINITY;
      for (std::size_t i = 0; i < freqs.size(); ++i) {
        const bool in_mask = !mask || ((!mask->from_hz || freqs[i] >= *mask->from_hz * (1 - 1e-9)) &&
                                       (!mask->to_hz || freqs[i] <= *mask->to_hz * (1 + 1e-9)));
        if (!in_mask) continue;
        dmin = std::min(dmin, gains[c][i] - ref_gain);
        dmax = std::max(dmax, gains[c][i] - ref_gain);
      }
      // The deviation_db mask bounds both figures; their own limits, if given, take over.
      const auto deviation = [&](const char* name, double value, std::optional<double> low, std::optional<double> high) {
        MeasurementRecord m{ch, name, value, "dB", low, high, Verdict::pass, p.coordinates};
        if (auto it = step_->limits.find(name); it != step_->limits.end()) {
          m.low = it->second.min;
          m.high = it->second.max;
        }
        const bool ok = std::isfinite(value) && (!m.low || value >= *m.low) && (!m.high || value <= *m.high);
        m.verdict = ok ? Verdict::pass : Verdict::fail;
        record_->measurements.push_back(std::move(m));
      };
      deviation("deviation_min_db", dmin, mask ? mask->min : std::nullopt, std::nullopt);
      deviation("deviation_max_db", dmax, std::nullopt, mask ? mask->max : std::nullopt);
      // -3 dB corners: first crossing of ref − 3 dB away from the reference, log-interpolated.
      const auto corner = [&](int direction) -> std::optional<double> {
        std::size_t start = 0;
        while (start + 1 < freqs.size() && freqs[start + 1] <= reference_hz) ++start;
        for (std::size_t i = start; i < freqs.size() && (direction > 0 || i > 0);) {
          const std::size_t j = direction > 0 ? i + 1 : i - 1;
          if (j >= freqs.size()) break;
          const double a = gains[c][i] - ref_gain + 3.0, b = gains[c][j] - ref_gain + 3.0;
          if (a >= 0.0 && b < 0.0) {
            const double u = a / (a - b);
            return std::exp(std::log(freqs[i]) + u * (std::log(freqs[j]) - std::log(freqs[i])));
          }
          i = j;
        }
        return std::nullopt;
      };
      if (auto f = corner(-1)) add(ch, "f_low_3db_hz", *f, "Hz", p.coordinates);
      if (auto f = corner(+1)) add(ch, "f_high_3db_hz", *f, "Hz", p.coordinates);
      record_->curves.push_back({ch, "response_db", "Hz", "dB", freqs, gains[c]});
    }
  }

  void noise(const Point& p) {
    check_abort();
    if (p.load_ohm) select_load(*p.load_ohm);
    auto& port = *bench_.port;
    const double fs = port.sample_rate_hz();
    const auto settle = static_cast<std::size_t>(std::llround(step_->settle_s * fs));
    const auto analysed = static_cast<std::size_t>(std::llround(step_->capture_s * fs));
    audio::AudioBuffer silence;
    silence.sample_rate_hz = fs;
    silence.channels.assign(static_cast<std::size_t>(port.output_count()), std::vector<double>(settle + analysed, 0.0));
    const auto capture = port.play_and_capture(silence);
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const auto spectrum = dsp::power_spectrum(std::span(capture.audio.channels[c]).subspan(settle, analysed), fs);
      const double rms_fs = dsp::band_rms_fs(spectrum, step_->band, step_->weighting);
      const double vrms = volts_at_dut_output(dsp::mean_square_to_dbfs(rms_fs * rms_fs));
      add(plan_.channels[c], "noise_dbv", dsp::vrms_to_dbv(vrms), "dBV", p.coordinates);
      if (step_->reference) {
        const double ref = vrms_of(*step_->reference, p.load_ohm ? p.load_ohm : step_->load_ohm);
        add(plan_.channels[c], "snr_db", dsp::amplitude_ratio_to_db(ref / vrms), "dB", p.coordinates);
      }
    }
  }

  void crosstalk(const Point& p) {
    const double vin = vrms_of(*p.level, p.load_ohm);
    for (std::size_t d = 0; d < plan_.channels.size(); ++d) {
      std::vector<double> drive(plan_.channels.size(), 0.0);
      drive[d] = vin;
      const auto tones = capture_tones(*p.frequency_hz, drive, p.load_ohm);
      for (std::size_t c = 0; c < tones.size(); ++c) {
        if (c == d) continue;
        nlohmann::json point = p.coordinates;
        point["driven"] = plan_.channels[d];
        add(plan_.channels[c], "crosstalk_db", tones[c].analysis.level_dbfs - tones[d].analysis.level_dbfs, "dB", point);
      }
    }
  }

  void prompt() {
    const std::string answer = io_.ask(step_->message, step_->default_answer);
    record_->message = "answer: " + answer;
    if (step_->expect && answer != *step_->expect) {
      record_->verdict = Verdict::fail;
      record_->message += " (expected '" + *step_->expect + "')";
    }
  }

  const SequencePlan& plan_;
  const Station& station_;
  Bench& bench_;
  const RunOptions& options_;
  OperatorIo& io_;
  RunObserver& observer_;
  const StepPlan* step_ = nullptr;
  StepRecord* record_ = nullptr;
};

}  // namespace

Bench open_bench(const Station& station, const std::string& serial, OperatorIo& io) {
  Bench bench;
  bench.port = open_audio_port(station, serial);
  if (auto* sim_port = dynamic_cast<audio::SimPort*>(bench.port.get())) {
    bench.loads = std::make_unique<SimLoadSwitch>(*sim_port);
  } else if (!station.loads_available_ohm.empty()) {
    bench.loads = std::make_unique<ManualLoadSwitch>(io);
  }
  return bench;
}

std::vector<std::string> check_plan(const SequencePlan& plan, const Station& station) {
  std::vector<std::string> errors;
  const auto error = [&](const StepPlan& s, const std::string& field, const std::string& what) {
    errors.push_back(InputError(plan.path, s.line, "step." + s.id + "." + field, what).what());
  };
  if (static_cast<int>(plan.channels.size()) > station.channel_count()) {
    errors.push_back(InputError(plan.path, 0, "sequence.channels",
                                std::to_string(plan.channels.size()) + " channels, but station '" + station.name +
                                    "' has " + std::to_string(station.channel_count()))
                         .what());
  }
  const double fs = station.audio.sample_rate_hz;
  for (const auto& s : plan.steps) {
    if (s.kind != StepKind::prompt && s.kind != StepKind::set && s.kind != StepKind::cleanup &&
        s.capture_s * fs < static_cast<double>(dsp::kMinimumAnalysisFrames)) {
      error(s, "capture_s", fmt("%g s", s.capture_s) + " is too short: analysis needs " +
                                std::to_string(dsp::kMinimumAnalysisFrames) + " samples at " + fmt("%g Hz", fs));
    }
    const auto check_load = [&](double ohm, const std::string& field) {
      if (station.loads_available_ohm.empty()) return;
      if (std::none_of(station.loads_available_ohm.begin(), station.loads_available_ohm.end(),
                       [&](double a) { return std::abs(a - ohm) < 1e-9; }))
        error(s, field, fmt("%g ohm", ohm) + " is not a load of station '" + station.name + "'");
    };
    for (const auto& p : expand_points(s)) {
      if (p.load_ohm) check_load(*p.load_ohm, "load_ohm");
      if (p.frequency_hz && *p.frequency_hz >= fs / 2.0)
        error(s, "stimulus.frequency_hz", fmt("%g Hz", *p.frequency_hz) + " is at or above half the sample rate");
      if (p.level && s.kind != StepKind::noise) {
        try {
          const double v = level_to_vrms(*p.level, {station.audio.calibration.output_vrms_at_0dbfs, p.load_ohm});
          if (v > station.safety.max_output_vrms * (1 + 1e-9))
            error(s, "stimulus.level", format_level(*p.level) + " is " + fmt("%.3g Vrms", v) +
                                           ", above the station's max_output_vrms of " +
                                           fmt("%g Vrms", station.safety.max_output_vrms));
        } catch (const std::invalid_argument& e) {
          error(s, "stimulus.level", e.what());
        }
      }
    }
    if (s.stimulus.to_hz && *s.stimulus.to_hz >= fs / 2.0)
      error(s, "stimulus.to_hz", fmt("%g Hz", *s.stimulus.to_hz) + " is at or above half the sample rate");
  }
  return errors;
}

store::RunRecord run_sequence(const SequencePlan& plan, const Station& station, Bench& bench, const RunOptions& options,
                              OperatorIo& io, RunObserver& observer) {
  store::RunRecord run;
  run.sequence_name = plan.name;
  run.sequence_sha256 = store::sha256_hex(plan.text);
  run.sequence_text = plan.text;
  run.station_name = station.name;
  run.station_text = station.text;
  run.serial = options.serial;
  run.operator_name = options.operator_name;
  run.software_version = AMPBENCH_VERSION;
  run.started_at = store::utc_now_iso8601();
  observer.run_started(run);

  StepRunner runner(plan, station, bench, options, io, observer);
  bool skipping = false;
  bool aborted = false;
  Verdict verdict = Verdict::pass;
  int ordinal = 0;
  for (const auto& step : plan.steps) {
    if (options.abort_requested && options.abort_requested->load()) aborted = true;
    if ((skipping || aborted) && !step.cleanup) continue;
    StepRecord record;
    record.ordinal = ++ordinal;
    record.step_id = step.id;
    record.kind = std::string(step_kind_name(step.kind));
    record.params = step.params;
    record.started_at = store::utc_now_iso8601();
    record.verdict = Verdict::pass;
    observer.step_started(run, record);
    try {
      runner.run(step, record);
      for (const auto& m : record.measurements) record.verdict = store::worst(record.verdict, m.verdict);
    } catch (const AbortedError& e) {
      record.verdict = Verdict::aborted;
      record.message = e.what();
      aborted = true;
    } catch (const MeasurementError& e) {
      record.verdict = Verdict::error;
      record.message = e.what();
    } catch (const std::exception& e) {
      record.verdict = Verdict::error;
      record.message = std::string("internal error: ") + e.what();
    }
    record.finished_at = store::utc_now_iso8601();
    verdict = store::worst(verdict, record.verdict);
    if (plan.stop_on_fail && record.verdict != Verdict::pass) skipping = true;
    observer.step_finished(run, record);
    run.steps.push_back(std::move(record));
  }
  run.verdict = aborted ? Verdict::aborted : verdict;
  run.finished_at = store::utc_now_iso8601();
  observer.run_finished(run);
  return run;
}

}  // namespace ampbench::sequence
