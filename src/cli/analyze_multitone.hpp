// cli: `analyze WAV --multitone [--design CSV]`, a designed multitone's figures per channel as
// the multitone step gives them, less those that need a calibration or the stimulus (gain,
// phase, polarity): levels in dBFS, the response re each channel's reference tone.
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "audio/audio_buffer.hpp"
#include "dsp/tone_analysis.hpp"

namespace ampbench::cli {

// A figure as JSON: the number, or null where it does not exist.
inline nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

struct MultitoneAnalyzeOptions {
  std::string design_csv;  // what `generate multitone --design` prints; "" = find the tones
  dsp::FrequencyBand band;
  std::optional<int> channel;  // 1-based; the others still give crosstalk
};

// {"period_frames", "periods", "channels": [{"channel", "tones", "reference_hz",
// "level_dbfs", "deviation_min_db", "deviation_max_db", "tdn_db", "tdn_pct", "noise_dbfs",
// "crosstalk_db", "channel_map_ok", "dc_fs", "response": {"frequency_hz", "db"},
// "notes": [...]}, ...]}; a figure that cannot be had is null with a note why.
nlohmann::json analyze_multitone(const std::string& wav, const audio::AudioBuffer& buffer,
                                 const MultitoneAnalyzeOptions& options);
void print_multitone(const nlohmann::json& analysis);

}  // namespace ampbench::cli
