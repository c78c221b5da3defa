#include <cstdio>

#include "plugs/dut_control.hpp"

namespace ampbench::plugs {
namespace {

class ManualDutControl : public DutControl {
 public:
  explicit ManualDutControl(OperatorIo& io) : io_(io) {}
  void apply(const DutChange& change) override {
    ask_hands(io_, "Set the DUT: " + change.describe() + "; press Enter when done");
  }
  void set_series_ohm(double ohm) override {
    char resistor[48];
    std::snprintf(resistor, sizeof resistor, "%g ohm", ohm);
    ask_hands(io_, ohm > 0.0 ? "Put " + std::string(resistor) +
                                   " in series with the DUT input (or as its "
                                   "termination); press Enter when done"
                             : "Short the series resistor (source straight to the DUT); press "
                               "Enter");
  }
  void set_common_mode(bool on, double imbalance_ohm) override {
    char imbalance[96] = "";
    if (imbalance_ohm > 0.0)
      std::snprintf(imbalance, sizeof imbalance, ", %g ohm in series with the cold leg",
                    imbalance_ohm);
    ask_hands(io_, on ? "Join the input's hot and cold legs and drive both from the source "
                        "(common mode" +
                            std::string(imbalance) + "); press Enter when done"
                      : "Back to the normal, balanced drive of the input; press Enter");
  }
  void probe_input_pins(int channel) override {
    ask_hands(io_, "Put the DMM on input " + std::to_string(channel) + "'s pins; press Enter");
  }

 private:
  OperatorIo& io_;
};

class ManualDmmProbes : public DmmProbes {
 public:
  void across_interface_output(int) override {}
};

}  // namespace

std::unique_ptr<DutControl> manual_dut_control(OperatorIo& io) {
  return std::make_unique<ManualDutControl>(io);
}

std::unique_ptr<DmmProbes> manual_dmm_probes() {
  return std::make_unique<ManualDmmProbes>();
}

}  // namespace ampbench::plugs
