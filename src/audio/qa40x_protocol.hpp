// audio: the QuantAsylum QA402/QA403's USB protocol as pure functions (docs/qa40x.md) —
// 5-byte register frames on endpoints 0x01/0x81, interleaved 32-bit stereo frames on
// 0x02/0x82 (right channel first on the wire), the ranges and their full scales, and the
// 512-byte calibration page with its per-range, per-channel trims and CRC. Facts from the
// vendor's published descriptions (PyQa40x, QA40x_BareMetal) and public interoperability
// notes; the code is ampbench's own.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ampbench::audio::qa40x {

inline constexpr std::uint16_t kVendorId = 0x16C0;
inline constexpr std::uint16_t kQa402ProductId = 0x4E37;
inline constexpr std::uint16_t kQa403ProductId = 0x4E39;
inline constexpr std::uint8_t kRegisterOut = 0x01;
inline constexpr std::uint8_t kRegisterIn = 0x81;
inline constexpr std::uint8_t kStreamOut = 0x02;
inline constexpr std::uint8_t kStreamIn = 0x82;

enum Register : std::uint8_t {
  kLink = 0x00,  // reads back what was written: the link test
  kInputRange = 0x05,
  kOutputRange = 0x06,
  kStreamControl = 0x08,
  kSampleRate = 0x09,
  kPageSelect = 0x0D,
  kFirmware = 0x10,
  kUsbMillivolts = 0x11,
  kUsbMilliamps = 0x12,
  kIsolatedMilliamps = 0x13,
  kDeciCelsius = 0x16,
  kPageData = 0x19,
  kSerial = 0x1D,
};
inline constexpr std::uint32_t kStreamStart = 5;
inline constexpr std::uint32_t kStreamStop = 0;
inline constexpr std::uint32_t kCalibrationPageSelect = 0x10;
inline constexpr std::uint8_t kReadFlag = 0x80;

// Write: address, then the value big-endian. Read: the address with its top bit set and a
// zero value, then 4 bytes big-endian come back on 0x81.
std::array<std::uint8_t, 5> register_write_frame(std::uint8_t address, std::uint32_t value);
std::array<std::uint8_t, 5> register_read_frame(std::uint8_t address);
// Throws MeasurementError unless exactly 4 bytes came back.
std::uint32_t register_reply_value(std::span<const std::uint8_t> reply);

// Ranges: the input's full scale in dBV (register values 0..7), the output's (0..3).
inline constexpr std::array<int, 8> kInputRangesDbv{0, 6, 12, 18, 24, 30, 36, 42};
inline constexpr std::array<int, 4> kOutputRangesDbv{-12, -2, 8, 18};
// The input attenuator is in from 24 dBV up: crossing it moves the slowest relay.
inline constexpr int kAttenuatorFromDbv = 24;
// Relay settling after a range write (working figures from measurements on units).
inline constexpr double kInputRelaySettleS = 0.25;
inline constexpr double kOutputRelaySettleS = 0.5;
inline constexpr double kAttenuatorSettleS = 1.2;
// Register value of a sample rate; 384 kHz on the QA403 only. Throws UsageError.
std::uint32_t sample_rate_code(double sample_rate_hz, bool qa403);

// A nominal range's full scale, as the rms of a sine whose peak is full scale: the range
// names it (a `range_dbv` range holds a sine of range_dbv dBV).
double nominal_full_scale_vrms(int range_dbv);
// The unit's true full scales with a trim from its calibration page: the output's peak is
// 10^((range+3−trim)/20) V at a full-scale word, the input's full-scale word is
// 10^((range−6+trim)/20) V peak (the input is differential).
double output_full_scale_vrms(int range_dbv, double trim_db);
double input_full_scale_vrms(int range_dbv, double trim_db);

// Stream frames: per frame the right channel's word, then the left's, each a little-endian
// int32 of the sample × (2³¹−1), saturating at full scale.
inline constexpr std::size_t kFrameBytes = 8;
inline constexpr std::size_t kBlockBytes = 16384;  // a transfer of the stream
inline constexpr std::size_t kBlockFrames = kBlockBytes / kFrameBytes;
inline constexpr double kWordFullScale = 2147483647.0;
void encode_frames(std::span<const double> left, std::span<const double> right,
                   std::span<std::uint8_t> out);
void decode_frames(std::span<const std::uint8_t> bytes, std::span<double> left,
                   std::span<double> right);

// The calibration page: 128 reads of the page register after selecting page 0x10, each
// value's bytes little-endian (the wire's big-endian words reversed). Layout: u32 0, u32 76
// (payload words), u32 50, u16 0x0023 + u16 0xDEAD, u32 8 (input ranges), u32 4 (output
// ranges), at 24 + 12·i the input range i's records and at 120 + 12·i the output range i's
// — each left then right, an int16 of the range in dBV and a float32 trim in dB — then
// u16 0x0011 + u16 0xDEAD at 168, zeros, and a CRC-16/BUYPASS of bytes 0..509 stored
// big-endian in 510..511.
inline constexpr std::size_t kPageBytes = 512;
struct ChannelTrims {
  double left_db = 0.0;
  double right_db = 0.0;
  double of(int channel) const { return channel == 2 ? right_db : left_db; }
};
struct CalibrationPage {
  std::array<ChannelTrims, 8> input;   // by input range register value
  std::array<ChannelTrims, 4> output;  // by output range register value
};
std::vector<std::uint8_t> page_from_register_values(std::span<const std::uint32_t> values);
std::uint16_t page_crc(std::span<const std::uint8_t> bytes);
// Throws MeasurementError saying what is wrong: a CRC that does not match, a header or a
// record's range that is not the layout's, a trim not finite or beyond ±20 dB.
CalibrationPage parse_calibration_page(std::span<const std::uint8_t> page);
std::vector<std::uint8_t> build_calibration_page(const CalibrationPage& trims);

}  // namespace ampbench::audio::qa40x
