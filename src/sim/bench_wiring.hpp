// sim: the simulated bench's cabling (SimWiring) over SIM:WIRE — its own sessions to the
// simulated generator, relay box, DMM and supply, whether they are SIM::NAME in this process or
// `ampbench sim-instrument` servers behind a socket. The simulator uses the instruments'
// sessions; the real drivers know nothing of it.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "instruments/profile.hpp"
#include "instruments/scpi_session.hpp"
#include "instruments/visa.hpp"
#include "sim/wiring.hpp"

namespace ampbench::sim {

struct WiredInstrument {
  instruments::VisaResource resource;
  instruments::InstrumentProfile profile;
};

class InstrumentSimWiring : public SimWiring {
 public:
  // relay_loads_ohm: the load each relay connects. dmm_output: the interface output (1-based)
  // the DMM's probes are on.
  InstrumentSimWiring(std::optional<WiredInstrument> generator,
                      std::optional<WiredInstrument> relay, std::map<int, double> relay_loads_ohm,
                      std::optional<WiredInstrument> dmm,
                      std::optional<WiredInstrument> supply = std::nullopt,
                      std::optional<WiredInstrument> ripple = std::nullopt,
                      double ripple_gain = 1.0, int dmm_output = 1);

  std::optional<GeneratorOutput> generator() override;
  std::optional<std::vector<double>> loads_ohm() override;
  void outputs_carry(const std::vector<double>& vrms) override;
  void input_pins_carry(double volts) override;
  void move_dmm_probes(int output) override { dmm_output_ = output; }
  void supply_draws(double amps) override;
  std::optional<GeneratorOutput> supply_ripple() override;

 private:
  struct Wire {
    WiredInstrument instrument;
    std::unique_ptr<instruments::ScpiSession> session;  // opened on first use
    std::string ask(const std::string& what, const std::string& message);
  };
  std::optional<Wire> generator_;
  std::optional<Wire> relay_;
  std::map<int, double> relay_loads_ohm_;
  std::optional<Wire> dmm_;
  std::optional<Wire> supply_;
  std::optional<Wire> ripple_;
  double ripple_gain_;
  int dmm_output_;
};

}  // namespace ampbench::sim
