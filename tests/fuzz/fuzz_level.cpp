// libFuzzer: level strings with units, and their conversion to volts.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "sequence/levels.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto level =
        ampbench::sequence::parse_level(std::string(reinterpret_cast<const char*>(data), size));
    ampbench::sequence::level_to_vrms(level, {1.0, 8.0});
    ampbench::sequence::format_level(level);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
