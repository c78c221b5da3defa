// instruments: one interface per way of reaching an instrument — a transport carries whole
// SCPI messages and nothing else. Implementations side by side: tcp_transport (raw socket),
// usbtmc (USBTMC/USB488 framing over a bulk link; libusb in usbtmc_libusb), sim_transport
// (a simulated instrument in this process). Sessions, error queues and dialects live above.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace ampbench::instruments {

using Milliseconds = std::chrono::milliseconds;

// An instrument could not be reached, went away, or broke its protocol: the step ERRORs.
class InstrumentError : public MeasurementError {
 public:
  using MeasurementError::MeasurementError;
};

// No reply within the timeout; the transport has already cleaned up (USBTMC abort).
class InstrumentTimeout : public InstrumentError {
 public:
  using InstrumentError::InstrumentError;
};

class ScpiTransport {
 public:
  virtual ~ScpiTransport() = default;
  // One whole message, terminator included (the session adds "\n").
  virtual void write(std::string_view message) = 0;
  // One whole reply as the instrument sent it (terminator included); throws
  // InstrumentTimeout after `timeout`.
  virtual std::string read(Milliseconds timeout) = 0;
  // Device clear: drop pending input and output (USBTMC INITIATE_CLEAR; a socket reconnects).
  virtual void clear() = 0;
  virtual std::string describe() const = 0;
};

}  // namespace ampbench::instruments
