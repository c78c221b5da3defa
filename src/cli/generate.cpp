#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "audio/wav.hpp"
#include "cli/command.hpp"
#include "common/error.hpp"
#include "dsp/imd.hpp"
#include "dsp/multitone.hpp"
#include "dsp/signal.hpp"
#include "dsp/sweep.hpp"
#include "dsp/units.hpp"

namespace ampbench::cli {
namespace {

struct GenerateOptions {
  std::string kind;
  std::string output;
  double sample_rate_hz = 48000.0;
  double duration_s = 1.0;
  std::size_t samples = 0;
  int channels = 1;
  std::string format = "float";
  double frequency_hz = 1000.0;
  double level_dbfs = -1.0;
  bool coherent = false;
  std::vector<std::string> harmonics;  // ORDER:DBC
  std::vector<std::string> tones;      // HZ:DBFS
  std::uint64_t seed = 1;
  double from_hz = 20.0;
  double to_hz = 20000.0;
  double tail_s = 0.5;
  double fade_s = 0.0;
  std::string imd = "smpte";
  bool design = false;  // a designed multitone (dsp/multitone.hpp)
  int tone_count = 31;  // per channel
  double per_octave = 0.0;
  std::size_t fft_size = 0;
  bool peak = false;  // --level is the peak, not the rms
};

std::pair<double, double> parse_pair(const std::string& flag, const std::string& text) {
  const auto colon = text.find(':');
  const auto number = [&](std::string_view part) {
    double v = 0.0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || !std::isfinite(v))
      throw UsageError(flag + " '" + text + "': '" + std::string(part) + "' is not a number");
    return v;
  };
  if (colon == std::string::npos) throw UsageError(flag + " '" + text + "': expected A:B");
  const std::string_view view(text);
  return {number(view.substr(0, colon)), number(view.substr(colon + 1))};
}

// A tone the file can hold: above 0 Hz and below half the sample rate.
double playable_hz(const std::string& what, double frequency_hz, double sample_rate_hz) {
  char text[160];
  if (!(frequency_hz > 0.0)) {
    std::snprintf(text, sizeof text, "%s: %g Hz is not a frequency above 0", what.c_str(),
                  frequency_hz);
    throw UsageError(text);
  }
  if (frequency_hz >= sample_rate_hz / 2.0) {
    std::snprintf(text, sizeof text, "%s: %g Hz is at or above half the sample rate (%g Hz)",
                  what.c_str(), frequency_hz, sample_rate_hz / 2.0);
    throw UsageError(text);
  }
  return frequency_hz;
}

// A designed multitone, each channel its own tone set, whole periods (the file loops
// seamlessly); the design is printed (stdout: channel, frequency, bin) with its crest factor.
std::vector<std::vector<double>> designed_multitone(const GenerateOptions& o, std::size_t frames) {
  dsp::MultitoneRequest request;
  request.sample_rate_hz = o.sample_rate_hz;
  request.period_frames = o.fft_size ? o.fft_size : dsp::default_multitone_period(o.sample_rate_hz);
  request.from_hz = playable_hz("--from", o.from_hz, o.sample_rate_hz);
  request.to_hz = playable_hz("--to", o.to_hz, o.sample_rate_hz);
  request.tones_per_channel =
      o.per_octave > 0.0 ? dsp::tones_for_octaves(o.per_octave, o.from_hz, o.to_hz) : o.tone_count;
  request.channels = static_cast<std::size_t>(o.channels);
  dsp::MultitoneDesign design;
  try {
    design = dsp::design_multitone(request);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--design: ") + e.what());
  }
  const std::size_t n = design.period_frames;
  const std::size_t periods = std::max<std::size_t>(1, (frames + n - 1) / n);
  std::vector<std::vector<double>> out;
  std::printf("channel,frequency_hz,bin\n");
  for (std::size_t c = 0; c < design.bins.size(); ++c) {
    const double crest = design.crest_factor[c];
    // --level is the rms as the dBFS of a sine of that rms (AES17), or with --peak the peak.
    const double rms_fs = o.peak ? dsp::dbfs_to_peak_fs(o.level_dbfs) / crest
                                 : dsp::dbfs_to_peak_fs(o.level_dbfs) / std::sqrt(2.0);
    const auto period = dsp::multitone_period(design, c, rms_fs);
    std::vector<double> x(periods * n);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = period[i % n];
    out.push_back(std::move(x));
    for (std::size_t k = 0; k < design.bins[c].size(); ++k)
      std::printf("%zu,%.6f,%zu\n", c + 1, design.frequency_hz(c, k), design.bins[c][k]);
    std::fprintf(stderr,
                 "channel %zu: %zu tones %.2f to %.2f Hz on odd bins of %zu, crest factor %.2f "
                 "(%.1f dB), rms %.1f dBFS, peak %.1f dBFS\n",
                 c + 1, design.bins[c].size(), design.frequency_hz(c, 0),
                 design.frequency_hz(c, design.bins[c].size() - 1), n, crest,
                 dsp::amplitude_ratio_to_db(crest),
                 dsp::amplitude_ratio_to_db(rms_fs * std::sqrt(2.0)),
                 dsp::amplitude_ratio_to_db(rms_fs * crest));
  }
  return out;
}

int run_generate(const GenerateOptions& o) {
  if (!(o.sample_rate_hz >= 1000.0 && o.sample_rate_hz <= 768000.0))
    throw UsageError("--rate must be between 1000 and 768000 Hz");
  const std::size_t frames =
      o.samples > 0 ? o.samples
                    : static_cast<std::size_t>(std::llround(o.duration_s * o.sample_rate_hz));
  if (frames == 0) throw UsageError("--duration or --samples must give at least one sample");
  if (o.channels < 1 || o.channels > 8) throw UsageError("--channels must be 1 to 8");
  const auto fit = [&](double f) {
    return o.coherent ? dsp::coherent_frequency_hz(f, o.sample_rate_hz, frames) : f;
  };

  std::vector<double> samples;
  std::vector<std::vector<double>> per_channel;
  std::string comment;
  if (o.design && o.kind != "multitone") throw UsageError("--design is for a multitone");
  if (o.design) {
    if (!o.tones.empty()) throw UsageError("--design makes its own tones: no --tone with it");
    if (o.tone_count < 1 || o.tone_count > 200) throw UsageError("--count must be 1 to 200");
    if (o.per_octave < 0.0 || o.per_octave > 24.0)
      throw UsageError("--per-octave must be above 0 and at most 24");
    if (o.fft_size && (o.fft_size < 4096 || (o.fft_size & (o.fft_size - 1)) != 0))
      throw UsageError("--fft-size must be a power of two of 4096 or more");
    per_channel = designed_multitone(o, frames);
    comment = "designed multitone";
  } else if (o.kind == "sweep") {
    const auto sweep = dsp::SyncSweep::design(o.from_hz, o.to_hz, o.duration_s, o.sample_rate_hz);
    samples = dsp::generate_sync_sweep(
        sweep, dsp::dbfs_to_peak_fs(o.level_dbfs),
        static_cast<std::size_t>(std::llround(o.tail_s * o.sample_rate_hz)), o.fade_s);
    comment = sweep.describe();
  } else if (o.kind == "imd") {
    const auto signal = dsp::parse_imd_signal(o.imd);
    playable_hz("--imd", signal.f2_hz, o.sample_rate_hz);
    samples = dsp::generate_tones(dsp::imd_tones(signal, dsp::dbfs_to_peak_fs(o.level_dbfs), o.sample_rate_hz),
                                  o.sample_rate_hz, frames);
  } else if (o.kind == "sine") {
    const double f = fit(playable_hz("--frequency", o.frequency_hz, o.sample_rate_hz));
    std::vector<dsp::Tone> tones = {{f, dsp::dbfs_to_peak_fs(o.level_dbfs), 0.0}};
    for (const auto& text : o.harmonics) {
      const auto [order, dbc] = parse_pair("--harmonic", text);
      if (order < 2 || order != std::floor(order))
        throw UsageError("--harmonic: order must be an integer ≥ 2");
      playable_hz("--harmonic " + text, f * order, o.sample_rate_hz);
      tones.push_back(
          {f * order, tones[0].amplitude_peak_fs * dsp::db_to_amplitude_ratio(dbc), 0.0});
    }
    samples = dsp::generate_tones(tones, o.sample_rate_hz, frames);
  } else if (o.kind == "multitone") {
    if (o.tones.empty()) throw UsageError("multitone needs --tone HZ:DBFS at least once");
    std::vector<dsp::Tone> tones;
    for (const auto& text : o.tones) {
      const auto [f, dbfs] = parse_pair("--tone", text);
      tones.push_back({fit(playable_hz("--tone " + text, f, o.sample_rate_hz)),
                       dsp::dbfs_to_peak_fs(dbfs), 0.0});
    }
    samples = dsp::generate_tones(tones, o.sample_rate_hz, frames);
  } else {
    // Noise level follows AES17: the rms reads as the dBFS of a sine of the same rms.
    samples = dsp::generate_white_noise(dsp::dbfs_to_peak_fs(o.level_dbfs) / std::sqrt(2.0), o.seed,
                                        frames);
  }
  if (per_channel.empty()) per_channel.assign(static_cast<std::size_t>(o.channels), samples);
  for (const auto& channel : per_channel)
    for (double v : channel)
      if (std::abs(v) > 1.0)
        throw UsageError("the signal's peak exceeds full scale; lower --level");

  audio::AudioBuffer buffer;
  buffer.sample_rate_hz = o.sample_rate_hz;
  buffer.channels = per_channel;
  buffer.comment = comment;
  audio::write_wav(o.output, buffer, audio::parse_wav_sample_format(o.format), o.seed);
  std::fprintf(stderr, "wrote %s: %s, %zu frames at %.0f Hz, %d channel(s)\n", o.output.c_str(),
               o.kind.c_str(), per_channel.front().size(), o.sample_rate_hz, o.channels);
  return 0;
}

}  // namespace

