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
// closes, and the contacts settle before anything plays. `station` names the bench in
// errors.
std::unique_ptr<LoadSwitch> relay_load_switch(std::unique_ptr<instruments::RelaySwitch> relays,
                                              std::vector<double> loads_ohm,
                                              std::vector<int> relays_of_loads,
                                              std::string station);

// No switch on the bench: the operator moves the load by hand, asked once per change.
std::unique_ptr<LoadSwitch> manual_load_switch(OperatorIo& io);

}  // namespace ampbench::plugs
