// instruments: a SCPI session over any transport — commands and queries with a timeout,
// *IDN?/*RST/*OPC?, and the error queue (SYST:ERR?) drained after every command, each
// entry turned into an InstrumentError that names the command that caused it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "instruments/transport.hpp"

namespace ampbench::instruments {

struct ScpiErrorEntry {
  int code = 0;
  std::string message;
};
// `-222,"Data out of range"` → {-222, "Data out of range"}; `+0,"No error"` → code 0.
// Throws InstrumentError for a reply that is no error-queue entry.
ScpiErrorEntry parse_scpi_error(std::string_view reply);
// A numeric reply (`+1.23456789E-01`); throws InstrumentError for text, NaN or the
// SCPI overload value 9.9E37.
double parse_scpi_number(std::string_view reply);

class ScpiSession {
 public:
  // `name` says which instrument this is in errors ("generator rigol-dg1000z at …").
  ScpiSession(std::unique_ptr<ScpiTransport> transport, std::string name, Milliseconds timeout);

  // Sends one command, then drains the error queue: an entry → InstrumentError.
  void command(const std::string& command);
  // Sends one query and returns the reply without its terminator; drains errors after.
  std::string query(const std::string& query);
  // Without the error-queue check (for `ampbench scpi` and the queue itself).
  void write_raw(const std::string& message);
  std::string read_raw();

  std::string identify();  // *IDN?
  void reset();            // *RST, then *OPC? to wait for it
  void clear_status();     // *CLS
  std::vector<ScpiErrorEntry> drain_errors();

  const std::string& name() const { return name_; }
  ScpiTransport& transport() { return *transport_; }
  void set_timeout(Milliseconds timeout) { timeout_ = timeout; }

 private:
  void check_errors(const std::string& after);

  std::unique_ptr<ScpiTransport> transport_;
  std::string name_;
  Milliseconds timeout_;
};

}  // namespace ampbench::instruments
