#include "audio/wav.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <vector>

#include "common/error.hpp"

namespace ampbench::audio {
namespace {

struct SndfileCloser {
  void operator()(SNDFILE* f) const { sf_close(f); }
};
using SndfileHandle = std::unique_ptr<SNDFILE, SndfileCloser>;

int subformat(WavSampleFormat format) {
  switch (format) {
    case WavSampleFormat::pcm16:
      return SF_FORMAT_PCM_16;
    case WavSampleFormat::pcm24:
      return SF_FORMAT_PCM_24;
    case WavSampleFormat::pcm32:
      return SF_FORMAT_PCM_32;
    case WavSampleFormat::float32:
      return SF_FORMAT_FLOAT;
    case WavSampleFormat::float64:
      return SF_FORMAT_DOUBLE;
  }
  return SF_FORMAT_FLOAT;
}

int integer_bits(WavSampleFormat format) {
  switch (format) {
    case WavSampleFormat::pcm16:
      return 16;
    case WavSampleFormat::pcm24:
      return 24;
    default:
      return 0;
  }
}

}  // namespace

WavSampleFormat parse_wav_sample_format(std::string_view name) {
  if (name == "pcm16" || name == "16") return WavSampleFormat::pcm16;
  if (name == "pcm24" || name == "24") return WavSampleFormat::pcm24;
  if (name == "pcm32" || name == "32") return WavSampleFormat::pcm32;
  if (name == "float" || name == "float32") return WavSampleFormat::float32;
  if (name == "double" || name == "float64") return WavSampleFormat::float64;
  throw UsageError("unknown sample format '" + std::string(name) +
                   "' (expected pcm16, pcm24, pcm32, float or double)");
}

namespace {

AudioBuffer read_open_file(SNDFILE* raw, const SF_INFO& info, const std::string& path) {
  SndfileHandle file(raw);
  if (!file)
    throw InputError(path, std::string("not a readable WAV file: ") + sf_strerror(nullptr));
  if (info.channels < 1 || info.channels > 64) throw InputError(path, "unsupported channel count");
  if (info.frames <= 0) throw InputError(path, "contains no samples");
  if (info.samplerate <= 0) throw InputError(path, "has no valid sample rate");

  // Read in chunks: a header may claim far more frames than the file holds, and memory
  // must follow the data actually there, not the claim.
  const auto channels = static_cast<std::size_t>(info.channels);
  constexpr sf_count_t kChunkFrames = 65536;
  std::vector<double> chunk(static_cast<std::size_t>(kChunkFrames) * channels);
  AudioBuffer buffer;
  buffer.sample_rate_hz = info.samplerate;
  if (const char* comment = sf_get_string(file.get(), SF_STR_COMMENT)) buffer.comment = comment;
  buffer.channels.assign(channels, {});
  for (sf_count_t read; (read = sf_readf_double(file.get(), chunk.data(), kChunkFrames)) > 0;) {
    for (sf_count_t i = 0; i < read; ++i) {
      for (std::size_t c = 0; c < channels; ++c) {
        const double v = chunk[static_cast<std::size_t>(i) * channels + c];
        if (!std::isfinite(v))
          throw InputError(
              path, "holds a NaN or infinite sample (channel " + std::to_string(c + 1) + ")");
        buffer.channels[c].push_back(v);
      }
    }
  }
  if (buffer.channels[0].empty())
    throw InputError(path, std::string("cannot read samples: ") + sf_strerror(file.get()));
  return buffer;
}

struct MemoryFile {
  std::string_view bytes;
  sf_count_t position = 0;
};

}  // namespace

AudioBuffer read_wav(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(path, "no such file");
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, "is a directory, not a WAV file");
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  return read_open_file(file, info, path);
}

