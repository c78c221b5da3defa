#include "sequence/runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <thread>

#include "audio/sim_port.hpp"
#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "dsp/imd.hpp"
#include "dsp/sweep.hpp"
#include "sequence/bench.hpp"

namespace ampbench::sequence {
namespace {

std::string fmt(const char* f, double v) {
  char b[160];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

using record::MeasurementRecord;
using record::StepRecord;
using record::Verdict;

class SimLoadSwitch : public LoadSwitch {
 public:
  explicit SimLoadSwitch(audio::SimPort& port) : port_(port) {}
  void select(double load_ohm) override { port_.chain().set_load_ohm(load_ohm); }

 private:
  audio::SimPort& port_;
};

// No switch on the bench: the operator moves the load by hand, once per change.
// The simulated preamp's front panel and source resistor, set directly; a DMM on the
// simulated bench sees the phantom voltage on the pins its probes are on.
class SimDutControl : public DutControl {
 public:
  explicit SimDutControl(audio::SimPort& port) : port_(port) {}
  void apply(const DutChange& change) override {
    sim::DutSettings s = port_.chain().dut_settings();
    if (change.input) s.input = *change.input;
    if (change.gain_db) s.gain_db = *change.gain_db;
    if (change.bass_db) s.bass_db = *change.bass_db;
    if (change.treble_db) s.treble_db = *change.treble_db;
    if (change.phantom) s.phantom = *change.phantom;
    try {
      port_.chain().set_dut(s);
    } catch (const std::invalid_argument& e) {
      throw MeasurementError(std::string("cannot set the DUT (") + change.describe() +
                             "): " + e.what());
    }
    probe_input_pins(probed_);
  }
  void set_series_ohm(double ohm) override { port_.chain().set_series_ohm(ohm); }
  void probe_input_pins(int channel) override {
    probed_ = channel;
    if (port_.wiring()) port_.wiring()->input_pins_carry(port_.chain().phantom_v(channel));
  }

 private:
  audio::SimPort& port_;
  int probed_ = 1;
};

// A bench without automation: the operator sets the DUT and the resistor when asked.
class ManualDutControl : public DutControl {
 public:
  explicit ManualDutControl(OperatorIo& io) : io_(io) {}
  void apply(const DutChange& change) override {
    io_.ask("Set the DUT: " + change.describe() + "; press Enter when done", "");
  }
  void set_series_ohm(double ohm) override {
    io_.ask(ohm > 0.0 ? "Put " + fmt("%g ohm", ohm) +
                            " in series with the DUT input (or as its "
                            "termination); press Enter when done"
                      : "Short the series resistor (source straight to the DUT); press Enter",
            "");
  }
  void probe_input_pins(int channel) override {
    io_.ask("Put the DMM on input " + std::to_string(channel) + "'s pins; press Enter", "");
  }

 private:
  OperatorIo& io_;
};

// A bench whose relays set the DUT's input and phantom power and switch the series
// resistor; whatever has no relay (gain, tone, other terminations) the operator sets.
class RelayDutControl : public DutControl {
 public:
  RelayDutControl(std::unique_ptr<instruments::RelaySwitch> relays, const Station& station,
                  OperatorIo& io)
      : relays_(std::move(relays)), switch_(*station.dut_switch), station_(station), manual_(io) {}
  void apply(const DutChange& change) override {
    DutChange rest = change;
    if (change.input && !switch_.input_relays.empty()) {
      const auto chosen = switch_.input_relays.find(*change.input);
      if (chosen == switch_.input_relays.end())
        throw MeasurementError("the DUT switch has no relay for input '" + *change.input + "'");
      for (const auto& [name, relay] : switch_.input_relays)
        if (relay != chosen->second) relays_->open(relay);  // break before make
      relays_->close(chosen->second);
      rest.input.reset();
    }
    if (change.phantom && switch_.phantom_relay) {
      *change.phantom ? relays_->close(*switch_.phantom_relay)
                      : relays_->open(*switch_.phantom_relay);
      rest.phantom.reset();
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(relays_->settle_s()));
    if (!rest.empty()) manual_.apply(rest);
  }
  void set_series_ohm(double ohm) override {
    if (switch_.series_relay && (ohm == 0.0 || ohm == *station_.series_resistor_ohm)) {
      ohm == 0.0 ? relays_->open(*switch_.series_relay) : relays_->close(*switch_.series_relay);
      std::this_thread::sleep_for(std::chrono::duration<double>(relays_->settle_s()));
      return;
    }
    manual_.set_series_ohm(ohm);
  }
  void probe_input_pins(int channel) override { manual_.probe_input_pins(channel); }

 private:
  std::unique_ptr<instruments::RelaySwitch> relays_;
  const Station::DutSwitch& switch_;
  const Station& station_;
  ManualDutControl manual_;
};

// Loads on a relay box: the relay of each load from the station; every relay opens before
// the next closes, and the contacts settle before anything plays.
class RelayLoadSwitch : public LoadSwitch {
 public:
  RelayLoadSwitch(std::unique_ptr<instruments::RelaySwitch> relays, const Station& station)
      : relays_(std::move(relays)), station_(station) {}
  void select(double load_ohm) override {
    for (std::size_t i = 0; i < station_.loads_available_ohm.size(); ++i) {
      if (std::abs(station_.loads_available_ohm[i] - load_ohm) > 1e-9) continue;
      relays_->select(station_.load_relays[i]);
      std::this_thread::sleep_for(std::chrono::duration<double>(relays_->settle_s()));
      return;
    }
    throw MeasurementError(fmt("%g ohm", load_ohm) + " is not a load of station '" + station_.name +
                           "'");
  }

 private:
  std::unique_ptr<instruments::RelaySwitch> relays_;
  const Station& station_;
};

// Takes the series resistor (or termination) out again however the step ends.
class SourceDirectAgain {
 public:
  explicit SourceDirectAgain(DutControl& dut) : dut_(dut) {}
  ~SourceDirectAgain() {
    try {
      dut_.set_series_ohm(0.0);
    } catch (const std::exception&) {
      // The step is already failing for the reason that got us here.
    }
  }
  SourceDirectAgain(const SourceDirectAgain&) = delete;
  SourceDirectAgain& operator=(const SourceDirectAgain&) = delete;

 private:
  DutControl& dut_;
};

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

class ManualLoadSwitch : public LoadSwitch {
 public:
  explicit ManualLoadSwitch(OperatorIo& io) : io_(io) {}
  void select(double load_ohm) override {
    if (current_ && *current_ == load_ohm) return;
    char text[96];
    if (std::isinf(load_ohm))
      std::snprintf(text, sizeof text, "Disconnect the load (open circuit), then press Enter");
    else
      std::snprintf(text, sizeof text, "Connect the %g ohm load, then press Enter", load_ohm);
    io_.ask(text, "");
    current_ = load_ohm;
  }

 private:
  OperatorIo& io_;
  std::optional<double> current_;
};

// One point of a step: the effective stimulus after the sweep coordinates are applied.
struct Point {
  std::optional<double> frequency_hz;
  std::optional<Level> level;
  std::optional<double> load_ohm;
  nlohmann::json coordinates = nlohmann::json::object();
  DutChange dut;
};

std::vector<Point> expand_points(const StepPlan& step) {
  std::vector<Point> points = {{step.stimulus.frequency_hz, step.stimulus.level, step.load_ohm,
                                nlohmann::json::object(), step.dut}};
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
        } else if (axis.parameter == "dut.input") {
          q.dut.input = std::get<std::string>(v);
          q.coordinates[axis.parameter] = *q.dut.input;
        } else if (axis.parameter.rfind("dut.", 0) == 0) {
          const double value = std::get<double>(v);
          (axis.parameter == "dut.gain_db"   ? q.dut.gain_db
           : axis.parameter == "dut.bass_db" ? q.dut.bass_db
                                             : q.dut.treble_db) = value;
          q.coordinates[axis.parameter] = value;
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
  double vrms_out = 0.0;         // at the DUT output
  record::CurveRecord spectrum;  // when asked for
};

// A frequency response per channel, however it was measured.
struct ResponseData {
  std::vector<double> frequency_hz;
  std::vector<double> gain_db;
  std::vector<double> phase_deg;   // swept only
  std::vector<double> thd_pct;     // swept only; NaN where no harmonic was in band
  double reference_gain_db = 0.0;  // at 1 kHz (or the band's nearest edge)
};

// Distortion (re total, all harmonics) of a sine of amplitude r·Vc hard-clipped at ±Vc:
// with α = arcsin(1/r), b1 = (2A/π)(α + sin α cos α) and the mean square
// (2A²/π)(α/2 − sin 2α/4 + sin²α·(π/2 − α)).
double hard_clip_distortion(double r) {
  if (r <= 1.0) return 0.0;
  const double a = std::asin(1.0 / r);
  const double b1 = 2.0 / std::numbers::pi * (a + std::sin(a) * std::cos(a));
  const double ms = 2.0 / std::numbers::pi *
                    (a / 2.0 - std::sin(2.0 * a) / 4.0 +
                     std::sin(a) * std::sin(a) * (std::numbers::pi / 2.0 - a));
  return std::sqrt(std::max(ms - b1 * b1 / 2.0, 0.0) / ms);
}

// The overdrive r at which a hard clipper reaches `distortion` (bisection on r in 1..100).
double hard_clip_overdrive(double distortion) {
  double lo = 1.0, hi = 100.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = std::sqrt(lo * hi);
    (hard_clip_distortion(mid) < distortion ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

std::vector<double> log_grid(double f1, double f2, int points) {
  std::vector<double> f;
  for (int i = 0; i < points; ++i) f.push_back(f1 * std::pow(f2 / f1, double(i) / (points - 1)));
  return f;
}

class StepRunner {
 public:
  StepRunner(const SequencePlan& plan, const Station& station, Bench& bench,
             const RunOptions& options, OperatorIo& io, RunObserver& observer)
      : plan_(plan),
        station_(station),
        bench_(bench),
        options_(options),
        io_(io),
        observer_(observer) {}

  void run(const StepPlan& step, StepRecord& record) {
    step_ = &step;
    record_ = &record;
    const auto points = expand_points(step);
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (points.size() > 1) progress(static_cast<int>(i), static_cast<int>(points.size()));
      const Point& p = points[i];
      if (!p.dut.empty()) {
        if (!bench_.dut) throw MeasurementError("this bench cannot set the DUT's controls");
        bench_.dut->apply(p.dut);
      }
      switch (step.kind) {
        case StepKind::level:
        case StepKind::thdn:
          tone_point(p, step.kind == StepKind::thdn && i + 1 == points.size());
          balance(p);
          break;
        case StepKind::frequency_response:
          frequency_response(p);
          break;
        case StepKind::noise:
          noise(p);
          break;
        case StepKind::imd:
          imd(p);
          break;
        case StepKind::crosstalk:
          crosstalk(p);
          break;
        case StepKind::max_power:
          max_power(p);
          break;
        case StepKind::output_impedance:
          output_impedance(p);
          break;
        case StepKind::prompt:
          prompt();
          break;
        case StepKind::set:
          if (p.load_ohm && step.params.contains("load_ohm")) select_load(*p.load_ohm);
          break;
        case StepKind::input_impedance:
          input_impedance(p);
          break;
        case StepKind::phantom:
          phantom();
          break;
        case StepKind::cleanup:
          if (!step.message.empty()) io_.ask(step.message, "");
          break;
      }
    }
    if (step.kind == StepKind::thdn && points.size() > 1) thdn_curve();
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

  double fs() const { return bench_.port->sample_rate_hz(); }
  std::size_t settle_frames() const {
    return static_cast<std::size_t>(std::llround(step_->settle_s * fs()));
  }
  std::size_t analysed_frames() const {
    return static_cast<std::size_t>(std::llround(step_->capture_s * fs()));
  }

  // Plays one signal per DUT channel (empty = silent; shorter ones are padded with silence).
  audio::Capture play(const std::vector<std::vector<double>>& signals, std::size_t frames,
                      std::optional<double> load) {
    check_abort();
    if (load) select_load(*load);
    auto& port = *bench_.port;
    audio::AudioBuffer stimulus;
    stimulus.sample_rate_hz = fs();
    stimulus.channels.assign(static_cast<std::size_t>(port.output_count()),
                             std::vector<double>(frames, 0.0));
    for (std::size_t c = 0; c < signals.size(); ++c)
      std::copy_n(signals[c].begin(), std::min(signals[c].size(), frames),
                  stimulus.channels[c].begin());
    if (station_.audio
            .loopback) {  // the loopback reference plays the first driven channel's signal
      for (const auto& signal : signals) {
        if (signal.empty()) continue;
        std::copy_n(signal.begin(), std::min(signal.size(), frames),
                    stimulus.channels.back().begin());
        break;
      }
    }
    return port.play_and_capture(stimulus);
  }

  // A steady signal (sine or two-tone) with a 5 ms raised-cosine fade-in inside the settle
  // time, which spares tweeters the click of a switched-on sine.
  std::vector<double> steady(const std::vector<dsp::Tone>& tones) const {
    return steady(tones, settle_frames(), analysed_frames());
  }
  std::vector<double> steady(const std::vector<dsp::Tone>& tones, std::size_t settle,
                             std::size_t analysed) const {
    auto x = dsp::generate_tones(tones, fs(), settle + analysed);
    const std::size_t fade = std::min(settle, static_cast<std::size_t>(0.005 * fs()));
    for (std::size_t i = 0; i < fade; ++i)
      x[i] *= 0.5 - 0.5 * std::cos(std::numbers::pi * double(i) / double(fade));
    return x;
  }

  // Peak, in full scale, of a sine of this many Vrms at the DUT input.
  double peak_fs_of_vrms(double vrms) const {
    return vrms / station_.audio.calibration.output_vrms_at_0dbfs;
  }

  std::span<const double> analysed(const audio::Capture& capture, std::size_t c) const {
    return std::span(capture.audio.channels[c]).subspan(settle_frames(), analysed_frames());
  }

  // The external generator's sine on every DUT input (one output, split to each), captured
  // through the interface while it plays; output off again however the capture ends.
  audio::Capture capture_from_generator(double frequency_hz, const std::vector<double>& vrms_in,
                                        std::optional<double> load) {
    if (!bench_.generator) throw MeasurementError("the station has no [generator]");
    const double vrms = *std::max_element(vrms_in.begin(), vrms_in.end());
    if (std::any_of(vrms_in.begin(), vrms_in.end(), [&](double v) { return v != vrms; }))
      throw MeasurementError(
          "the generator drives every DUT input alike; this step needs "
          "different levels per channel");
    check_abort();
    if (load) select_load(*load);  // loads switch before the signal comes, never under it
    auto& generator = *bench_.generator;
    GeneratorOutputGuard off(generator);
    generator.set_sine(frequency_hz, vrms);
    generator.output(true);
    std::this_thread::sleep_for(std::chrono::duration<double>(generator.settle_s()));
    return play({}, settle_frames() + analysed_frames(), std::nullopt);
  }

  // Sine of vrms_in[c] on each DUT channel (0 = silent); each output analysed.
  std::vector<ChannelTone> capture_tones(double frequency_hz, const std::vector<double>& vrms_in,
                                         std::optional<double> load, bool with_spectrum = false) {
    if (step_->stimulus.source == StimulusSource::generator)
      return analyse_tones(capture_from_generator(frequency_hz, vrms_in, load), frequency_hz,
                           with_spectrum);
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
    return analyse_tones(play(signals, settle_frames() + analysed_frames(), load), frequency_hz,
                         with_spectrum);
  }

  std::vector<ChannelTone> analyse_tones(const audio::Capture& capture, double frequency_hz,
                                         bool with_spectrum) const {
    dsp::ToneAnalysisOptions options;
    options.fundamental_hz = frequency_hz;
    // A response point needs only the tone's level, wherever the band edges are.
    options.band =
        step_->kind == StepKind::frequency_response ? dsp::FrequencyBand::full() : step_->band;
    options.thdn_method = step_->thdn_method;
    options.weighting = step_->weighting;
    std::vector<ChannelTone> out;
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      ChannelTone t;
      t.analysis = dsp::analyze_tone(analysed(capture, c), fs(), options);
      t.vrms_out = volts_at_dut_output(t.analysis.level_dbfs);
      if (with_spectrum) t.spectrum = spectrum_curve(analysed(capture, c), frequency_hz);
      out.push_back(t);
    }
    return out;
  }

  // The analysed block's spectrum at the DUT output in dBV (each bin as a sine's level),
  // reduced to a 1/48-octave maximum from 10 Hz to fs/2 so reports can draw it.
  record::CurveRecord spectrum_curve(std::span<const double> block, double fundamental_hz) const {
    const auto s = dsp::power_spectrum(block, fs());
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

  double volts_at_dut_output(double level_dbfs) const {
    return station_.audio.calibration.input_vrms_at_0dbfs * dsp::db_to_amplitude_ratio(level_dbfs) /
           dsp::db_to_amplitude_ratio(station_.attenuator_gain_db);
  }

  // Volts out per volt in, for a ratio of full-scale values at the input and output.
  double volts_gain_of_fs_ratio() const {
    return station_.audio.calibration.input_vrms_at_0dbfs /
           station_.audio.calibration.output_vrms_at_0dbfs /
           dsp::db_to_amplitude_ratio(station_.attenuator_gain_db);
  }

  MeasurementRecord judged(MeasurementRecord m, std::optional<double> frequency_hz) const {
    if (auto it = step_->limits.find(m.name); it != step_->limits.end()) {
      const Limit& l = it->second;
      const bool applies = !frequency_hz || ((!l.from_hz || *frequency_hz >= *l.from_hz) &&
                                             (!l.to_hz || *frequency_hz <= *l.to_hz));
      if (applies) {
        m.low = l.min;
        m.high = l.max;
      }
    }
    const bool ok =
        std::isfinite(m.value) && (!m.low || m.value >= *m.low) && (!m.high || m.value <= *m.high);
    m.verdict = ok ? Verdict::pass : Verdict::fail;
    if (!std::isfinite(m.value) && !m.low && !m.high) m.verdict = Verdict::error;
    return m;
  }

  void add(const std::string& channel, const std::string& name, double value,
           const std::string& unit, const nlohmann::json& point,
           std::optional<double> frequency_hz = std::nullopt) {
    record_->measurements.push_back(
        judged({channel, name, value, unit, std::nullopt, std::nullopt, Verdict::pass, point},
               frequency_hz));
  }

  // with_spectrum: keep the spectrum of this point (the last of a THD+N step) as a curve.
  void tone_point(const Point& p, bool with_spectrum) {
    const double vin = vrms_of(*p.level, p.load_ohm);
    auto tones = capture_tones(*p.frequency_hz, std::vector<double>(plan_.channels.size(), vin),
                               p.load_ohm, with_spectrum);
    for (std::size_t c = 0; c < tones.size(); ++c) {
      auto& t = tones[c];
      const auto& ch = plan_.channels[c];
      if (with_spectrum) {
        t.spectrum.channel = ch;
        for (const auto& [key, value] : p.coordinates.items()) t.spectrum.point[key] = value;
        record_->curves.push_back(std::move(t.spectrum));
      }
      add(ch, "gain_db", dsp::amplitude_ratio_to_db(t.vrms_out / vin), "dB", p.coordinates,
          p.frequency_hz);
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

  // Level steps on two channels: the balance L − R of their gains.
  void balance(const Point& p) {
    if (step_->kind != StepKind::level || plan_.channels.size() < 2) return;
    std::optional<double> first, second;
    for (const auto& m : record_->measurements) {
      if (m.name != "gain_db" || m.point != p.coordinates) continue;
      if (m.channel == plan_.channels[0]) first = m.value;
      if (m.channel == plan_.channels[1]) second = m.value;
    }
    if (first && second)
      add(plan_.channels[0] + "-" + plan_.channels[1], "balance_db", *first - *second, "dB",
          p.coordinates, p.frequency_hz);
  }

  // THD+N versus the measured output level, one curve per channel.
  void thdn_curve() {
    for (const auto& ch : plan_.channels) {
      record::CurveRecord curve{ch, "thdn_vs_level_pct", "dBV", "%", {}, {}};
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

  double reference_hz() const {
    return std::clamp(1000.0, *step_->stimulus.from_hz, *step_->stimulus.to_hz);
  }

  std::vector<ResponseData> stepped_response(const Point& p, double vin) {
    const std::vector<double> drive(plan_.channels.size(), vin);
    const auto reference = capture_tones(reference_hz(), drive, p.load_ohm);
    const auto freqs =
        log_grid(*step_->stimulus.from_hz, *step_->stimulus.to_hz, step_->stimulus.points);
    std::vector<ResponseData> data(plan_.channels.size());
    for (std::size_t c = 0; c < data.size(); ++c) {
      data[c].frequency_hz = freqs;
      data[c].reference_gain_db = dsp::amplitude_ratio_to_db(reference[c].vrms_out / vin);
    }
    for (std::size_t i = 0; i < freqs.size(); ++i) {
      progress(static_cast<int>(i), static_cast<int>(freqs.size()));
      const auto tones = capture_tones(freqs[i], drive, p.load_ohm);
      for (std::size_t c = 0; c < data.size(); ++c)
        data[c].gain_db.push_back(dsp::amplitude_ratio_to_db(tones[c].vrms_out / vin));
    }
    return data;
  }

  // The synchronised sweep runs two octaves below and a little above the reported band,
  // where its band tapers lie (dsp/sweep.hpp).
  std::vector<ResponseData> swept_response(const Point& p, double vin) {
    const double from = *step_->stimulus.from_hz, to = *step_->stimulus.to_hz;
    const auto sweep =
        dsp::SyncSweep::design(from / 4.0, std::min(to * std::pow(2.0, 1.0 / 8.0), 0.48 * fs()),
                               step_->stimulus.duration_s, fs());
    // A sweep's (and a two-tone's) level is that of the sine with the same peak.
    const auto x = dsp::generate_sync_sweep(sweep, peak_fs_of_vrms(vin));
    const std::size_t frames =
        x.size() + static_cast<std::size_t>(std::llround(std::max(0.25, step_->settle_s) * fs()));
    const audio::Capture capture =
        play(std::vector<std::vector<double>>(plan_.channels.size(), x), frames, p.load_ohm);
    dsp::SweepAnalysisOptions options;
    options.latency_samples = 0.0;  // the port already aligned the capture
    options.frequencies_hz = log_grid(from, to, step_->stimulus.points);
    options.frequencies_hz.push_back(reference_hz());
    std::vector<double> stimulus(frames, 0.0);
    std::copy(x.begin(), x.end(), stimulus.begin());
    // Divided by the loopback reference, H1 is DUT output over interface output, both read
    // by the same input: only the attenuator is left between it and volts over volts.
    double to_volts_db = dsp::amplitude_ratio_to_db(volts_gain_of_fs_ratio());
    if (station_.audio.loopback) {
      options.reference = capture.audio.channels.back();
      to_volts_db = -station_.attenuator_gain_db;
    }
    std::vector<ResponseData> data(plan_.channels.size());
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
    }
    return data;
  }

  void frequency_response(const Point& p) {
    const double vin = vrms_of(*p.level, p.load_ohm);
    const auto data = step_->method == "sweep" ? swept_response(p, vin) : stepped_response(p, vin);
    const Limit* mask =
        step_->limits.count("deviation_db") ? &step_->limits.at("deviation_db") : nullptr;
    for (std::size_t c = 0; c < data.size(); ++c) {
      const auto& d = data[c];
      const auto& ch = plan_.channels[c];
      add(ch, "gain_db", d.reference_gain_db, "dB", p.coordinates);
      // Deviation re the reference gain, and from the target curve when there is one.
      std::vector<double> deviation(d.frequency_hz.size());
      for (std::size_t i = 0; i < d.frequency_hz.size(); ++i)
        deviation[i] = d.gain_db[i] - d.reference_gain_db -
                       (step_->target ? step_->target->db(d.frequency_hz[i]) : 0.0);
      double dmin = INFINITY, dmax = -INFINITY;
      for (std::size_t i = 0; i < d.frequency_hz.size(); ++i) {
        const double f = d.frequency_hz[i];
        if (mask && ((mask->from_hz && f < *mask->from_hz * (1 - 1e-9)) ||
                     (mask->to_hz && f > *mask->to_hz * (1 + 1e-9))))
          continue;
        dmin = std::min(dmin, deviation[i]);
        dmax = std::max(dmax, deviation[i]);
      }
      if (step_->target)
        record_->curves.push_back({ch, "deviation_db", "Hz", "dB", d.frequency_hz, deviation, [&] {
                                     auto point = p.coordinates;
                                     point["target"] = step_->target->name;
                                     return point;
                                   }()});
      shelf_figures(d, ch, p);
      // The deviation_db mask bounds both figures; their own limits, if given, take over.
      record_->measurements.push_back(
          judged({ch, "deviation_min_db", dmin, "dB", mask ? mask->min : std::nullopt, std::nullopt,
                  Verdict::pass, p.coordinates},
                 std::nullopt));
      record_->measurements.push_back(
          judged({ch, "deviation_max_db", dmax, "dB", std::nullopt, mask ? mask->max : std::nullopt,
                  Verdict::pass, p.coordinates},
                 std::nullopt));
      if (auto f = corner(d, -1)) add(ch, "f_low_3db_hz", *f, "Hz", p.coordinates);
      if (auto f = corner(d, +1)) add(ch, "f_high_3db_hz", *f, "Hz", p.coordinates);
      record_->curves.push_back(
          {ch, "response_db", "Hz", "dB", d.frequency_hz, d.gain_db, p.coordinates});
      if (!d.phase_deg.empty())
        record_->curves.push_back(
            {ch, "phase_deg", "Hz", "deg", d.frequency_hz, d.phase_deg, p.coordinates});
      record::CurveRecord thd{ch, "thd_vs_freq_pct", "Hz", "%", {}, {}, p.coordinates};
      for (std::size_t i = 0; i < d.thd_pct.size(); ++i) {
        if (!std::isfinite(d.thd_pct[i])) continue;
        thd.x.push_back(d.frequency_hz[i]);
        thd.y.push_back(d.thd_pct[i]);
      }
      if (!thd.x.empty()) record_->curves.push_back(std::move(thd));
    }
  }

  // Gain re 1 kHz at 100 Hz and 10 kHz (tone controls), read off the curve in log
  // frequency, and each shelf's turnover: where the response is half its deviation at the
  // band edge, in dB.
  void shelf_figures(const ResponseData& d, const std::string& ch, const Point& p) {
    const auto& f = d.frequency_hz;
    if (f.size() < 3) return;
    const auto at = [&](double hz) -> std::optional<double> {
      if (hz < f.front() * (1 - 1e-9) || hz > f.back() * (1 + 1e-9)) return std::nullopt;
      std::size_t i = 1;
      while (i + 1 < f.size() && f[i] < hz) ++i;
      const double u = std::log(hz / f[i - 1]) / std::log(f[i] / f[i - 1]);
      return d.gain_db[i - 1] + u * (d.gain_db[i] - d.gain_db[i - 1]) - d.reference_gain_db;
    };
    if (const auto g = at(100.0)) add(ch, "gain_100hz_db", *g, "dB", p.coordinates);
    if (const auto g = at(10000.0)) add(ch, "gain_10khz_db", *g, "dB", p.coordinates);
    const auto turnover = [&](bool low) -> std::optional<double> {
      const double edge = (low ? d.gain_db.front() : d.gain_db.back()) - d.reference_gain_db;
      if (std::abs(edge) < 1.0) return std::nullopt;  // no shelf to speak of
      const double half = edge / 2.0;
      for (std::size_t k = 1; k < f.size(); ++k) {
        const std::size_t i = low ? k - 1 : f.size() - k, j = low ? k : f.size() - k - 1;
        const double a = d.gain_db[i] - d.reference_gain_db - half,
                     b = d.gain_db[j] - d.reference_gain_db - half;
        if ((a >= 0.0) != (b >= 0.0)) {
          const double u = a / (a - b);
          return std::exp(std::log(f[i]) + u * (std::log(f[j]) - std::log(f[i])));
        }
      }
      return std::nullopt;
    };
    if (const auto t = turnover(true)) add(ch, "bass_turnover_hz", *t, "Hz", p.coordinates);
    if (const auto t = turnover(false)) add(ch, "treble_turnover_hz", *t, "Hz", p.coordinates);
  }

  // Series-resistor method: the DUT's output level with the resistor shorted (U1) and in
  // series with the source (U2) gives Z_in = R_s·U2/(U1 − U2).
  void input_impedance(const Point& p) {
    if (!station_.series_resistor_ohm)
      throw MeasurementError("the station declares no series resistor ([source] series_ohm)");
    if (!bench_.dut) throw MeasurementError("this bench cannot switch the series resistor");
    const double rs = *station_.series_resistor_ohm;
    const double vin = vrms_of(*p.level, p.load_ohm);
    const std::vector<double> drive(plan_.channels.size(), vin);
    const SourceDirectAgain restore(*bench_.dut);
    bench_.dut->set_series_ohm(0.0);
    const auto direct = capture_tones(*p.frequency_hz, drive, p.load_ohm);
    bench_.dut->set_series_ohm(rs);
    const auto through = capture_tones(*p.frequency_hz, drive, p.load_ohm);
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const double u1 = direct[c].vrms_out, u2 = through[c].vrms_out;
      if (!(u2 > 0.0) || u1 - u2 <= u1 * 1e-4)
        throw MeasurementError(plan_.channels[c] + ": the series resistor of " + fmt("%g ohm", rs) +
                               " changes the level by less than 0.001 dB: the input impedance is "
                               "beyond what it can measure (or no signal came through)");
      add(plan_.channels[c], "input_impedance_ohm", rs * u2 / (u1 - u2), "ohm", p.coordinates,
          p.frequency_hz);
    }
  }

  // DC on each channel's input pins (phantom power), read by the station's DMM or typed.
  void phantom() {
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      if (bench_.dut) bench_.dut->probe_input_pins(static_cast<int>(c + 1));
      double volts = 0.0;
      if (bench_.dmm) {
        volts = bench_.dmm->read_dc_v();
      } else {
        const std::string typed =
            io_.ask("DC volts between pin 2 and ground of " + plan_.channels[c] + "'s input:", "");
        try {
          volts = std::stod(typed);
        } catch (const std::exception&) {
          throw MeasurementError("no DMM in the station and no reading typed for " +
                                 plan_.channels[c]);
        }
      }
      add(plan_.channels[c], "phantom_v", volts, "V", nlohmann::json::object());
    }
  }

  // -3 dB corner below (direction -1) or above (+1) the reference frequency: the first
  // crossing of reference − 3 dB, interpolated in log-frequency.
  std::optional<double> corner(const ResponseData& d, int direction) const {
    const auto& f = d.frequency_hz;
    std::size_t i = 0;
    while (i + 1 < f.size() && f[i + 1] <= reference_hz()) ++i;
    while (true) {
      if ((direction < 0 && i == 0) || (direction > 0 && i + 1 >= f.size())) return std::nullopt;
      const std::size_t j = direction > 0 ? i + 1 : i - 1;
      const double a = d.gain_db[i] - d.reference_gain_db + 3.0,
                   b = d.gain_db[j] - d.reference_gain_db + 3.0;
      if (a >= 0.0 && b < 0.0) {
        const double u = a / (a - b);
        return std::exp(std::log(f[i]) + u * (std::log(f[j]) - std::log(f[i])));
      }
      i = j;
    }
  }

  // EIN: the input terminated in R_s; the gain from a 1 kHz sine at the EIN level (from
  // the source's open-circuit volts, so the termination's divider counts as the DUT's);
  // then the output noise 20 Hz–20 kHz, unweighted and A-weighted, over that gain, in dBu.
  void equivalent_input_noise(const Point& p) {
    if (!bench_.dut) throw MeasurementError("this bench cannot terminate the DUT's input");
    const EinSpec& ein = *step_->ein;
    const SourceDirectAgain restore(*bench_.dut);
    bench_.dut->set_series_ohm(ein.source_ohm);
    const double vin = vrms_of(ein.level, p.load_ohm);
    const auto tones =
        capture_tones(1000.0, std::vector<double>(plan_.channels.size(), vin), p.load_ohm);
    const audio::Capture capture = play({}, settle_frames() + analysed_frames(), p.load_ohm);
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const double gain = tones[c].vrms_out / vin;
      if (!(gain > 0.0))
        throw MeasurementError(plan_.channels[c] + ": no gain to refer the noise to");
      const auto spectrum = dsp::power_spectrum(analysed(capture, c), fs());
      for (const auto weighting : {dsp::Weighting::none, dsp::Weighting::a}) {
        const double rms_fs = dsp::band_rms_fs(spectrum, dsp::FrequencyBand::audio(), weighting);
        const double out_vrms = volts_at_dut_output(dsp::mean_square_to_dbfs(rms_fs * rms_fs));
        auto point = p.coordinates;
        point["source_ohm"] = ein.source_ohm;
        add(plan_.channels[c], weighting == dsp::Weighting::none ? "ein_dbu" : "ein_a_dbu",
            dsp::vrms_to_dbu(out_vrms / gain), "dBu", point);
      }
    }
  }

  void noise(const Point& p) {
    if (step_->ein) return equivalent_input_noise(p);
    if (p.frequency_hz && p.level) return dynamic_range(p);
    const audio::Capture capture = play({}, settle_frames() + analysed_frames(), p.load_ohm);
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const auto spectrum = dsp::power_spectrum(analysed(capture, c), fs());
      const double rms_fs = dsp::band_rms_fs(spectrum, step_->band, step_->weighting);
      const double vrms = volts_at_dut_output(dsp::mean_square_to_dbfs(rms_fs * rms_fs));
      add(plan_.channels[c], "noise_dbv", dsp::vrms_to_dbv(vrms), "dBV", p.coordinates);
      if (step_->reference) {
        const double ref = vrms_of(*step_->reference, p.load_ohm ? p.load_ohm : step_->load_ohm);
        add(plan_.channels[c], "snr_db", dsp::amplitude_ratio_to_db(ref / vrms), "dB",
            p.coordinates);
      }
    }
  }

  // AES17 dynamic range: a tone about 60 dB below the maximum (the step's `reference`, an
  // output level), weighted THD+N; DR = 20·lg(max/output) − THD+N(dB).
  void dynamic_range(const Point& p) {
    const double vin = vrms_of(*p.level, p.load_ohm);
    const auto tones =
        capture_tones(*p.frequency_hz, std::vector<double>(plan_.channels.size(), vin), p.load_ohm);
    const double max_vrms = vrms_of(*step_->reference, p.load_ohm ? p.load_ohm : step_->load_ohm);
    for (std::size_t c = 0; c < tones.size(); ++c) {
      const double max_re_level_db = dsp::amplitude_ratio_to_db(max_vrms / tones[c].vrms_out);
      add(plan_.channels[c], "dynamic_range_db",
          dsp::dynamic_range_db(tones[c].analysis, max_re_level_db), "dB", p.coordinates);
    }
  }

  void imd(const Point& p) {
    const auto signal = dsp::parse_imd_signal(step_->imd_signal);
    const double vin = vrms_of(*p.level, p.load_ohm);
    const auto x = steady(dsp::imd_tones(signal, peak_fs_of_vrms(vin)));
    const audio::Capture capture =
        play(std::vector<std::vector<double>>(plan_.channels.size(), x), x.size(), p.load_ohm);
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const auto r = dsp::analyze_imd(analysed(capture, c), fs(), signal);
      add(plan_.channels[c], "imd_pct", r.imd_pct(), "%", p.coordinates);
      add(plan_.channels[c], "imd_db", r.imd_db(), "dB", p.coordinates);
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
        add(plan_.channels[c], "crosstalk_db",
            tones[c].analysis.level_dbfs - tones[d].analysis.level_dbfs, "dB", point);
      }
    }
  }

  struct ChannelBurst {
    double vout = 0.0;
    double thdn_pct = 0.0;
    double thd_pct = 0.0;
  };
  struct Burst {
    double vin = 0.0;
    std::vector<ChannelBurst> channels;
  };

  Burst burst(double frequency_hz, double vin, double load_ohm) {
    return step_->headroom_rated_w ? headroom_burst(frequency_hz, vin, load_ohm)
                                   : steady_burst(frequency_hz, vin, load_ohm);
  }

  // One duty-limited burst of a sine on every channel; the analysis covers the burst after
  // its settle time (at most half the burst).
  Burst steady_burst(double frequency_hz, double vin, double load_ohm) {
    check_abort();
    select_load(load_ohm);
    const auto total = static_cast<std::size_t>(std::llround(step_->burst.on_s * fs()));
    const std::size_t settle = std::min(settle_frames(), total / 2);
    const auto x = steady({{frequency_hz, peak_fs_of_vrms(vin), 0.0}}, settle, total - settle);
    audio::AudioBuffer stimulus;
    stimulus.sample_rate_hz = fs();
    stimulus.channels.assign(static_cast<std::size_t>(bench_.port->output_count()),
                             std::vector<double>(total, 0.0));
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) stimulus.channels[c] = x;
    const audio::Capture capture = bench_.port->play_burst(stimulus, step_->burst.duty);
    dsp::ToneAnalysisOptions options;
    options.fundamental_hz = frequency_hz;
    options.band = step_->band;
    Burst b{vin, {}};
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const auto a = dsp::analyze_tone(
          std::span(capture.audio.channels[c]).subspan(settle, total - settle), fs(), options);
      b.channels.push_back({volts_at_dut_output(a.level_dbfs), a.thdn_pct(), a.thd_pct()});
    }
    return b;
  }

