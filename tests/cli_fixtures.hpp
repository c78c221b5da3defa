// Tests' helper: where the end-to-end CLI tests find the shipped station and sequences.
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "db_query.hpp"

namespace ampbench::testing {

inline const std::string kSource = AMPBENCH_SOURCE_DIR;
inline const std::string kStation = kSource + "/instruments/sim-bench.toml";
inline const std::string kPowerAmp = kSource + "/sequences/poweramp-production.toml";

inline void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A run long enough to interrupt: a quick step, a long sweep, and a cleanup step.
inline std::string long_sequence(const std::filesystem::path& dir) {
  const auto path = (dir / "long.toml").string();
  write(path, R"([sequence]
name = "long"
channels = ["L", "R"]
[defaults]
capture_s = 0.5
settle_s = 0.05
load_ohm = 8
[[step]]
id = "quick"
kind = "level"
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
[[step]]
id = "long_sweep"
kind = "thdn"
stimulus = { frequency_hz = 1000 }
sweep = { parameter = "stimulus.level", from = "-40 dBV", to = "-10 dBV", points = 3000 }
[[step]]
id = "tidy"
kind = "cleanup"
)");
  return path;
}

// Waits up to 10 s until `sql` reads `value` in `db`; false if it did not.
inline bool wait_for_value(const std::string& db, const std::string& sql,
                           const std::string& value) {
  for (int i = 0; i < 400; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (scalar_if_ready(db, sql) == value) return true;
  }
  return false;
}

inline bool wait_for_passed_steps(const std::string& db, int count) {
  return wait_for_value(db, "SELECT count(*) FROM steps WHERE verdict = 'PASS'",
                        std::to_string(count));
}

// A signal meant for a step in hand waits until the step has begun: on a loaded machine the
// next step's row comes a while after the last one passed.
inline bool wait_for_running_step(const std::string& db, const std::string& step_id) {
  return wait_for_value(
      db, "SELECT count(*) FROM steps WHERE verdict = 'RUNNING' AND step_id = '" + step_id + "'",
      "1");
}

}  // namespace ampbench::testing
