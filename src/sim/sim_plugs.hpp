// sim: the simulated bench's plugs — its dummy load, the simulated DUT's own controls and
// source resistor, and the simulated DMM's probes — acting on the chain and its wiring
// directly, as the relay and manual plugs (src/plugs) act on hardware and people.
#pragma once

#include <memory>

#include "plugs/dut_control.hpp"
#include "plugs/load_switch.hpp"
#include "sim/chain.hpp"
#include "sim/wiring.hpp"

namespace ampbench::sim {

std::unique_ptr<plugs::LoadSwitch> sim_load_switch(SimChain& chain);
// A DMM wired in (`wiring` may be null) sees the phantom voltage on the pins it probes.
std::unique_ptr<plugs::DutControl> sim_dut_control(SimChain& chain,
                                                   std::shared_ptr<SimWiring> wiring);
std::unique_ptr<plugs::DmmProbes> sim_dmm_probes(std::shared_ptr<SimWiring> wiring);

}  // namespace ampbench::sim
