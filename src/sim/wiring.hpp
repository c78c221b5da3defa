// sim: the simulated bench's cables to external instruments. The sim audio backend asks,
// at each transfer, what a generator wired to the DUT inputs is putting out and which
// dummy loads a relay box has connected, and tells a DMM on an interface output what its
// probes see — so instrument drivers are checked by what the DUT gets, not by what they
// meant to send. Implemented over SIM:WIRE in instruments/sim_wiring.
#pragma once

#include <optional>
#include <vector>

namespace ampbench::sim {

struct GeneratorOutput {
  bool on = false;
  double frequency_hz = 0.0;
  double vrms = 0.0;
};

class SimWiring {
 public:
  virtual ~SimWiring() = default;
  // nullopt: no generator on this bench.
  virtual std::optional<GeneratorOutput> generator() = 0;
  // The loads connected now, in ohm (in parallel); nullopt: no relay box; empty: open.
  virtual std::optional<std::vector<double>> loads_ohm() = 0;
  // The Vrms on each interface output during the transfer (the DMM reads its channel's).
  virtual void outputs_carry(const std::vector<double>& vrms) = 0;
  // The DC on the DUT input pins the DMM's probes are on (phantom power).
  virtual void input_pins_carry(double volts) = 0;
  // Puts the DMM's probes across this interface output (1-based), as calibrate asks.
  virtual void move_dmm_probes(int output) = 0;
  // What the DUT draws from a bench supply during the transfer's steady part (amps).
  virtual void supply_draws(double amps) = 0;
  // The ripple a ripple generator puts on the DUT's supply (its output through the
  // station's coupling gain); nullopt: no ripple generator.
  virtual std::optional<GeneratorOutput> supply_ripple() = 0;
};

}  // namespace ampbench::sim
