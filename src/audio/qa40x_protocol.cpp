#include "audio/qa40x_protocol.hpp"

#include <algorithm>
#include <bit>
#include <boost/crc.hpp>
#include <cmath>
#include <cstring>
#include <numbers>

#include "common/error.hpp"

namespace ampbench::audio::qa40x {
namespace {

constexpr std::size_t kInputRecordsAt = 24;
constexpr std::size_t kOutputRecordsAt = 120;
constexpr std::size_t kRecordBytes = 6;
constexpr std::size_t kEndMarkerAt = 168;
constexpr std::size_t kCrcAt = kPageBytes - 2;
constexpr std::uint16_t kSentinel = 0xDEAD;
constexpr double kMostTrimDb = 20.0;

void put_u16(std::vector<std::uint8_t>& page, std::size_t at, std::uint16_t v) {
  page[at] = static_cast<std::uint8_t>(v);
  page[at + 1] = static_cast<std::uint8_t>(v >> 8);
}
void put_u32(std::vector<std::uint8_t>& page, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) page[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint16_t u16_at(std::span<const std::uint8_t> page, std::size_t at) {
  return static_cast<std::uint16_t>(page[at] | page[at + 1] << 8);
}
std::uint32_t u32_at(std::span<const std::uint8_t> page, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | page[at + i];
  return v;
}

void put_record(std::vector<std::uint8_t>& page, std::size_t at, int range_dbv, double trim_db) {
  put_u16(page, at, static_cast<std::uint16_t>(static_cast<std::int16_t>(range_dbv)));
  put_u32(page, at + 2, std::bit_cast<std::uint32_t>(static_cast<float>(trim_db)));
}

double record_trim(std::span<const std::uint8_t> page, std::size_t at, int range_dbv,
                   const char* side, const char* channel) {
  const auto level = static_cast<std::int16_t>(u16_at(page, at));
  const std::string where = std::string(side) + " range " + std::to_string(range_dbv) + " dBV, " +
                            channel + " (byte " + std::to_string(at) + ")";
  if (level != range_dbv)
    throw MeasurementError("QA40x calibration page: the record for the " + where + " says " +
                           std::to_string(level) + " dBV");
  const double trim = std::bit_cast<float>(u32_at(page, at + 2));
  if (!std::isfinite(trim) || std::abs(trim) > kMostTrimDb)
    throw MeasurementError("QA40x calibration page: the " + where + " has an implausible trim (" +
                           std::to_string(trim) + " dB)");
  return trim;
}

}  // namespace

std::array<std::uint8_t, 5> register_write_frame(std::uint8_t address, std::uint32_t value) {
  return {address, static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
          static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

std::array<std::uint8_t, 5> register_read_frame(std::uint8_t address) {
  return register_write_frame(static_cast<std::uint8_t>(address | kReadFlag), 0);
}

std::uint32_t register_reply_value(std::span<const std::uint8_t> reply) {
  if (reply.size() != 4)
    throw MeasurementError("QA40x: a register read returned " + std::to_string(reply.size()) +
                           " bytes instead of 4");
  return static_cast<std::uint32_t>(reply[0]) << 24 | static_cast<std::uint32_t>(reply[1]) << 16 |
         static_cast<std::uint32_t>(reply[2]) << 8 | reply[3];
}

std::uint32_t sample_rate_code(double sample_rate_hz, bool qa403) {
  const std::array<double, 4> rates{48000.0, 96000.0, 192000.0, 384000.0};
  for (std::size_t i = 0; i < rates.size(); ++i)
    if (sample_rate_hz == rates[i] && (i < 3 || qa403)) return static_cast<std::uint32_t>(i);
  throw UsageError("the QA40x runs at 48000, 96000 or 192000 Hz (384000 on a QA403), not " +
                   std::to_string(static_cast<long>(sample_rate_hz)));
}

double nominal_full_scale_vrms(int range_dbv) {
  return std::pow(10.0, range_dbv / 20.0);
}

double output_full_scale_vrms(int range_dbv, double trim_db) {
  return std::pow(10.0, (range_dbv + 3.0 - trim_db) / 20.0) / std::numbers::sqrt2;
}

double input_full_scale_vrms(int range_dbv, double trim_db) {
  return std::pow(10.0, (range_dbv - 6.0 + trim_db) / 20.0) / std::numbers::sqrt2;
}

void encode_frames(std::span<const double> left, std::span<const double> right,
                   std::span<std::uint8_t> out) {
  const std::size_t frames = std::min(left.size(), right.size());
  const auto word = [](double x) {
    const double w =
        std::clamp(std::round(x * kWordFullScale), -kWordFullScale - 1.0, kWordFullScale);
    return static_cast<std::uint32_t>(static_cast<std::int32_t>(w));
  };
  for (std::size_t i = 0; i < frames && (i + 1) * kFrameBytes <= out.size(); ++i) {
    const std::uint32_t r = word(right[i]), l = word(left[i]);
    std::uint8_t* f = out.data() + i * kFrameBytes;
    for (int b = 0; b < 4; ++b) {
      f[b] = static_cast<std::uint8_t>(r >> (8 * b));
      f[4 + b] = static_cast<std::uint8_t>(l >> (8 * b));
    }
  }
}

void decode_frames(std::span<const std::uint8_t> bytes, std::span<double> left,
                   std::span<double> right) {
  const std::size_t frames = std::min({bytes.size() / kFrameBytes, left.size(), right.size()});
  for (std::size_t i = 0; i < frames; ++i) {
    const auto r = static_cast<std::int32_t>(u32_at(bytes, i * kFrameBytes));
    const auto l = static_cast<std::int32_t>(u32_at(bytes, i * kFrameBytes + 4));
    right[i] = r / kWordFullScale;
    left[i] = l / kWordFullScale;
  }
}

std::vector<std::uint8_t> page_from_register_values(std::span<const std::uint32_t> values) {
  std::vector<std::uint8_t> page(values.size() * 4);
  for (std::size_t i = 0; i < values.size(); ++i) put_u32(page, 4 * i, values[i]);
  return page;
}

std::uint16_t page_crc(std::span<const std::uint8_t> bytes) {
  boost::crc_optimal<16, 0x8005, 0, 0, false, false> crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return static_cast<std::uint16_t>(crc.checksum());
}

CalibrationPage parse_calibration_page(std::span<const std::uint8_t> page) {
  if (page.size() != kPageBytes)
    throw MeasurementError("QA40x calibration page: " + std::to_string(page.size()) +
                           " bytes instead of 512");
  const std::uint16_t stored = static_cast<std::uint16_t>(page[kCrcAt] << 8 | page[kCrcAt + 1]);
  const std::uint16_t computed = page_crc(page.first(kCrcAt));
  if (stored != computed) {
    char text[96];
    std::snprintf(text, sizeof text, "CRC 0x%04X stored, 0x%04X computed", stored, computed);
    throw MeasurementError(std::string("QA40x calibration page is damaged or not programmed: ") +
                           text);
  }
  if (u32_at(page, 16) != kInputRangesDbv.size() || u32_at(page, 20) != kOutputRangesDbv.size() ||
      u16_at(page, 14) != kSentinel || u16_at(page, kEndMarkerAt + 2) != kSentinel)
    throw MeasurementError(
        "QA40x calibration page: its CRC holds but its layout is not the one ampbench knows "
        "(range counts or markers differ): a newer firmware? see docs/qa40x.md");
  CalibrationPage trims;
  for (std::size_t i = 0; i < kInputRangesDbv.size(); ++i) {
    const std::size_t at = kInputRecordsAt + 2 * kRecordBytes * i;
    trims.input[i] = {record_trim(page, at, kInputRangesDbv[i], "input", "left"),
                      record_trim(page, at + kRecordBytes, kInputRangesDbv[i], "input", "right")};
  }
  for (std::size_t i = 0; i < kOutputRangesDbv.size(); ++i) {
    const std::size_t at = kOutputRecordsAt + 2 * kRecordBytes * i;
    trims.output[i] = {
        record_trim(page, at, kOutputRangesDbv[i], "output", "left"),
        record_trim(page, at + kRecordBytes, kOutputRangesDbv[i], "output", "right")};
  }
  return trims;
}

std::vector<std::uint8_t> build_calibration_page(const CalibrationPage& trims) {
  std::vector<std::uint8_t> page(kPageBytes, 0);
  put_u32(page, 4, 76);
  put_u32(page, 8, 50);
  put_u16(page, 12, 0x0023);
  put_u16(page, 14, kSentinel);
  put_u32(page, 16, kInputRangesDbv.size());
  put_u32(page, 20, kOutputRangesDbv.size());
  for (std::size_t i = 0; i < kInputRangesDbv.size(); ++i) {
    const std::size_t at = kInputRecordsAt + 2 * kRecordBytes * i;
    put_record(page, at, kInputRangesDbv[i], trims.input[i].left_db);
    put_record(page, at + kRecordBytes, kInputRangesDbv[i], trims.input[i].right_db);
  }
  for (std::size_t i = 0; i < kOutputRangesDbv.size(); ++i) {
    const std::size_t at = kOutputRecordsAt + 2 * kRecordBytes * i;
    put_record(page, at, kOutputRangesDbv[i], trims.output[i].left_db);
    put_record(page, at + kRecordBytes, kOutputRangesDbv[i], trims.output[i].right_db);
  }
  put_u16(page, kEndMarkerAt, 0x0011);
  put_u16(page, kEndMarkerAt + 2, kSentinel);
  const std::uint16_t crc = page_crc(std::span<const std::uint8_t>(page).first(kCrcAt));
  page[kCrcAt] = static_cast<std::uint8_t>(crc >> 8);
  page[kCrcAt + 1] = static_cast<std::uint8_t>(crc);
  return page;
}

}  // namespace ampbench::audio::qa40x
