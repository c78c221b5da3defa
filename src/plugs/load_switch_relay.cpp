#include <cmath>
#include <cstdio>

#include "common/bench_clock.hpp"
#include "common/error.hpp"
#include "plugs/load_switch.hpp"

namespace ampbench::plugs {
namespace {

class RelayLoadSwitch : public LoadSwitch {
 public:
  RelayLoadSwitch(std::shared_ptr<instruments::RelaySwitch> relays, std::vector<double> loads_ohm,
                  std::vector<int> relays_of_loads, std::string station, bool box_shared)
      : relays_(std::move(relays)),
        loads_ohm_(std::move(loads_ohm)),
        relays_of_loads_(std::move(relays_of_loads)),
        station_(std::move(station)),
        box_shared_(box_shared) {}
  void select(double load_ohm) override {
    for (std::size_t i = 0; i < loads_ohm_.size(); ++i) {
      if (std::abs(loads_ohm_[i] - load_ohm) > 1e-9) continue;
      if (box_shared_)
        relays_->select_among(relays_of_loads_[i], relays_of_loads_);
      else
        relays_->select(relays_of_loads_[i]);
      hold_bench_for(relays_->settle_s());
      return;
    }
    char ohm[48];
    std::snprintf(ohm, sizeof ohm, "%g ohm", load_ohm);
    throw MeasurementError(std::string(ohm) + " is not a load of station '" + station_ + "'");
  }

 private:
  std::shared_ptr<instruments::RelaySwitch> relays_;
  std::vector<double> loads_ohm_;
  std::vector<int> relays_of_loads_;
  std::string station_;
  bool box_shared_;
};

}  // namespace

std::unique_ptr<LoadSwitch> relay_load_switch(std::shared_ptr<instruments::RelaySwitch> relays,
                                              std::vector<double> loads_ohm,
                                              std::vector<int> relays_of_loads, std::string station,
                                              bool box_shared) {
  return std::make_unique<RelayLoadSwitch>(std::move(relays), std::move(loads_ohm),
                                           std::move(relays_of_loads), std::move(station),
                                           box_shared);
}

}  // namespace ampbench::plugs
