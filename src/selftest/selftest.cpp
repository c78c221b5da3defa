#include "selftest/selftest.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "common/error.hpp"
#include "common/text.hpp"
#include "dsp/clock_offset.hpp"
#include "dsp/dsp.hpp"
#include "record/record.hpp"

namespace ampbench::selftest {
namespace {

// What every transfer of one channel shares.
class Loopback {
 public:
  Loopback(audio::AudioPort& port, std::size_t channel) : port_(port), channel_(channel) {}
  double fs() const { return port_.sample_rate_hz(); }
  std::size_t frames(double seconds) const {
    return static_cast<std::size_t>(std::llround(seconds * fs()));
  }
  // Plays `x` on this channel's output, the others silent; this channel's input.
  std::vector<double> play(const std::vector<double>& x) const {
    audio::AudioBuffer stimulus;
    stimulus.sample_rate_hz = fs();
    stimulus.channels.assign(static_cast<std::size_t>(port_.output_count()),
                             std::vector<double>(x.size(), 0.0));
    stimulus.channels.at(channel_) = x;
    auto capture = port_.play_and_capture(stimulus);
    latency_samples_ = capture.latency_samples;
    return std::move(capture.audio.channels.at(channel_));
  }
  int latency_samples() const { return latency_samples_; }

 private:
  audio::AudioPort& port_;
  std::size_t channel_;
  mutable int latency_samples_ = 0;
};

// The tone's level: the station's, lowered until neither the output's max_output_vrms nor
// the input's max_input_dbfs (what the cable brings back) is within 1 dB.
double safe_level_dbfs(const audio::AudioPort& port, const sequence::Station& station) {
  const auto& nominal = port.calibration();
  double level = station.selftest.level_dbfs;
  level = std::min(level, dsp::amplitude_ratio_to_db(port.safety().max_output_vrms /
                                                     nominal.output_vrms_at_0dbfs) -
                              1.0);
  const double input_re_output_db =
      station.selftest.digital
          ? 0.0
          : dsp::amplitude_ratio_to_db(nominal.output_vrms_at_0dbfs / nominal.input_vrms_at_0dbfs);
  level = std::min(level, port.safety().max_input_dbfs - 1.0 - input_re_output_db);
  if (level < -60.0)
    throw SafetyError(station.path +
                      ": the station's max_output_vrms and max_input_dbfs leave no level for the "
                      "self-test's tone (" +
                      fmt("%.1f", level) + " dBFS)");
  return level;
}

void measure_latency(const Loopback& loop, double peak_fs, ChannelResult& r) {
  const double fs = loop.fs();
  const auto sweep = dsp::SyncSweep::design(100.0, std::min(10000.0, 0.4 * fs), 0.1, fs);
  const auto x = dsp::generate_sync_sweep(sweep, peak_fs, loop.frames(0.02), 0.005);
  const auto y = loop.play(x);
  const std::vector<float> y_float(y.begin(), y.end());
  const auto lag = dsp::estimate_lag(x, y_float, static_cast<int>(loop.frames(0.02)),
                                     static_cast<int>(0.001 * fs) + 8);
  if (lag.distinctness < dsp::kDistinctLag) {
    r.missing.push_back(
        "latency and polarity: the sweep did not come back (is the cable in place?)");
    return;
  }
  r.latency_samples = loop.latency_samples() + lag.lag;
  r.polarity = lag.negative ? "inverted" : "normal";
}

// THD+N, level, clock and images from the tone; its block leaves out the settling at the start
// and a little at the end, where a DAC that runs fast has already finished.
void measure_tone(const Loopback& loop, const sequence::Station& station,
                  const audio::AudioPort& port, double level_dbfs, ChannelResult& r) {
  const double fs = loop.fs();
  const double f = station.selftest.frequency_hz;
  const std::size_t settle = loop.frames(kToneSettleS), analysed = loop.frames(kToneAnalysedS);
  const std::vector<dsp::Tone> tone = {{f, dsp::db_to_amplitude_ratio(level_dbfs), 0.0}};
  const auto y = loop.play(dsp::generate_tones(tone, fs, settle + analysed + loop.frames(0.05)));
  const std::span<const double> block = std::span(y).subspan(settle, analysed);
  dsp::ToneAnalysisOptions options;
  options.fundamental_hz = f;
  // One spectrum for the tone's analysis and for the images beside it.
  if (block.size() < dsp::kMinimumAnalysisFrames)
    throw MeasurementError("the self-test's tone block is too short to analyse");
  const auto spectrum = dsp::power_spectrum(block, fs, options.window, dsp::DcLevel::remove);
  const auto analysis = dsp::analyze_tone_spectrum(spectrum, options);
  if (!analysis.tone_present()) {
    r.missing.push_back(fmt("THD+N, level and clock: no %g Hz tone came back", f));
    return;
  }
  r.residual_thdn_db = analysis.thdn_db();
  if (station.selftest.digital) {
    r.level_error_db = analysis.level_dbfs - level_dbfs;
  } else {
    const auto& nominal = port.calibration();
    r.level_error_db =
        analysis.level_dbfs - level_dbfs +
        dsp::amplitude_ratio_to_db(nominal.input_vrms_at_0dbfs / nominal.output_vrms_at_0dbfs);
  }
  r.clock_ppm = dsp::tone_frequency_offset_ppm(block, f, fs);
  r.images = dsp::find_resampling_images(spectrum, analysis.frequency_hz);
  const double probe_hz = kBandProbeFraction * fs;
  const std::vector<dsp::Tone> probe = {{probe_hz, dsp::db_to_amplitude_ratio(level_dbfs), 0.0}};
  const auto p = loop.play(dsp::generate_tones(probe, fs, settle + loop.frames(kBandProbeS)));
  const auto probe_spectrum = dsp::power_spectrum(
      std::span(p).subspan(settle), fs, dsp::WindowKind::blackman_harris_7, dsp::DcLevel::remove);
  r.band_probe_db = dsp::power_ratio_to_db(dsp::tone_mean_square_at(probe_spectrum, probe_hz) /
                                           analysis.fundamental_mean_square_fs);
}

void measure_noise(const Loopback& loop, const sequence::Station& station,
                   const audio::AudioPort& port, ChannelResult& r) {
  const std::size_t settle = loop.frames(kToneSettleS);
  const auto y = loop.play(std::vector<double>(settle + loop.frames(kSilenceS), 0.0));
  const auto spectrum =
      dsp::power_spectrum(std::span(y).subspan(settle), loop.fs(),
                          dsp::WindowKind::blackman_harris_7, dsp::DcLevel::remove);
  const double rms_fs =
      dsp::band_rms_fs(spectrum, dsp::FrequencyBand::audio(), dsp::Weighting::none);
  if (!(rms_fs > 0.0)) {
    // A digital path carries silence as zeros; an analogue input never reads exact zeros
    // unless something mutes it, hiding the floor.
    if (!station.selftest.digital)
      r.missing.push_back(
          "residual noise: the silence came back as exact zeros (a muting input or a noise "
          "gate hides the floor)");
    return;
  }
  r.residual_noise_dbfs = dsp::mean_square_to_dbfs(rms_fs * rms_fs);
  if (station.selftest.digital) return;  // no volts on a digital path
  r.residual_noise_dbv =
      *r.residual_noise_dbfs + dsp::vrms_to_dbv(port.calibration().input_vrms_at_0dbfs);
}

// Random 24-bit words, and whether every one comes back as it went, at some lag within 64.
void measure_bit_transparency(const Loopback& loop, double peak_fs, ChannelResult& r) {
  constexpr double kWordsPerFs = 8388608.0;  // 2²³
  const std::size_t n = loop.frames(kWordsS);
  std::mt19937_64 random(0x5e1f7e57);
  const auto largest = static_cast<std::int64_t>(std::floor(peak_fs * kWordsPerFs));
  std::uniform_int_distribution<std::int64_t> word(-largest, largest);
  std::vector<double> words(n);
  for (double& w : words) w = static_cast<double>(word(random));
  // Random words peak far above themselves between samples (their spectrum reaches fs/2):
  // scaled, still whole words, so that the waveform stays within the tone's peak.
  const double over = std::max(1.0, dsp::true_peak(words) / (peak_fs * kWordsPerFs));
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = std::trunc(words[i] / over) / kWordsPerFs;
  const auto y = loop.play(x);
  constexpr long kSearch = 64;
  r.bit_transparent = false;
  for (long lag = -kSearch; lag <= kSearch && !*r.bit_transparent; ++lag) {
    bool same = true;
    for (long i = kSearch; i + kSearch < static_cast<long>(n) && same; ++i)
      same = y[static_cast<std::size_t>(i + lag)] == x[static_cast<std::size_t>(i)];
    r.bit_transparent = same;
  }
}

std::string channel_name(const ChannelResult& r) {
  return fmt("output %d → input %d", r.output, r.input);
}

void judge(Result& result, const sequence::Station& station) {
  const auto& limits = station.selftest;
  auto& failures = result.failures;
  for (const auto& r : result.channels) {
    const std::string name = channel_name(r);
    for (const auto& why : r.missing) failures.push_back(name + ": " + why);
    if (r.residual_thdn_db && *r.residual_thdn_db > limits.max_residual_thdn_db)
      failures.push_back(fmt("%s: residual THD+N %.1f dB, above the station's %.1f dB",
                             name.c_str(), *r.residual_thdn_db, limits.max_residual_thdn_db));
    if (r.residual_noise_dbv && limits.max_residual_noise_dbv &&
        *r.residual_noise_dbv > *limits.max_residual_noise_dbv)
      failures.push_back(fmt("%s: residual noise %.1f dBV, above the station's %.1f dBV",
                             name.c_str(), *r.residual_noise_dbv, *limits.max_residual_noise_dbv));
    if (r.level_error_db && std::abs(*r.level_error_db) > limits.max_level_error_db)
      failures.push_back(
          fmt("%s: level %+.3f dB off its calibration (± %.3f dB allowed): "
              "calibrate the station",
              name.c_str(), *r.level_error_db, limits.max_level_error_db));
    if (r.polarity == "inverted")
      failures.push_back(name +
                         ": polarity inverted (a cable or connector with pins 2 and 3 swapped?)");
    if (r.bit_transparent == false)
      failures.push_back(name + ": not bit-transparent (the words came back changed)");
  }
  if (result.clock_ppm && std::abs(*result.clock_ppm) > limits.max_clock_ppm)
    failures.push_back(
        fmt("clock: the DAC runs %+.2f ppm against the ADC (± %g ppm allowed): "
            "are they on one clock?",
            *result.clock_ppm, limits.max_clock_ppm));
  if (result.resampling)
    failures.push_back("resampling: " + result.resampling_evidence +
                       " (an OS mixer or sample-rate converter in the path: use exclusive mode, "
                       "the interface's own rate, or a direct driver)");
}

void summarise_interface(Result& result) {
  double sum = 0.0;
  int count = 0;
  for (const auto& r : result.channels) {
    if (r.clock_ppm) {
      sum += *r.clock_ppm;
      ++count;
    }
    if (!result.resampling && r.images) {
      result.resampling = true;
      std::string where;
      for (std::size_t i = 0; i < r.images->frequency_hz.size(); ++i)
        where += fmt("%s%.0f Hz (%.1f dBc)", i ? ", " : "", r.images->frequency_hz[i],
                     r.images->level_dbc[i]);
      std::string rates;
      for (std::size_t i = 0; i < r.images->through_hz.size(); ++i)
        rates += fmt("%s%g", i == 0 ? "" : (i + 1 == r.images->through_hz.size() ? " or " : ", "),
                     r.images->through_hz[i]);
      result.resampling_evidence =
          fmt("%s: images of the %g Hz tone at %s, as a conversion through "
              "%s Hz leaves",
              channel_name(r).c_str(), result.frequency_hz, where.c_str(), rates.c_str());
    }
    if (!result.resampling && r.band_probe_db && *r.band_probe_db < -kBandLostDb) {
      result.resampling = true;
      result.resampling_evidence =
          fmt("%s: a tone at %.0f Hz comes back %.1f dB below the %g Hz one: the path's band ends "
              "below it, as a conversion to a lower rate leaves it",
              channel_name(r).c_str(), kBandProbeFraction * result.sample_rate_hz,
              -*r.band_probe_db, result.frequency_hz);
    }
    if (r.bit_transparent)
      result.bit_transparent = result.bit_transparent.value_or(true) && *r.bit_transparent;
  }
  if (count) result.clock_ppm = sum / count;
}

nlohmann::json number_or_null(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

Result run_selftest(audio::AudioPort& port, const sequence::Station& station,
                    const std::function<void(const std::string&)>& progress) {
  Result result;
  result.uuid = record::new_uuid_v4();
  result.station_name = station.name;
  result.started_at = record::utc_now_iso8601();
  result.sample_rate_hz = port.sample_rate_hz();
  result.frequency_hz = station.selftest.frequency_hz;
  result.digital = station.selftest.digital;
  result.level_dbfs = safe_level_dbfs(port, station);
  const double peak_fs = dsp::db_to_amplitude_ratio(result.level_dbfs);
  const auto say = [&](const std::string& what) {
    if (progress) progress(what);
  };
  for (int c = 0; c < station.channel_count(); ++c) {
    const auto index = static_cast<std::size_t>(c);
    ChannelResult r;
    r.output = station.audio.outputs.at(index);
    r.input = station.audio.inputs.at(index);
    const Loopback loop(port, index);
    say(channel_name(r) + ": latency and polarity");
    measure_latency(loop, peak_fs, r);
    say(channel_name(r) + ": residual THD+N, level, clock, band");
    measure_tone(loop, station, port, result.level_dbfs, r);
    say(channel_name(r) + ": residual noise");
    measure_noise(loop, station, port, r);
    if (station.selftest.digital) {
      say(channel_name(r) + ": bit-transparency");
      measure_bit_transparency(loop, peak_fs, r);
    }
    result.channels.push_back(std::move(r));
  }
  summarise_interface(result);
  judge(result, station);
  return result;
}

nlohmann::json to_json(const Result& result) {
  nlohmann::json channels = nlohmann::json::array();
  for (const auto& r : result.channels) {
    nlohmann::json images = nullptr;
    if (r.images) {
      images = {{"through_hz", r.images->through_hz}, {"at", nlohmann::json::array()}};
      for (std::size_t i = 0; i < r.images->frequency_hz.size(); ++i)
        images["at"].push_back(
            {{"frequency_hz", r.images->frequency_hz[i]}, {"level_dbc", r.images->level_dbc[i]}});
    }
    channels.push_back(
        {{"output", r.output},
         {"input", r.input},
         {"residual_thdn_db", number_or_null(r.residual_thdn_db)},
         {"residual_noise_dbv", number_or_null(r.residual_noise_dbv)},
         {"residual_noise_dbfs", number_or_null(r.residual_noise_dbfs)},
         {"level_error_db", number_or_null(r.level_error_db)},
         {"latency_samples",
          r.latency_samples ? nlohmann::json(*r.latency_samples) : nlohmann::json(nullptr)},
         {"polarity", r.polarity.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.polarity)},
         {"clock_ppm", number_or_null(r.clock_ppm)},
         {"band_probe_db", number_or_null(r.band_probe_db)},
         {"images", images},
         {"bit_transparent",
          r.bit_transparent ? nlohmann::json(*r.bit_transparent) : nlohmann::json(nullptr)},
         {"missing", r.missing}});
  }
  return {{"uuid", result.uuid},
          {"station", result.station_name},
          {"started_at", result.started_at},
          {"verdict", result.passed() ? "PASS" : "FAIL"},
          {"sample_rate_hz", result.sample_rate_hz},
          {"level_dbfs", result.level_dbfs},
          {"frequency_hz", result.frequency_hz},
          {"digital", result.digital},
          {"clock_ppm", number_or_null(result.clock_ppm)},
          {"resampling", result.resampling},
          {"resampling_evidence", result.resampling_evidence},
          {"bit_transparent", result.bit_transparent ? nlohmann::json(*result.bit_transparent)
                                                     : nlohmann::json(nullptr)},
          {"channels", channels},
          {"failures", result.failures}};
}

std::map<int, sequence::Station::AnalyzerResidual> residuals_of(const nlohmann::json& result) {
  std::map<int, sequence::Station::AnalyzerResidual> out;
  if (!result.contains("channels") || !result["channels"].is_array()) return out;
  for (const auto& c : result["channels"]) {
    if (!c.value("residual_thdn_db", nlohmann::json()).is_number()) continue;
    sequence::Station::AnalyzerResidual r;
    r.thdn_db = c["residual_thdn_db"].get<double>();
    r.level_dbfs = result.value("level_dbfs", 0.0);
    if (c.value("residual_noise_dbv", nlohmann::json()).is_number())
      r.noise_dbv = c["residual_noise_dbv"].get<double>();
    out[c.value("input", 0)] = r;
  }
  return out;
}

}  // namespace ampbench::selftest
