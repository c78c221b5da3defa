#include "audio/wav.hpp"

#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "common/error.hpp"
#include "common/output_file.hpp"

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

// libsndfile 1.2 can loop forever in sf_open on a LIST chunk whose declared size runs past
// the file (libsndfile issue #1118, open upstream). Walking the chunk headers first turns
// such a file into a clear error instead of a hung production station. Only the data chunk
// may claim more than the file holds: recorders killed mid-take leave exactly that, and
// libsndfile reads what is there.
using ReadAt = std::function<std::string(std::uint64_t offset, std::size_t count)>;

std::uint32_t chunk_u32(std::string_view b, bool big_endian) {
  const auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(b[i]));
  };
  return big_endian ? (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3)
                    : byte(0) | (byte(1) << 8) | (byte(2) << 16) | (byte(3) << 24);
}

std::string printable_id(std::string_view id) {
  std::string out;
  for (char c : id) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

void check_riff_structure(const ReadAt& read_at, std::uint64_t file_size, const std::string& name) {
  const std::string header = read_at(0, 12);
  if (header.size() < 12 || header.compare(8, 4, "WAVE") != 0 ||
      (header.compare(0, 4, "RIFF") != 0 && header.compare(0, 4, "RIFX") != 0 &&
       header.compare(0, 4, "RF64") != 0))
    throw InputError(name, "not a WAV file (no RIFF/WAVE header)");
  const bool big_endian = header.compare(0, 4, "RIFX") == 0;
  const auto overrun = [&](std::string_view id, std::uint64_t at, std::uint64_t size,
                           std::string_view within) {
    throw InputError(name, "damaged WAV: chunk '" + printable_id(id) + "' at byte " +
                               std::to_string(at) + " claims " + std::to_string(size) +
                               " bytes, more than " + std::string(within) + " holds");
  };
  for (std::uint64_t at = 12; at + 8 <= file_size;) {
    const std::string head = read_at(at, 8);
    if (head.size() < 8) break;
    const std::string_view id(head.data(), 4);
    const std::uint64_t size = chunk_u32(std::string_view(head).substr(4), big_endian);
    const std::uint64_t end = at + 8 + size;
    if (id == "data") {
      if (end > file_size) break;
    } else if (end > file_size) {
      overrun(id, at, size, "the file");
    } else if (id == "LIST" && size >= 4) {
      for (std::uint64_t sub = at + 12; sub + 8 <= end;) {
        const std::string sub_head = read_at(sub, 8);
        const std::uint64_t sub_size = chunk_u32(std::string_view(sub_head).substr(4), big_endian);
        if (sub + 8 + sub_size > end)
          overrun(std::string_view(sub_head.data(), 4), sub, sub_size, "its LIST chunk");
        sub += 8 + sub_size + (sub_size & 1);
      }
    }
    at = end + (size & 1);
  }
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
  const std::uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) throw IoError(path + ": cannot read: " + ec.message());
  std::ifstream stream(path, std::ios::binary);
  if (!stream) throw IoError(path + ": cannot open for reading");
  check_riff_structure(
      [&stream](std::uint64_t offset, std::size_t count) {
        std::string out(count, '\0');
        stream.clear();
        stream.seekg(static_cast<std::streamoff>(offset));
        stream.read(out.data(), static_cast<std::streamsize>(count));
        out.resize(static_cast<std::size_t>(stream.gcount()));
        return out;
      },
      file_size, path);
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  return read_open_file(file, info, path);
}

AudioBuffer read_wav_bytes(std::string_view bytes, const std::string& name) {
  check_riff_structure(
      [bytes](std::uint64_t offset, std::size_t count) {
        if (offset >= bytes.size()) return std::string();
        return std::string(bytes.substr(static_cast<std::size_t>(offset), count));
      },
      bytes.size(), name);
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
  PendingFile pending(path);
  SndfileHandle file(sf_open(pending.temp().c_str(), SFM_WRITE, &info));
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
  // libsndfile writes the header's final sizes when the file closes: a failure there
  // leaves a file that claims the wrong length.
  if (const int rc = sf_close(file.release()); rc != 0)
    throw IoError(path + ": cannot finish the file: " + sf_error_number(rc));
  pending.commit();
}

}  // namespace ampbench::audio