AudioBuffer read_wav_bytes(std::string_view bytes, const std::string& name) {
  SF_VIRTUAL_IO io{};
  io.get_filelen = [](void* user) {
    return static_cast<sf_count_t>(static_cast<MemoryFile*>(user)->bytes.size());
  };
  io.seek = [](sf_count_t offset, int whence, void* user) {
    auto* m = static_cast<MemoryFile*>(user);
    const sf_count_t size = static_cast<sf_count_t>(m->bytes.size());
    const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->position : size;
    m->position = std::clamp<sf_count_t>(base + offset, 0, size);
    return m->position;
  };
  io.read = [](void* ptr, sf_count_t count, void* user) {
    auto* m = static_cast<MemoryFile*>(user);
    const sf_count_t n =
        std::min<sf_count_t>(count, static_cast<sf_count_t>(m->bytes.size()) - m->position);
    std::memcpy(ptr, m->bytes.data() + m->position, static_cast<std::size_t>(n));
    m->position += n;
    return n;
  };
  io.write = [](const void*, sf_count_t, void*) -> sf_count_t { return 0; };
  io.tell = [](void* user) { return static_cast<MemoryFile*>(user)->position; };
  MemoryFile memory{bytes, 0};
  SF_INFO info{};
  SNDFILE* file = sf_open_virtual(&io, SFM_READ, &info, &memory);
  return read_open_file(file, info, name);
}

void write_wav(const std::string& path, const AudioBuffer& buffer, WavSampleFormat format,
               std::uint64_t dither_seed) {
  if (buffer.channels.empty() || buffer.frames() == 0) throw IoError(path + ": nothing to write");
  const std::size_t channels = buffer.channel_count();
  const std::size_t frames = buffer.frames();
  const int bits = integer_bits(format);
  for (const auto& channel : buffer.channels) {
    for (double v : channel) {
      if (!std::isfinite(v) || std::abs(v) > 1.0)
        throw IoError(path + ": a sample exceeds full scale; lower the level");
    }
  }

  SF_INFO info{};
  info.samplerate = static_cast<int>(std::lround(buffer.sample_rate_hz));
  info.channels = static_cast<int>(channels);
  info.format = SF_FORMAT_WAV | subformat(format);
  SndfileHandle file(sf_open(path.c_str(), SFM_WRITE, &info));
  if (!file) throw IoError(path + ": cannot write: " + sf_strerror(nullptr));
  if (!buffer.comment.empty()) sf_set_string(file.get(), SF_STR_COMMENT, buffer.comment.c_str());

  sf_count_t written = 0;
  if (bits > 0) {
    // TPDF dither of ±1 LSB decorrelates the quantisation error from the signal, so a
    // low-level tone reads a flat noise floor instead of spurious harmonics.
    std::mt19937_64 engine(dither_seed);
    std::uniform_real_distribution<double> uniform(-0.5, 0.5);
    const double scale = std::ldexp(1.0, bits - 1);
    const double max_code = scale - 1.0;
    const int shift = 32 - bits;
    std::vector<int> interleaved(frames * channels);
    for (std::size_t i = 0; i < frames; ++i) {
      for (std::size_t c = 0; c < channels; ++c) {
        const double dither = uniform(engine) + uniform(engine);
        const double code =
            std::clamp(std::round(buffer.channels[c][i] * scale + dither), -scale, max_code);
        interleaved[i * channels + c] = static_cast<int>(code) * (1 << shift);
      }
    }
    written = sf_writef_int(file.get(), interleaved.data(), static_cast<sf_count_t>(frames));
  } else {
    std::vector<double> interleaved(frames * channels);
    for (std::size_t i = 0; i < frames; ++i)
      for (std::size_t c = 0; c < channels; ++c)
        interleaved[i * channels + c] = buffer.channels[c][i];
    if (format == WavSampleFormat::pcm32)
      sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
    written = sf_writef_double(file.get(), interleaved.data(), static_cast<sf_count_t>(frames));
  }
  if (written != static_cast<sf_count_t>(frames))
    throw IoError(path + ": short write: " + sf_strerror(file.get()));
}

}  // namespace ampbench::audio
