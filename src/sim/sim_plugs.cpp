#include "sim/sim_plugs.hpp"

#include <stdexcept>

#include "common/error.hpp"

namespace ampbench::sim {
namespace {

class SimLoadSwitch : public plugs::LoadSwitch {
 public:
  explicit SimLoadSwitch(SimChain& chain) : chain_(chain) {}
  void select(double load_ohm) override { chain_.set_load_ohm(load_ohm); }

 private:
  SimChain& chain_;
};

class SimDutControl : public plugs::DutControl {
 public:
  SimDutControl(SimChain& chain, std::shared_ptr<SimWiring> wiring)
      : chain_(chain), wiring_(std::move(wiring)) {}
  void apply(const plugs::DutChange& change) override {
    DutSettings s = chain_.dut_settings();
    if (change.input) s.input = *change.input;
    if (change.gain_db) s.gain_db = *change.gain_db;
    if (change.bass_db) s.bass_db = *change.bass_db;
    if (change.treble_db) s.treble_db = *change.treble_db;
    if (change.phantom) s.phantom = *change.phantom;
    try {
      chain_.set_dut(s);
    } catch (const std::invalid_argument& e) {
      throw MeasurementError(std::string("cannot set the DUT (") + change.describe() +
                             "): " + e.what());
    }
    probe_input_pins(probed_);
  }
  void set_series_ohm(double ohm) override { chain_.set_series_ohm(ohm); }
  void set_common_mode(bool on, double imbalance_ohm) override {
    try {
      chain_.set_common_mode(on, imbalance_ohm);
    } catch (const std::invalid_argument& e) {
      throw MeasurementError(std::string("cannot drive the DUT in common mode: ") + e.what());
    }
  }
  void probe_input_pins(int channel) override {
    probed_ = channel;
    if (wiring_) wiring_->input_pins_carry(chain_.phantom_v(channel));
  }

 private:
  SimChain& chain_;
  std::shared_ptr<SimWiring> wiring_;
  int probed_ = 1;
};

class SimDmmProbes : public plugs::DmmProbes {
 public:
  explicit SimDmmProbes(std::shared_ptr<SimWiring> wiring) : wiring_(std::move(wiring)) {}
  void across_interface_output(int channel) override {
    if (wiring_) wiring_->move_dmm_probes(channel);
  }

 private:
  std::shared_ptr<SimWiring> wiring_;
};

}  // namespace

std::unique_ptr<plugs::LoadSwitch> sim_load_switch(SimChain& chain) {
  return std::make_unique<SimLoadSwitch>(chain);
}

std::unique_ptr<plugs::DutControl> sim_dut_control(SimChain& chain,
                                                   std::shared_ptr<SimWiring> wiring) {
  return std::make_unique<SimDutControl>(chain, std::move(wiring));
}

std::unique_ptr<plugs::DmmProbes> sim_dmm_probes(std::shared_ptr<SimWiring> wiring) {
  return std::make_unique<SimDmmProbes>(std::move(wiring));
}

}  // namespace ampbench::sim
