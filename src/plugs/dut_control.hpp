// plugs: the DUT's own controls (a preamp's input, gain, tone, phantom power), the
// resistance in series with the source, and probing the DUT's input pins: the simulated
// DUT does these itself; a relay box does what it is wired for; the operator the rest.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "instruments/drivers.hpp"
#include "plugs/dut_change.hpp"
#include "plugs/operator_io.hpp"

namespace ampbench::plugs {

class DutControl {
 public:
  virtual ~DutControl() = default;
  virtual void apply(const DutChange& change) = 0;
  // 0: the source drives the input directly.
  virtual void set_series_ohm(double ohm) = 0;
  // The source on both legs of a balanced input, hot and cold joined (CMRR), with
  // `imbalance_ohm` in series with the cold leg (0: none), or back to the normal,
  // differential drive.
  virtual void set_common_mode(bool on, double imbalance_ohm) = 0;
  // Puts the DMM's probes on this channel's input pins (1-based).
  virtual void probe_input_pins(int channel) = 0;
};

// What a station's [dut_switch] relays are wired to.
struct DutRelays {
  std::map<std::string, int> input_relays;
  std::optional<int> phantom_relay;
  std::optional<int> series_relay;       // closed: the series resistor is in circuit
  std::optional<double> series_ohm;      // that resistor ([source] series_ohm)
  std::optional<int> common_mode_relay;  // closed: the input's legs joined to the source
};

// Relays set the DUT's input and phantom power and switch the series resistor; whatever
// has no relay (gain, tone, other terminations) the operator sets when asked.
std::unique_ptr<DutControl> relay_dut_control(std::shared_ptr<instruments::RelaySwitch> relays,
                                              DutRelays wiring, OperatorIo& io);

// A bench without automation: the operator sets the DUT and the resistor when asked.
std::unique_ptr<DutControl> manual_dut_control(OperatorIo& io);

// Where the DMM's probes are while calibrate reads the interface's outputs.
class DmmProbes {
 public:
  virtual ~DmmProbes() = default;
  virtual void across_interface_output(int channel) = 0;
};

// Hands on the probes: calibrate's own prompt tells the operator where to put them.
std::unique_ptr<DmmProbes> manual_dmm_probes();

}  // namespace ampbench::plugs
