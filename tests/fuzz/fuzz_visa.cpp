// libFuzzer: VISA resource strings as station files and `ampbench scpi` take them.
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "instruments/visa.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    ampbench::instruments::parse_visa_resource(
        std::string(reinterpret_cast<const char*>(data), size));
  } catch (const ampbench::UsageError&) {
  }
  return 0;
}
