#include "common/bench_clock.hpp"
#include "common/error.hpp"
#include "plugs/dut_control.hpp"

namespace ampbench::plugs {
namespace {

class RelayDutControl : public DutControl {
 public:
  RelayDutControl(std::shared_ptr<instruments::RelaySwitch> relays, DutRelays wiring,
                  OperatorIo& io)
      : relays_(std::move(relays)), wiring_(std::move(wiring)), manual_(manual_dut_control(io)) {}
  // Phantom power goes off before any input relay moves and on only after they have: 48 V
  // switched with the contacts pops the DUT and whatever listens to it.
  void apply(const DutChange& change) override {
    DutChange rest = change;
    const bool phantom_relay = change.phantom && wiring_.phantom_relay;
    if (phantom_relay && !*change.phantom) {
      relays_->open(*wiring_.phantom_relay);
      settle();
    }
    if (change.input && !wiring_.input_relays.empty()) {
      const auto chosen = wiring_.input_relays.find(*change.input);
      if (chosen == wiring_.input_relays.end())
        throw MeasurementError("the DUT switch has no relay for input '" + *change.input + "'");
      for (const auto& [name, relay] : wiring_.input_relays)
        if (relay != chosen->second) relays_->open(relay);  // break before make
      relays_->close(chosen->second);
      rest.input.reset();
    }
    if (phantom_relay) {
      if (*change.phantom) relays_->close(*wiring_.phantom_relay);
      rest.phantom.reset();
    }
    settle();
    if (!rest.empty()) manual_->apply(rest);
  }
  void set_series_ohm(double ohm) override {
    if (wiring_.series_relay &&
        (ohm == 0.0 || (wiring_.series_ohm && ohm == *wiring_.series_ohm))) {
      ohm == 0.0 ? relays_->open(*wiring_.series_relay) : relays_->close(*wiring_.series_relay);
      settle();
      return;
    }
    manual_->set_series_ohm(ohm);
  }
  // No relay switches an imbalance resistor: the operator puts one in, and takes the drive
  // back to normal after.
  void set_common_mode(bool on, double imbalance_ohm) override {
    if (!wiring_.common_mode_relay || imbalance_ohm > 0.0 || (!on && common_mode_by_hand_)) {
      common_mode_by_hand_ = on;
      return manual_->set_common_mode(on, imbalance_ohm);
    }
    on ? relays_->close(*wiring_.common_mode_relay) : relays_->open(*wiring_.common_mode_relay);
    settle();
  }
  void probe_input_pins(int channel) override { manual_->probe_input_pins(channel); }

 private:
  void settle() const { hold_bench_for(relays_->settle_s()); }
  std::shared_ptr<instruments::RelaySwitch> relays_;
  DutRelays wiring_;
  std::unique_ptr<DutControl> manual_;
  bool common_mode_by_hand_ = false;
};

}  // namespace

std::unique_ptr<DutControl> relay_dut_control(std::shared_ptr<instruments::RelaySwitch> relays,
                                              DutRelays wiring, OperatorIo& io) {
  return std::make_unique<RelayDutControl>(std::move(relays), std::move(wiring), io);
}

}  // namespace ampbench::plugs
