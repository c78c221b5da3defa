// plugs: selecting a dummy load — a relay box, the simulated load, or the operator by hand.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "instruments/drivers.hpp"
#include "plugs/operator_io.hpp"

namespace ampbench::plugs {

class LoadSwitch {
 public:
  virtual ~LoadSwitch() = default;
  virtual void select(double load_ohm) = 0;
};

// Loads on a relay box: relays[i] connects loads_ohm[i]; every relay opens before the next
// closes (on a box other slots share, every relay of these loads: theirs stay as they are),
// and the contacts settle before anything plays. `station` names the bench in errors.
std::unique_ptr<LoadSwitch> relay_load_switch(std::shared_ptr<instruments::RelaySwitch> relays,
                                              std::vector<double> loads_ohm,
                                              std::vector<int> relays_of_loads, std::string station,
                                              bool box_shared = false);

// No switch on the bench: the operator moves the load by hand, asked once per change.
std::unique_ptr<LoadSwitch> manual_load_switch(OperatorIo& io);

}  // namespace ampbench::plugs
