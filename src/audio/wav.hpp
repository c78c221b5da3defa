// WAV files through libsndfile: read any PCM/float WAV as doubles in full-scale units,
// write 16/24/32-bit integer (16 and 24 with TPDF dither) or 32/64-bit float.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "audio/audio_buffer.hpp"

namespace ampbench::audio {

enum class WavSampleFormat { pcm16, pcm24, pcm32, float32, float64 };
WavSampleFormat parse_wav_sample_format(std::string_view name);  // throws UsageError

// Throws InputError (not a WAV, empty) or IoError (unreadable) naming the file.
AudioBuffer read_wav(const std::string& path);
// The same from bytes in memory (libsndfile's virtual I/O); `name` labels errors.
AudioBuffer read_wav_bytes(std::string_view bytes, const std::string& name);
// Throws IoError. Samples beyond full scale are refused, never clipped silently.
void write_wav(const std::string& path, const AudioBuffer& buffer, WavSampleFormat format,
               std::uint64_t dither_seed = 1);

}  // namespace ampbench::audio
