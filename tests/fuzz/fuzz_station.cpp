// libFuzzer: station TOML.
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "sequence/station.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    ampbench::sequence::parse_station(std::string(reinterpret_cast<const char*>(data), size),
                                      "fuzz.toml");
  } catch (const ampbench::InputError&) {
  }
  return 0;
}
