#include "sim/bench_wiring.hpp"

#include <cstdio>

#include "instruments/drivers.hpp"

namespace ampbench::sim {

using instruments::InstrumentError;
using instruments::InstrumentTimeout;

InstrumentSimWiring::InstrumentSimWiring(std::optional<WiredInstrument> generator,
                                         std::optional<WiredInstrument> relay,
                                         std::map<int, double> relay_loads_ohm,
                                         std::optional<WiredInstrument> dmm,
                                         std::optional<WiredInstrument> supply,
                                         std::optional<WiredInstrument> ripple, double ripple_gain,
                                         int dmm_output)
    : relay_loads_ohm_(std::move(relay_loads_ohm)),
      ripple_gain_(ripple_gain),
      dmm_output_(dmm_output) {
  if (generator) generator_ = Wire{*generator, nullptr};
  if (relay) relay_ = Wire{*relay, nullptr};
  if (dmm) dmm_ = Wire{*dmm, nullptr};
  if (supply) supply_ = Wire{*supply, nullptr};
  if (ripple) ripple_ = Wire{*ripple, nullptr};
}

// A message on the simulated cable; its reply when `message` asks. An instrument that is
// not a simulator says so through its error queue or its silence.
std::string InstrumentSimWiring::Wire::ask(const std::string& what, const std::string& message) {
  const std::string name = what + " " + instrument.profile.name + " at " + instrument.resource.text;
  if (!session)
    session = std::make_unique<instruments::ScpiSession>(
        instruments::open_transport(instrument.resource, instrument.profile), name,
        instrument.profile.timeout);
  try {
    session->write_raw(message);
    return message.ends_with("?") ? session->read_raw() : "";
  } catch (const InstrumentTimeout&) {
    throw InstrumentError(name + ": no answer to " + message +
                          " — the sim audio backend needs simulated instruments (SIM::NAME or "
                          "`ampbench sim-instrument`)");
  } catch (const InstrumentError& e) {
    session.reset();  // reconnect next time, as after a restarted server
    throw InstrumentError(std::string(e.what()).rfind(name, 0) == 0 ? e.what()
                                                                    : name + ": " + e.what());
  }
}

namespace {

GeneratorOutput generator_output(const std::string& reply, const std::string& where) {
  GeneratorOutput out;
  int on = 0;
  if (std::sscanf(reply.c_str(), "%d,%lf,%lf", &on, &out.frequency_hz, &out.vrms) != 3)
    throw InstrumentError(where + ": unexpected SIM:WIRE? reply '" + reply + "'");
  out.on = on != 0;
  return out;
}

}  // namespace

std::optional<GeneratorOutput> InstrumentSimWiring::generator() {
  if (!generator_) return std::nullopt;
  return generator_output(generator_->ask("generator", "SIM:WIRE?"),
                          "generator at " + generator_->instrument.resource.text);
}

std::optional<GeneratorOutput> InstrumentSimWiring::supply_ripple() {
  if (!ripple_) return std::nullopt;
  auto out = generator_output(ripple_->ask("ripple generator", "SIM:WIRE?"),
                              "ripple generator at " + ripple_->instrument.resource.text);
  out.vrms *= ripple_gain_;
  return out;
}

std::optional<std::vector<double>> InstrumentSimWiring::loads_ohm() {
  if (!relay_) return std::nullopt;
  const std::string reply = relay_->ask("relay", "SIM:WIRE?");
  std::vector<double> loads;
  std::size_t at = 0;
  while (at < reply.size()) {
    const std::size_t comma = reply.find(',', at);
    const int relay = std::atoi(reply.substr(at, comma - at).c_str());
    if (const auto it = relay_loads_ohm_.find(relay); it != relay_loads_ohm_.end())
      loads.push_back(it->second);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return loads;
}

// The DMM's driver asks over a connection of its own: each wiring message waits for the
// instrument's *OPC? so the probes carry the new value before any reading is asked for.
void InstrumentSimWiring::outputs_carry(const std::vector<double>& vrms) {
  if (!dmm_ || dmm_output_ < 1 || static_cast<std::size_t>(dmm_output_) > vrms.size()) return;
  char message[64];
  std::snprintf(message, sizeof message, "SIM:WIRE %.9E;*OPC?",
                vrms[static_cast<std::size_t>(dmm_output_ - 1)]);
  dmm_->ask("dmm", message);
}

void InstrumentSimWiring::supply_draws(double amps) {
  if (!supply_) return;
  char message[64];
  std::snprintf(message, sizeof message, "SIM:WIRE %.9E;*OPC?", amps);
  supply_->ask("supply", message);
}

void InstrumentSimWiring::input_pins_carry(double volts) {
  if (!dmm_) return;
  char message[64];
  std::snprintf(message, sizeof message, "SIM:WIRE:DC %.9E;*OPC?", volts);
  dmm_->ask("dmm", message);
}

}  // namespace ampbench::sim
