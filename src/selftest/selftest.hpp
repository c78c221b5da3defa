// selftest: the bench checking itself through a cable from each output to its input, no DUT
// (SPEC §15, docs/calibration.md). Per channel: the residual THD+N and noise the analyzer adds
// to every figure, the level against the channel's calibration, latency and polarity; for the
// interface: the DAC's clock against the ADC's (ppm), whether the path converts the sample
// rate (an OS mixer, an SRC), and — where the loopback is digital — whether it is
// bit-transparent. Judged against the station's [selftest] limits; stored as JSON.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "audio/audio_port.hpp"
#include "dsp/resampling.hpp"
#include "sequence/station.hpp"

namespace ampbench::selftest {

// Stimulus per channel, one after the other (each a transfer of its own): a 0.1 s sweep for
// latency and polarity, the tone for THD+N, level and clock, a tone at 0.46·fs for the band's
// end, silence for the noise, and on a digital path 0.1 s of random 24-bit words.
inline constexpr double kToneSettleS = 0.1;
inline constexpr double kToneAnalysedS = 1.5;
inline constexpr double kBandProbeFraction = 0.46;  // of the sample rate
inline constexpr double kBandProbeS = 0.3;
inline constexpr double kSilenceS = 0.6;
inline constexpr double kWordsS = 0.1;
// A path whose probe near fs/2 comes back this far below the tone ends its band early: a
// converter's own filter takes a few dB there, a conversion to a lower rate all of it.
inline constexpr double kBandLostDb = 20.0;
// Results within this of the bench's residual carry the flag at_analyzer_limit.
inline constexpr double kAnalyzerLimitMarginDb = 10.0;

struct ChannelResult {
  int output = 0;  // interface channels, 1-based
  int input = 0;
  // Missing (nullopt) where the figure could not be measured; `missing` says why.
  std::optional<double> residual_thdn_db;
  std::optional<double> residual_noise_dbv;  // none on a digital path, which has no volts
  std::optional<double> residual_noise_dbfs;
  std::optional<double> level_error_db;
  std::optional<int> latency_samples;
  std::string polarity;  // "normal" | "inverted" | "" (no signal came back)
  std::optional<double> clock_ppm;
  std::optional<double> band_probe_db;  // the tone near fs/2 re the tone, dB
  std::optional<dsp::ResamplingImages> images;
  std::optional<bool> bit_transparent;
  std::vector<std::string> missing;
};

struct Result {
  std::string uuid;
  std::string station_name;
  std::string started_at;
  double sample_rate_hz = 0.0;
  double level_dbfs = 0.0;  // the tone's level as played (the station's, within its safety)
  double frequency_hz = 0.0;
  bool digital = false;
  std::vector<ChannelResult> channels;
  // For the interface: the mean over channels; whether any channel shows a conversion, and
  // the evidence; bit-transparency on a digital path (null on an analogue one).
  std::optional<double> clock_ppm;
  bool resampling = false;
  std::string resampling_evidence;
  std::optional<bool> bit_transparent;
  std::vector<std::string> failures;  // one line per check that does not hold
  bool passed() const { return failures.empty(); }
};

nlohmann::json to_json(const Result& result);

// Runs the self-test on `port` (a loopback bench, trims applied for an analogue path),
// `progress` told what plays. Throws SafetyError when the station's limits leave no level to
// play.
Result run_selftest(audio::AudioPort& port, const sequence::Station& station,
                    const std::function<void(const std::string&)>& progress = {});

// The residuals of a stored self-test (its result_json), by interface input.
std::map<int, sequence::Station::AnalyzerResidual> residuals_of(const nlohmann::json& result);

}  // namespace ampbench::selftest
