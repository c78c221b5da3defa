// instruments: simulated instruments. A SimInstrument speaks the dialect of any profile by
// matching what it receives against the profile's own templates, keeps the state a real
// one would (output, frequency, Vrms; closed relays; what the DMM's probes see), and keeps
// an error queue with SCPI's codes. `ampbench sim-instrument` serves one over TCP;
// SIM::NAME reaches one inside this process through SimTransport.
//
// SIM:WIRE is the simulated bench's cabling, not SCPI of any real instrument: the sim
// audio backend asks a generator what it outputs and a relay box which loads it connects,
// and tells a DMM what its probes see (SIM:WIRE for AC volts, SIM:WIRE:DC for DC volts)
// and a power supply what the DUT draws (SIM:WIRE amps; SIM:WIRE? says whether it is on and
// at what voltage).
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "instruments/profile.hpp"
#include "instruments/transport.hpp"

namespace ampbench::instruments {

struct SimInstrumentState {
  bool output_on = false;  // fgen
  double frequency_hz = 1000.0;
  double vrms = 0.0;
  std::set<int> closed_relays;  // relay
  double probe_vrms = 0.0;      // dmm: AC
  double probe_vdc = 0.0;       // dmm: DC
  double supply_v = 0.0;        // psu: the voltage set (output_on is its output)
  double draw_a = 0.0;          // psu: what the DUT draws while the output is on
};

class SimInstrument {
 public:
  explicit SimInstrument(InstrumentProfile profile);

  // One received line (one or more commands joined by ';'); the reply when it queried.
  std::optional<std::string> handle(std::string_view line);

  SimInstrumentState state() const;
  std::vector<std::string> received() const;  // every line but SIM:WIRE's, in order
  const InstrumentProfile& profile() const { return profile_; }

 private:
  struct Pattern {
    std::string operation;
    std::regex regex;
    std::string placeholder;  // "" when the template takes no value
  };
  std::optional<std::string> handle_one(const std::string& command);
  void push_error(int code, const std::string& message);

  InstrumentProfile profile_;
  std::vector<Pattern> patterns_;
  std::vector<std::regex> init_patterns_;
  mutable std::mutex mutex_;
  SimInstrumentState state_;
  std::deque<std::pair<int, std::string>> errors_;
  std::vector<std::string> received_;
};

// The process-wide simulated instrument called NAME (made on first use with this profile).
std::shared_ptr<SimInstrument> sim_instrument_named(const std::string& name,
                                                    const InstrumentProfile& profile);

class SimTransport : public ScpiTransport {
 public:
  SimTransport(std::shared_ptr<SimInstrument> instrument, std::string name);
  void write(std::string_view message) override;
  std::string read(Milliseconds timeout) override;
  void clear() override { replies_.clear(); }
  std::string describe() const override { return "SIM::" + name_; }

 private:
  std::shared_ptr<SimInstrument> instrument_;
  std::string name_;
  std::deque<std::string> replies_;
};

}  // namespace ampbench::instruments