  // CEA-490 dynamic headroom signal: three periods of 480 ms at 20 dB below `vin`, then a
  // 20 ms burst at `vin` (a whole number of cycles, so a rectangular window needs no
  // leakage allowance). The last burst is analysed; the whole signal counts against the
  // duty limit.
  Burst headroom_burst(double frequency_hz, double vin, double load_ohm) {
    check_abort();
    select_load(load_ohm);
    const double cycles = std::max(1.0, std::round(0.020 * frequency_hz));
    const auto burst_frames = static_cast<std::size_t>(std::llround(cycles / frequency_hz * fs()));
    const auto quiet_frames = static_cast<std::size_t>(std::llround(0.480 * fs()));
    const double peak = peak_fs_of_vrms(vin);
    std::vector<double> x;
    for (int period = 0; period < 3; ++period) {
      // Both parts start at phase 0 and hold whole cycles of the rounded length: no steps.
      for (std::size_t i = 0; i < quiet_frames; ++i)
        x.push_back(0.1 * peak *
                    std::sin(2.0 * std::numbers::pi * frequency_hz * double(i) / fs()));
      for (std::size_t i = 0; i < burst_frames; ++i)
        x.push_back(peak *
                    std::sin(2.0 * std::numbers::pi * cycles * double(i) / double(burst_frames)));
    }
    audio::AudioBuffer stimulus;
    stimulus.sample_rate_hz = fs();
    stimulus.channels.assign(static_cast<std::size_t>(bench_.port->output_count()),
                             std::vector<double>(x.size(), 0.0));
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) stimulus.channels[c] = x;
    const audio::Capture capture = bench_.port->play_burst(stimulus, step_->burst.duty);
    dsp::ToneAnalysisOptions options;
    options.fundamental_hz = cycles * fs() / double(burst_frames);
    options.band = step_->band;
    options.window = dsp::WindowKind::rectangular;
    Burst b{vin, {}};
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const auto block =
          std::span(capture.audio.channels[c]).subspan(x.size() - burst_frames, burst_frames);
      const auto a = dsp::analyze_tone_spectrum(
          dsp::power_spectrum(block, fs(), dsp::WindowKind::rectangular), options);
      b.channels.push_back({volts_at_dut_output(a.level_dbfs), a.thdn_pct(), a.thd_pct()});
    }
    return b;
  }

  // Maximum output power, all channels driven: the input level at which the worse
  // channel's THD+N (or THD) reaches the criterion. Bracket it with +10 dB bursts, never
  // beyond max_output_vrms or max_power_w, then close in (a jump along the hard-clipping
  // curve while the low end is only noise, then regula falsi, Illinois, on ln(distortion)
  // against level in dB) until the bracket is 0.1 dB wide; each channel's figures are
  // interpolated to the criterion inside it.
  void max_power(const Point& p) {
    const double load = *p.load_ohm, f = *p.frequency_hz;
    const double criterion = step_->criterion.pct;
    const auto metric_of = [&](const ChannelBurst& c) {
      return step_->criterion.thd_only ? c.thd_pct : c.thdn_pct;
    };
    const auto metric = [&](const Burst& b) {
      double worst = 0.0;
      for (const auto& c : b.channels) worst = std::max(worst, metric_of(c));
      return worst;
    };
    const auto above = [&](const Burst& b) { return metric(b) >= criterion; };
    const auto db = [](double v) { return 20.0 * std::log10(v); };
    const std::string name = step_->criterion.thd_only ? "THD" : "THD+N";
    std::vector<Burst> visited;
    const auto measure = [&](double vin) {
      visited.push_back(burst(f, vin, load));
      progress(static_cast<int>(visited.size()), 0);
      return visited.back();
    };
    const double max_in = station_.safety.max_output_vrms;
    std::string why_stopped;
    // The next level up (+10 dB), held below max_output_vrms and max_power_w.
    const auto level_above = [&](const Burst& b) {
      double gain = 0.0;
      for (const auto& c : b.channels) gain = std::max(gain, c.vout / b.vin);
      double next = b.vin * dsp::db_to_amplitude_ratio(10.0);
      why_stopped = "the station's max_output_vrms";
      if (next > max_in) next = max_in;
      if (step_->max_power_w && next * gain > std::sqrt(*step_->max_power_w * load)) {
        next = std::sqrt(*step_->max_power_w * load) / gain;
        why_stopped = fmt("max_power_w (%g W)", *step_->max_power_w);
      }
      return next;
    };
    // Climb until a clean burst is followed by one at the criterion. Distortion that falls
    // as the level rises (noise, hum) is passed through; distortion that rises with no
    // clean burst yet means clipping from the start: then search below.
    std::optional<Burst> lo, hi, previous;
    Burst current =
        measure(std::min(p.level ? vrms_of(*p.level, load) : dsp::dbv_to_vrms(-20.0), max_in));
    bool below_start = false;
    for (;;) {
      if (!above(current)) {
        lo = current;
      } else if (lo) {
        hi = current;
        break;
      } else if (previous && metric(current) >= metric(*previous)) {
        below_start = true;
        break;
      }
      const double next = level_above(current);
      if (next <= current.vin * 1.0001) {
        if (lo) {
          // Below the criterion as far as it may be driven: what the amplifier delivered
          // there is a lower bound, and limits judge it as such.
          record_->message = name + " stayed below " + fmt("%g %%", criterion) + " up to " +
                             why_stopped + fmt(" (%.4g %%): power_w is a lower bound", metric(*lo));
          report_power(p, visited, *lo, *lo, 0.0, load);
          return;
        }
        below_start = true;
        break;
      }
      previous = current;
      current = measure(next);
    }
    if (below_start) {
      Burst lowest =
          *std::min_element(visited.begin(), visited.end(),
                            [](const Burst& a, const Burst& b) { return a.vin < b.vin; });
      hi = lowest;
      while (above(lowest)) {
        if (visited.size() >= 8) {
          // Distorted at every level tried (a dead or broken channel): what it gives at
          // the lowest is an upper bound, and limits judge it as such.
          record_->message = name + fmt(" above %g %% at every level down to ", criterion) +
                             fmt("%.3g Vrms in: power_w is an upper bound", lowest.vin);
          report_power(p, visited, lowest, lowest, 0.0, load);
          return;
        }
        hi = lowest;
        lowest = measure(lowest.vin / dsp::db_to_amplitude_ratio(10.0));
      }
      lo = lowest;
    }
    int same_side = 0;  // Illinois: halve the stale end's weight after two moves on one side
    double weight_lo = 1.0, weight_hi = 1.0;
    while (db(hi->vin / lo->vin) > 0.1 && visited.size() < 24) {
      const double xl = db(lo->vin), xh = db(hi->vin);
      const double yl = std::log(metric(*lo) / criterion) * weight_lo,
                   yh = std::log(metric(*hi) / criterion) * weight_hi;
      const double margin = std::min(0.02, (xh - xl) / 4.0);
      // While the low end shows only the noise floor, a secant through it lands far off.
      // Instead, read the high end's overdrive off the hard-clipping curve and jump to
      // where that curve meets the criterion; a soft clipper lands near it too.
      const bool floor_only = metric(*lo) < criterion / 5.0;
      const double jump = xh - dsp::amplitude_ratio_to_db(hard_clip_overdrive(metric(*hi) / 100.0) /
                                                          hard_clip_overdrive(criterion / 100.0));
      const double x =
          std::clamp(floor_only ? jump : xl - yl * (xh - xl) / (yh - yl), xl + margin, xh - margin);
      const Burst b = measure(dsp::db_to_amplitude_ratio(x));
      if (above(b)) {
        hi = b;
        weight_hi = 1.0;
        if (++same_side >= 2) weight_lo *= 0.5;
        if (same_side < 0) same_side = 1;
      } else {
        lo = b;
        weight_lo = 1.0;
        if (--same_side <= -2) weight_hi *= 0.5;
        if (same_side > 0) same_side = -1;
      }
      if (std::abs(std::log(metric(b) / criterion)) < 0.002)
        break;  // within 0.2 % of the criterion
    }
    const double yl = std::log(metric(*lo) / criterion), yh = std::log(metric(*hi) / criterion);
    report_power(p, visited, *lo, *hi, yh > yl ? std::clamp(-yl / (yh - yl), 0.0, 1.0) : 0.5, load);
  }

  // Each channel's figures at fraction u (in dB) of the way from burst a to burst b.
  void report_power(const Point& p, std::vector<Burst> visited, const Burst& a, const Burst& b,
                    double u, double load) {
    const double f = *p.frequency_hz;
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const auto& ca = a.channels[c];
      const auto& cb = b.channels[c];
      const double va = dsp::amplitude_ratio_to_db(ca.vout),
                   vb = dsp::amplitude_ratio_to_db(cb.vout);
      const double vout = dsp::db_to_amplitude_ratio(va + u * (vb - va));
      const auto& ch = plan_.channels[c];
      if (step_->headroom_rated_w) {
        add(ch, "burst_power_w", vout * vout / load, "W", p.coordinates, f);
        add(ch, "dynamic_headroom_db",
            10.0 * std::log10(vout * vout / load / *step_->headroom_rated_w), "dB", p.coordinates,
            f);
        continue;
      }
      add(ch, "power_w", vout * vout / load, "W", p.coordinates, f);
      add(ch, "clip_vrms", vout, "V", p.coordinates, f);
      add(ch, "thdn_pct",
          std::exp(std::log(ca.thdn_pct) + u * (std::log(cb.thdn_pct) - std::log(ca.thdn_pct))),
          "%", p.coordinates, f);
      add(ch, "thd_pct",
          std::exp(
              std::log(std::max(ca.thd_pct, 1e-12)) +
              u * (std::log(std::max(cb.thd_pct, 1e-12)) - std::log(std::max(ca.thd_pct, 1e-12)))),
          "%", p.coordinates, f);
    }
    std::sort(visited.begin(), visited.end(),
              [](const Burst& x, const Burst& y) { return x.vin < y.vin; });
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      record::CurveRecord curve{
          plan_.channels[c],
          step_->headroom_rated_w ? "thdn_vs_burst_power_pct" : "thdn_vs_power_pct",
          "W",
          "%",
          {},
          {},
          p.coordinates};
      for (const auto& v : visited) {
        curve.x.push_back(v.channels[c].vout * v.channels[c].vout / load);
        curve.y.push_back(v.channels[c].thdn_pct);
      }
      record_->curves.push_back(std::move(curve));
    }
  }

  // Output impedance by load switching: Z = R_L·(U_open − U_L)/U_L, damping factor R_L/Z.
  void output_impedance(const Point& p) {
    const double nominal = *p.load_ohm;
    const double open = step_->open_load_ohm.value_or(std::numeric_limits<double>::infinity());
    const double vin = vrms_of(*p.level, nominal);
    const std::vector<double> drive(plan_.channels.size(), vin);
    const auto loaded = capture_tones(*p.frequency_hz, drive, nominal);
    const auto unloaded = capture_tones(*p.frequency_hz, drive, open);
    for (std::size_t c = 0; c < plan_.channels.size(); ++c) {
      const double u_load = loaded[c].vrms_out, u_open = unloaded[c].vrms_out;
      // With a finite 'open' load R_o, solve both dividers: Z = (U_o − U_L)/(U_L/R_L − U_o/R_o).
      const double z = std::isinf(open) ? nominal * (u_open - u_load) / u_load
                                        : (u_open - u_load) / (u_load / nominal - u_open / open);
      add(plan_.channels[c], "output_impedance_ohm", z, "ohm", p.coordinates, p.frequency_hz);
      add(plan_.channels[c], "damping_factor", nominal / z, "", p.coordinates, p.frequency_hz);
    }
    select_load(nominal);
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

std::unique_ptr<DutControl> make_dut_control(const Station& station, audio::AudioPort* port,
                                             OperatorIo& io) {
  if (auto* sim_port = dynamic_cast<audio::SimPort*>(port))
    return std::make_unique<SimDutControl>(*sim_port);
  if (station.dut_switch)
    return std::make_unique<RelayDutControl>(
        std::make_unique<instruments::RelaySwitch>(
            instruments::connect_instrument(station.dut_switch->relays.visa,
                                            station.dut_switch->relays.loaded, "DUT switch"),
            station.dut_switch->relays.loaded),
        station, io);
  return std::make_unique<ManualDutControl>(io);
}

Bench open_bench(const Station& station, const std::string& serial, OperatorIo& io) {
  Bench bench;
  bench.port = open_audio_port(station, serial);
  if (station.generator) {
    bench.generator = std::make_unique<instruments::FunctionGenerator>(
        instruments::connect_instrument(station.generator->visa, station.generator->loaded,
                                        "generator"),
        station.generator->loaded, station.safety.max_output_vrms);
  }
  if (station.dmm) {
    bench.dmm = std::make_unique<instruments::Dmm>(
        instruments::connect_instrument(station.dmm->visa, station.dmm->loaded, "dmm"),
        station.dmm->loaded);
  }
  bench.dut = make_dut_control(station, bench.port.get(), io);
  if (station.load_switch) {
    bench.loads = std::make_unique<RelayLoadSwitch>(
        std::make_unique<instruments::RelaySwitch>(
            instruments::connect_instrument(station.load_switch->visa, station.load_switch->loaded,
                                            "relay switch"),
            station.load_switch->loaded),
        station);
  } else if (auto* sim_port = dynamic_cast<audio::SimPort*>(bench.port.get())) {
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
                                std::to_string(plan.channels.size()) + " channels, but station '" +
                                    station.name + "' has " +
                                    std::to_string(station.channel_count()))
                         .what());
  }
  const double fs = station.audio.sample_rate_hz;
  for (const auto& s : plan.steps) {
    if (s.kind != StepKind::prompt && s.kind != StepKind::set && s.kind != StepKind::cleanup &&
        s.kind != StepKind::phantom &&
        s.capture_s * fs < static_cast<double>(dsp::kMinimumAnalysisFrames)) {
      error(s, "capture_s",
            fmt("%g s", s.capture_s) + " is too short: analysis needs " +
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
        error(s, "stimulus.frequency_hz",
              fmt("%g Hz", *p.frequency_hz) + " is at or above half the sample rate");
      if (p.level && s.kind != StepKind::noise) {
        try {
          const double v =
              level_to_vrms(*p.level, {station.audio.calibration.output_vrms_at_0dbfs, p.load_ohm});
          if (v > station.safety.max_output_vrms * (1 + 1e-9))
            error(s, "stimulus.level",
                  format_level(*p.level) + " is " + fmt("%.3g Vrms", v) +
                      ", above the station's max_output_vrms of " +
                      fmt("%g Vrms", station.safety.max_output_vrms));
        } catch (const std::invalid_argument& e) {
          error(s, "stimulus.level", e.what());
        }
      }
    }
    if (s.kind == StepKind::max_power) {
      if (s.burst.duty > station.safety.max_burst_duty)
        error(s, "burst.duty",
              fmt("%g", s.burst.duty) + " exceeds the station's max_burst_duty of " +
                  fmt("%g", station.safety.max_burst_duty));
      const double analysed_s = s.burst.on_s - std::min(s.settle_s, s.burst.on_s / 2.0);
      if (analysed_s * fs < static_cast<double>(dsp::kMinimumAnalysisFrames))
        error(s, "burst.on_s",
              fmt("%g s", s.burst.on_s) + " leaves too little to analyse after settling");
    }
    if (s.open_load_ohm) check_load(*s.open_load_ohm, "open_load_ohm");
    if (s.kind == StepKind::input_impedance && !station.series_resistor_ohm)
      error(s, "kind",
            "station '" + station.name + "' declares no series resistor ([source] series_ohm)");
    if (s.ein) {
      try {
        const double v = level_to_vrms(
            s.ein->level, {station.audio.calibration.output_vrms_at_0dbfs, std::nullopt});
        if (v > station.safety.max_output_vrms * (1 + 1e-9))
          error(s, "ein.level",
                format_level(s.ein->level) + " is above the station's max_output_vrms");
      } catch (const std::invalid_argument& e) {
        error(s, "ein.level", e.what());
      }
    }
    // A simulated preamp knows its own controls: settings it lacks are found before the run.
    if (station.sim && station.sim->preamp) {
      const auto& pre = *station.sim->preamp;
      for (const auto& p : expand_points(s)) {
        if (p.dut.input && !pre.inputs.count(*p.dut.input))
          error(s, "dut.input", "'" + *p.dut.input + "' is not an input of the simulated preamp");
        if (p.dut.gain_db &&
            (!pre.gain_control || *p.dut.gain_db < pre.gain_control->min_db - 1e-9 ||
             *p.dut.gain_db > pre.gain_control->max_db + 1e-9))
          error(s, "dut.gain_db",
                fmt("%g dB", *p.dut.gain_db) + " is outside the simulated preamp's gain control");
        for (const auto& tone : {p.dut.bass_db, p.dut.treble_db})
          if (tone && (!pre.tone || std::abs(*tone) > pre.tone->range_db + 1e-9))
            error(s, "dut",
                  fmt("tone %+g dB", *tone) + " is beyond the simulated preamp's tone controls");
      }
    }
    if (s.stimulus.source == StimulusSource::generator) {
      const bool stepped_tone = s.kind == StepKind::level || s.kind == StepKind::thdn ||
                                (s.kind == StepKind::frequency_response && s.method == "stepped");
      if (!station.generator)
        error(s, "stimulus.source", "station '" + station.name + "' has no [generator]");
      else if (!stepped_tone)
        error(s, "stimulus.source",
              "the generator makes steady sines: level, thdn and stepped frequency_response "
              "steps only (" +
                  std::string(step_kind_name(s.kind)) +
                  (s.kind == StepKind::frequency_response ? " by sweep" : "") +
                  " needs the interface's output)");
      for (const auto& p : expand_points(s))
        if (p.level && p.level->unit == LevelUnit::dbfs)
          error(s, "stimulus.level",
                format_level(*p.level) +
                    " is a level of the interface's output; give the "
                    "generator's in dBV, dBu, V or mV");
      if (station.generator && station.generator->loaded.max_frequency_hz)
        for (const auto& p : expand_points(s))
          if (p.frequency_hz && *p.frequency_hz > *station.generator->loaded.max_frequency_hz)
            error(s, "stimulus.frequency_hz",
                  fmt("%g Hz", *p.frequency_hz) + " is beyond the generator's " +
                      fmt("%g Hz", *station.generator->loaded.max_frequency_hz));
    }
    if (s.stimulus.to_hz && *s.stimulus.to_hz >= fs / 2.0)
      error(s, "stimulus.to_hz",
            fmt("%g Hz", *s.stimulus.to_hz) + " is at or above half the sample rate");
    else if (s.kind == StepKind::frequency_response && s.method == "sweep" && s.stimulus.to_hz) {
      // The sweep must reach past to_hz by its top taper (1/12 octave), below 0.48·fs.
      if (*s.stimulus.to_hz * std::pow(2.0, 1.0 / 12.0) > 0.48 * fs)
        error(s, "stimulus.to_hz",
              fmt("%g Hz", *s.stimulus.to_hz) +
                  " is too close to half the sample rate for a sweep (at most " +
                  fmt("%.0f Hz", 0.48 * fs / std::pow(2.0, 1.0 / 12.0)) + ")");
      try {
        dsp::SyncSweep::design(*s.stimulus.from_hz / 4.0,
                               *s.stimulus.to_hz * std::pow(2.0, 1.0 / 8.0), s.stimulus.duration_s,
                               fs);
      } catch (const UsageError& e) {
        error(s, "stimulus.duration_s", e.what());
      }
    }
  }
  return errors;
}

