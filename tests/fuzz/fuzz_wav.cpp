// libFuzzer: WAV files, read from memory and, when they hold enough, analysed (a fixed
// 4096-sample block, so FFT plans and windows are not made anew for every length).
#include <cstdint>
#include <span>
#include <string_view>

#include "audio/wav.hpp"
#include "common/error.hpp"
#include "dsp/tone_analysis.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto buffer = ampbench::audio::read_wav_bytes(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.wav");
    if (buffer.frames() >= ampbench::dsp::kMinimumAnalysisFrames &&
        buffer.sample_rate_hz >= 8000.0 && buffer.sample_rate_hz <= 384000.0)
      ampbench::dsp::analyze_tone(
          std::span(buffer.channels[0]).first(ampbench::dsp::kMinimumAnalysisFrames),
          buffer.sample_rate_hz);
  } catch (const ampbench::Error&) {
  }
  return 0;
}
