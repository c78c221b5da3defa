// The simulated DUT as a JACK client (`ampbench sim-dut --jack`): ports in_1..N → the
// same SimChain models as the offline backend → out_1..N, processed in the JACK process
// callback, so CI exercises the real audio path (PortAudio → JACK → DUT → JACK). On a
// station with slots, each slot's ports are a unit of its own (SPEC §11).
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "sim/models.hpp"

namespace ampbench::sim {

// One simulated unit among the client's ports: its serial number's faults, on these ports
// (0-based, in_N+1 → out_N+1 alike). A station with slots has one per slot.
struct JackDutUnit {
  std::string serial;
  std::vector<int> ports;
};

struct JackDutOptions {
  std::string client_name = "dut";
  std::vector<JackDutUnit> units;  // every port in at most one
  // Test hook: after this many seconds of audio, sleep in the process callback for
  // stall_ms, forcing an xrun (0 = never); stall_count times, stall_after_s apart.
  double stall_after_s = 0.0;
  int stall_ms = 0;
  int stall_count = 1;  // stalls, each stall_after_s after the previous one ended
};

// Runs until `stop` is set or the server shuts down. Throws MeasurementError when the
// server cannot be reached or runs at another rate than `sample_rate_hz`.
void run_jack_dut(const SimConfig& config, const ConverterCalibration& calibration,
                  double sample_rate_hz, int channels, const JackDutOptions& options,
                  const std::atomic<bool>& stop);

}  // namespace ampbench::sim
