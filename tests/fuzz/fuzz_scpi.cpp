// libFuzzer: what instruments send back — error-queue entries and numeric replies — and
// what a simulated instrument makes of arbitrary lines in every shipped dialect.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "instruments/profile.hpp"
#include "instruments/scpi_session.hpp"
#include "instruments/sim_instrument.hpp"

namespace {

const std::vector<std::unique_ptr<ampbench::instruments::SimInstrument>>& instruments() {
  static const auto all = [] {
    std::vector<std::unique_ptr<ampbench::instruments::SimInstrument>> out;
    const std::string dir = std::string(AMPBENCH_SOURCE_DIR) + "/instruments/profiles";
    for (const char* name : {"rigol-dg1000z", "siglent-sdg", "sim-dmm", "keysight-daq970a"})
      out.push_back(std::make_unique<ampbench::instruments::SimInstrument>(
          ampbench::instruments::load_profile(name, {dir})));
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    ampbench::instruments::parse_scpi_error(text);
  } catch (const ampbench::instruments::InstrumentError&) {
  }
  try {
    ampbench::instruments::parse_scpi_number(text);
  } catch (const ampbench::instruments::InstrumentError&) {
  }
  if (size > 0) instruments()[data[0] % instruments().size()]->handle(text.substr(1));
  return 0;
}
