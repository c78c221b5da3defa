#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audio/wav.hpp"
#include "cli/analyze_multitone.hpp"
#include "cli/command.hpp"
#include "common/error.hpp"
#include "dsp/imd.hpp"
#include "dsp/sweep.hpp"
#include "dsp/tone_analysis.hpp"

namespace ampbench::cli {
namespace {

struct AnalyzeOptions {
  std::string wav;
  std::optional<int> channel;
  std::optional<double> fundamental_hz;
  std::string band = "20:20000";
  std::string thdn_method = "fft";
  std::string weighting = "none";
  bool json = false;
  std::string sweep_ref;
  std::string imd;
  bool multitone = false;
  std::string design_csv;
};

nlohmann::json sweep_json(const dsp::SweepResponse& r) {
  nlohmann::json j = {{"frequency_hz", r.frequency_hz}, {"latency_samples", r.latency_samples}};
  std::vector<nlohmann::json> db, phase, thd;
  for (std::size_t i = 0; i < r.frequency_hz.size(); ++i) {
    db.push_back(number_or_null(r.h1_db(i)));
    phase.push_back(number_or_null(r.h1_phase_deg(i)));
    thd.push_back(number_or_null(100.0 * r.thd_ratio(i)));
  }
  j["h1_db"] = db;
  j["h1_phase_deg"] = phase;
  for (std::size_t n = 0; n < r.harmonic.size(); ++n) {
    std::vector<nlohmann::json> h;
    for (std::size_t i = 0; i < r.frequency_hz.size(); ++i)
      h.push_back(number_or_null(r.harmonic_db(static_cast<int>(n + 2), i)));
    j["h" + std::to_string(n + 2) + "_db"] = h;
  }
  j["thd_pct"] = thd;
  return j;
}

nlohmann::json imd_json(const dsp::ImdSignal& s, const dsp::ImdResult& r) {
  nlohmann::json products = nlohmann::json::array();
  for (const auto& p : r.products)
    products.push_back(
        {{"order", p.order}, {"frequency_hz", p.frequency_hz}, {"level_db", p.level_db}});
  nlohmann::json orders = nlohmann::json::array();
  for (double d : r.order_ratio) orders.push_back(100.0 * d);
  nlohmann::json j = {{"standard", dsp::imd_standard_name(s)},
                      {"f1_hz", s.f1_hz},
                      {"f2_hz", s.f2_hz},
                      {"products", products}};
  if (s.standard == dsp::ImdStandard::dim) {
    j["dim_pct"] = r.imd_pct();
  } else {
    j["imd_pct"] = r.imd_pct();
    j["imd_db"] = r.imd_db();
    j["order_pct"] = orders;
  }
  return j;
}

nlohmann::json to_json(int channel, const dsp::ToneAnalysis& a) {
  nlohmann::json harmonics = nlohmann::json::array();
  for (const auto& h : a.harmonics) {
    harmonics.push_back(
        {{"order", h.order}, {"frequency_hz", h.frequency_hz}, {"level_dbc", h.level_dbc}});
  }
  return {{"channel", channel},
          {"frequency_hz", a.frequency_hz},
          {"level_dbfs", a.level_dbfs},
          {"thd_pct", a.thd_pct()},
          {"thd_db", a.thd_db()},
          {"thdn_pct", a.thdn_pct()},
          {"thdn_db", a.thdn_db()},
          {"sinad_db", a.sinad_db},
          {"snr_db", a.snr_db},
          {"dynamic_range_db", dsp::dynamic_range_db(a, -a.level_dbfs)},
          {"harmonics", harmonics},
          {"at_floor", a.at_floor},
          {"note", !a.unresolved.empty() ? a.unresolved : a.no_harmonic}};
}

void print_table(int channel, const dsp::ToneAnalysis& a) {
  std::printf("channel %d\n", channel);
  std::printf("  frequency  %12.3f Hz\n", a.frequency_hz);
  std::printf("  level      %12.3f dBFS\n", a.level_dbfs);
  if (!a.unresolved.empty()) {
    std::printf("  distortion not measurable: %s\n", a.unresolved.c_str());
    return;
  }
  if (!a.no_harmonic.empty()) std::printf("  THD: %s\n", a.no_harmonic.c_str());
  if (a.at_floor)
    std::printf(
        "  (the residual lies below the analysis's own floor: THD+N, SINAD and SNR are "
        "bounds)\n");
  std::printf("  THD        %12.6f %%   %9.2f dB\n", a.thd_pct(), a.thd_db());
  std::printf("  THD+N      %12.6f %%   %9.2f dB\n", a.thdn_pct(), a.thdn_db());
  std::printf("  SINAD      %12.2f dB\n", a.sinad_db);
  std::printf("  SNR        %12.2f dB\n", a.snr_db);
  std::printf("  DR         %12.2f dB (AES17, re full scale)\n",
              dsp::dynamic_range_db(a, -a.level_dbfs));
  for (const auto& h : a.harmonics) {
    std::printf("  H%-2d %12.3f Hz %9.2f dBc\n", h.order, h.frequency_hz, h.level_dbc);
  }
}

int run_analyze(const AnalyzeOptions& o) {
  dsp::ToneAnalysisOptions options;
  options.band = dsp::parse_band(o.band);
  options.thdn_method = dsp::parse_thdn_method(o.thdn_method);
  options.weighting = dsp::parse_weighting(o.weighting);
  options.fundamental_hz = o.fundamental_hz;

  const audio::AudioBuffer buffer = audio::read_wav(o.wav);
  const int channels = static_cast<int>(buffer.channel_count());
  if (o.channel && (*o.channel < 1 || *o.channel > channels)) {
    throw UsageError("--channel " + std::to_string(*o.channel) + ": " + o.wav + " has " +
                     std::to_string(channels) + " channel(s)");
  }
  if (buffer.frames() < dsp::kMinimumAnalysisFrames) {
    throw InputError(o.wav, "has " + std::to_string(buffer.frames()) +
                                " frames; analysis needs at least " +
                                std::to_string(dsp::kMinimumAnalysisFrames));
  }
  const int first = o.channel.value_or(1), last = o.channel.value_or(channels);
  if (!o.design_csv.empty() && !o.multitone) throw UsageError("--design is for --multitone");
  if (o.multitone) {
    if (!o.sweep_ref.empty() || !o.imd.empty() || o.fundamental_hz)
      throw UsageError("--multitone takes no --sweep-ref, --imd or --fundamental");
    const auto analysis = analyze_multitone(o.wav, buffer, {o.design_csv, options.band, o.channel});
    if (o.json)
      std::cout << analysis.dump(2) << "\n";
    else
      print_multitone(analysis);
    return 0;
  }

  nlohmann::json report = {{"file", o.wav},
                           {"sample_rate", buffer.sample_rate_hz},
                           {"band", o.band},
                           {"weighting", o.weighting},
                           {"thdn_method", o.thdn_method},
                           {"channels", nlohmann::json::array()}};
  if (!o.json) {
    std::printf("%s: %.0f Hz, %d channel(s), %zu frames\n", o.wav.c_str(), buffer.sample_rate_hz,
                channels, buffer.frames());
  }
  std::optional<audio::AudioBuffer> sweep_wav;
  std::optional<dsp::SyncSweep> sweep;
  if (!o.sweep_ref.empty()) {
    sweep_wav = audio::read_wav(o.sweep_ref);
    sweep = dsp::SyncSweep::from_description(sweep_wav->comment);
    if (!sweep)
      throw InputError(o.sweep_ref,
                       "not an ampbench sweep: its WAV comment holds no sweep parameters");
    if (sweep_wav->sample_rate_hz != buffer.sample_rate_hz)
      throw InputError(o.wav, "sample rate differs from the sweep's (" +
                                  std::to_string(sweep_wav->sample_rate_hz) + " Hz)");
  }
  for (int c = first; c <= last; ++c) {
    const auto& samples = buffer.channels[static_cast<std::size_t>(c - 1)];
    if (sweep) {
      const auto r = dsp::analyze_sync_sweep(samples, sweep_wav->channels[0], *sweep);
      if (o.json) {
        report["channels"].push_back({{"channel", c}, {"sweep", sweep_json(r)}});
      } else {
        std::printf("channel %d: swept response, latency %.0f samples\n  %10s %9s %9s %9s %9s\n", c,
                    r.latency_samples, "Hz", "H1 dB", "phase", "H2 dB", "H3 dB");
        for (std::size_t i = 0; i < r.frequency_hz.size(); i += 4)
          std::printf("  %10.1f %9.3f %9.2f %9.2f %9.2f\n", r.frequency_hz[i], r.h1_db(i),
                      r.h1_phase_deg(i), r.harmonic_db(2, i), r.harmonic_db(3, i));
      }
      continue;
    }
    if (!o.imd.empty()) {
      const auto signal = dsp::parse_imd_signal(o.imd);
      const auto r = dsp::analyze_imd(samples, buffer.sample_rate_hz, signal);
      if (o.json) {
        report["channels"].push_back({{"channel", c}, {"imd", imd_json(signal, r)}});
      } else {
        std::printf("channel %d: IMD %s  %.5f %%  (%.2f dB)\n", c, o.imd.c_str(), r.imd_pct(),
                    r.imd_db());
      }
      continue;
    }
    const auto analysis = dsp::analyze_tone(buffer.channels[static_cast<std::size_t>(c - 1)],
                                            buffer.sample_rate_hz, options);
    // A named fundamental is looked for where it is said to be: noise there is no tone.
    if (!analysis.tone_present()) {
      char text[200];
      std::snprintf(text, sizeof text,
                    "channel %d: no tone at %.6g Hz: its peak stands %.1f dB above its "
                    "neighbours, as noise does (a tone stands 20 dB or more above them)",
                    c, analysis.frequency_hz, *analysis.prominence_db);
      throw MeasurementError(text);
    }
    if (o.json) {
      report["channels"].push_back(to_json(c, analysis));
    } else {
      print_table(c, analysis);
    }
  }
  if (o.json) std::cout << report.dump(2) << "\n";
  return 0;
}

}  // namespace

Subcommand add_analyze_command(CLI::App& parent) {
  auto o = std::make_shared<AnalyzeOptions>();
  CLI::App* app = parent.add_subcommand(
      "analyze", "Analyse a sine in a WAV file: level, THD, THD+N, SINAD, SNR");
  app->add_option("wav", o->wav, "WAV file to analyse")->required();
  app->add_option("--channel", o->channel, "Analyse only this channel (1-based)");
  app->add_option("--fundamental", o->fundamental_hz,
                  "Fundamental frequency in Hz (default: largest peak)");
  app->add_option("--band", o->band, "Measurement band LOW:HIGH in Hz, or full (default 20:20000)");
  app->add_option("--thdn-method", o->thdn_method, "fft (default) or notch");
  app->add_option("--weighting", o->weighting, "none (default), A or ccir");
  app->add_flag("--json", o->json, "Print JSON instead of a table");
  app->add_option("--sweep-ref", o->sweep_ref,
                  "The sweep WAV (from generate sweep) this file is the response to");
  app->add_option("--imd", o->imd, "Analyse IMD: smpte, ccif, dim30, dim100 or NAME:F1:F2");
  app->add_flag("--multitone", o->multitone,
                "Analyse a designed multitone (generate multitone --design): response, TD+N, "
                "noise, crosstalk per channel");
  app->add_option("--design", o->design_csv,
                  "With --multitone: the table generate multitone --design printed (default: "
                  "find the tones in the capture)");
  return {app, [o] { return run_analyze(*o); }};
}

}  // namespace ampbench::cli
