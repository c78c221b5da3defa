// instruments: one driver per kind of instrument, each reading its model's profile — a
// function generator (sine, Vrms into the high impedance of a DUT input), a DMM (AC
// volts), a relay switch (dummy loads) and a power supply (the DUT's, read for efficiency).
// Connecting opens the resource's transport, checks *IDN? against the profile and sends the
// profile's init commands.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "instruments/profile.hpp"
#include "instruments/scpi_session.hpp"
#include "instruments/visa.hpp"

namespace ampbench::instruments {

// The resource's transport (USBTMC with the profile's quirks, TCP, or SIM::NAME).
std::unique_ptr<ScpiTransport> open_transport(const VisaResource& resource,
                                              const InstrumentProfile& profile);
// A session on it, named "ROLE PROFILE at RESOURCE" in every error; *CLS, then *IDN?
// checked against the profile (InstrumentError when another model answers).
std::unique_ptr<ScpiSession> connect_instrument(const VisaResource& resource,
                                                const InstrumentProfile& profile,
                                                const std::string& role);

class FunctionGenerator {
 public:
  // Output off, then the profile's init. Never sets more than max_output_vrms.
  FunctionGenerator(std::unique_ptr<ScpiSession> session, InstrumentProfile profile,
                    double max_output_vrms);
  ~FunctionGenerator();  // switches the output off (best effort)
  FunctionGenerator(const FunctionGenerator&) = delete;
  FunctionGenerator& operator=(const FunctionGenerator&) = delete;

  // Throws SafetyError above max_output_vrms: nothing is sent.
  void set_sine(double frequency_hz, double vrms);
  void output(bool on);
  bool output_on() const { return on_; }
  double settle_s() const { return profile_.settle_s; }
  ScpiSession& session() { return *session_; }

 private:
  std::unique_ptr<ScpiSession> session_;
  InstrumentProfile profile_;
  double max_output_vrms_;
  bool on_ = false;
};

class Dmm {
 public:
  Dmm(std::unique_ptr<ScpiSession> session, InstrumentProfile profile);
  double read_ac_vrms();
  // Throws InstrumentError when the profile has no read_dc_volts.
  double read_dc_v();
  ScpiSession& session() { return *session_; }

 private:
  double read_number(const std::string& operation);
  std::unique_ptr<ScpiSession> session_;
  InstrumentProfile profile_;
};

// A bench power supply feeding the DUT (efficiency): one channel, set to a voltage and read
// back. Output off when made and when destroyed, whatever happened between.
class PowerSupply {
 public:
  // Throws SafetyError when `volts` exceeds `max_volts`: nothing is sent.
  PowerSupply(std::unique_ptr<ScpiSession> session, InstrumentProfile profile, double volts,
              double max_volts);
  ~PowerSupply();
  PowerSupply(const PowerSupply&) = delete;
  PowerSupply& operator=(const PowerSupply&) = delete;
  void output(bool on);
  bool output_on() const { return on_; }
  double set_volts() const { return volts_; }
  double read_voltage_v();
  double read_current_a();
  double settle_s() const { return profile_.settle_s; }

 private:
  double read_number(const std::string& operation);
  std::unique_ptr<ScpiSession> session_;
  InstrumentProfile profile_;
  double volts_;
  bool on_ = false;
};

// Safe to share between the threads of a station's slots: one command at a time.
class RelaySwitch {
 public:
  RelaySwitch(std::unique_ptr<ScpiSession> session, InstrumentProfile profile);
  // Opens every relay first, so two loads are never in parallel.
  void select(int relay);
  // Opens the group's other relays first, leaving relays outside it as they are (a relay
  // box several slots share). Needs the profile's `open` operation.
  void select_among(int relay, const std::vector<int>& group);
  void open_all();
  // One relay, leaving the others as they are (DUT controls). open() needs the profile's
  // `open` operation.
  void close(int relay);
  void open(int relay);
  double settle_s() const { return profile_.settle_s; }

 private:
  void command(const std::string& operation, std::optional<int> relay);
  std::mutex mutex_;
  std::unique_ptr<ScpiSession> session_;
  InstrumentProfile profile_;
};

}  // namespace ampbench::instruments
