// libFuzzer: what a QA40x (or a broken one) sends back — a calibration page of arbitrary
// bytes, its CRC made good when the first byte is odd so the layout's own checks are
// reached, and stream blocks of any length: each must parse or end in a MeasurementError,
// with every buffer in bounds.
#include <cstdint>
#include <vector>

#include "audio/qa40x_protocol.hpp"
#include "common/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace qa40x = ampbench::audio::qa40x;
  std::vector<std::uint8_t> page(data, data + size);
  if (!page.empty() && (page[0] & 1) && page.size() == qa40x::kPageBytes) {
    const std::uint16_t crc =
        qa40x::page_crc(std::span<const std::uint8_t>(page).first(qa40x::kPageBytes - 2));
    page[qa40x::kPageBytes - 2] = static_cast<std::uint8_t>(crc >> 8);
    page[qa40x::kPageBytes - 1] = static_cast<std::uint8_t>(crc);
  }
  try {
    const auto trims = qa40x::parse_calibration_page(page);
    if (qa40x::build_calibration_page(trims).size() != qa40x::kPageBytes) __builtin_trap();
  } catch (const ampbench::MeasurementError&) {
  }
  std::vector<double> left(size / 8 + 1), right(size / 3);
  qa40x::decode_frames(std::span<const std::uint8_t>(data, size), left, right);
  try {
    qa40x::register_reply_value(std::span<const std::uint8_t>(data, size < 6 ? size : 6));
  } catch (const ampbench::MeasurementError&) {
  }
  return 0;
}