record::RunRecord run_sequence(const SequencePlan& plan, const Station& station, Bench& bench,
                               const RunOptions& options, OperatorIo& io, RunObserver& observer) {
  record::RunRecord run;
  run.sequence_name = plan.name;
  run.sequence_sha256 = record::sha256_hex(plan.text);
  run.sequence_text = plan.text;
  run.station_name = station.name;
  run.line = station.line;
  run.station_text = station.text;
  run.serial = options.serial;
  run.operator_name = options.operator_name;
  run.software_version = AMPBENCH_VERSION;
  run.started_at = record::utc_now_iso8601();
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
    record.started_at = record::utc_now_iso8601();
    record.verdict = Verdict::pass;
    observer.step_started(run, record);
    try {
      runner.run(step, record);
      for (const auto& m : record.measurements)
        record.verdict = record::worst(record.verdict, m.verdict);
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
    record.finished_at = record::utc_now_iso8601();
    verdict = record::worst(verdict, record.verdict);
    if (plan.stop_on_fail && record.verdict != Verdict::pass) skipping = true;
    observer.step_finished(run, record);
    run.steps.push_back(std::move(record));
  }
  run.verdict = aborted ? Verdict::aborted : verdict;
  run.finished_at = record::utc_now_iso8601();
  observer.run_finished(run);
  return run;
}

}  // namespace ampbench::sequence
