// Tests' helper: where the end-to-end CLI tests find the shipped station and sequences.
#pragma once

#include <fstream>
#include <string>

namespace ampbench::testing {

inline const std::string kSource = AMPBENCH_SOURCE_DIR;
inline const std::string kStation = kSource + "/instruments/sim-bench.toml";
inline const std::string kPowerAmp = kSource + "/sequences/poweramp-production.toml";

inline void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace ampbench::testing