Subcommand add_generate_command(CLI::App& parent) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* app = parent.add_subcommand("generate", "Write a test signal to a WAV file");
  app->add_option("kind", o->kind, "sine | multitone | sweep | imd | noise")
      ->required()
      ->check(CLI::IsMember({"sine", "multitone", "sweep", "imd", "noise"}));
  app->add_option("-o,--output", o->output, "WAV file to write")->required();
  app->add_option("--rate", o->sample_rate_hz, "Sample rate in Hz (default 48000)");
  app->add_option("--duration", o->duration_s,
                  "Length in seconds (default 1; a sweep's is rounded to whole k)");
  app->add_option("--samples", o->samples, "Length in samples (overrides --duration)");
  app->add_option("--channels", o->channels, "Channels, each the same signal (default 1)");
  app->add_option("--format", o->format, "pcm16 | pcm24 | pcm32 | float (default) | double");
  app->add_option("--frequency", o->frequency_hz, "Sine frequency in Hz (default 1000)");
  app->add_option("--level", o->level_dbfs, "Sine peak or noise rms in dBFS (default -1)");
  app->add_flag("--coherent", o->coherent, "Move frequencies to whole cycles in the file");
  app->add_option("--harmonic", o->harmonics, "Add a harmonic ORDER:DBC to the sine (repeatable)");
  app->add_option("--tone", o->tones, "Multitone component HZ:DBFS (repeatable)");
  app->add_option("--seed", o->seed, "Noise and dither seed (default 1)");
  app->add_option("--from", o->from_hz, "Sweep start in Hz (default 20)");
  app->add_option("--to", o->to_hz, "Sweep end in Hz (default 20000)");
  app->add_option("--tail", o->tail_s, "Silence after the sweep, in s (default 0.5)");
  app->add_option("--fade", o->fade_s,
                  "Sweep fade-in in s (default 0; the end always fades over 5 ms)");
  app->add_option("--imd", o->imd,
                  "IMD signal: smpte (60 Hz + 7 kHz, 4:1), ccif (19 + 20 kHz), or NAME:F1:F2");
  app->add_flag("--design", o->design,
                "Multitone: design the tones (odd FFT bins of --fft-size, --count per channel "
                "log-spaced --from..--to, each channel its own set, low crest factor)");
  app->add_option("--count", o->tone_count, "Designed multitone: tones per channel (default 31)");
  app->add_option("--per-octave", o->per_octave,
                  "Designed multitone: tones per octave per channel (instead of --count)");
  app->add_option("--fft-size", o->fft_size,
                  "Designed multitone: the period in samples, a power of two (default ≈ rate/3)");
  app->add_flag("--peak", o->peak, "Designed multitone: --level is the peak, not the rms");
  return {app, [o] { return run_generate(*o); }};
}

}  // namespace ampbench::cli
