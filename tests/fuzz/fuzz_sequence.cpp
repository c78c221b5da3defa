// libFuzzer: sequence TOML, parsed, checked against the default station, and expanded.
#include <cstdint>
#include <string>

#include "common/error.hpp"
#include "sequence/plan.hpp"
#include "sequence/runner.hpp"
#include "sequence/station.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto station = ampbench::sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) +
                                                               "/instruments/sim-bench.toml");
  std::vector<std::string> errors;
  const auto plan = ampbench::sequence::parse_sequence(
      std::string(reinterpret_cast<const char*>(data), size), "fuzz.toml", {}, errors);
  if (plan) ampbench::sequence::check_plan(*plan, station);
  return 0;
}
