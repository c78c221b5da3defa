// instruments: serves a SimInstrument over TCP as a raw SCPI socket (what
// `ampbench sim-instrument --listen` runs): several clients at once, one line per message,
// replies ending in "\n". Every received line can be appended to a log file, so tests can
// see exactly what reached the instrument.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "instruments/sim_instrument.hpp"

namespace ampbench::instruments {

class SimInstrumentServer {
 public:
  // Binds and listens at once (port 0: any free port); throws InstrumentError.
  SimInstrumentServer(const std::string& host, std::uint16_t port,
                      std::shared_ptr<SimInstrument> instrument, std::string log_path = "");
  ~SimInstrumentServer();
  SimInstrumentServer(const SimInstrumentServer&) = delete;
  SimInstrumentServer& operator=(const SimInstrumentServer&) = delete;

  std::uint16_t port() const { return port_; }
  // Serves until `stop` becomes true (checked every 100 ms). After `stall_after_lines`
  // lines (0: never) it goes on reading but answers nothing: a hung instrument.
  void serve(const std::atomic<bool>& stop, long stall_after_lines = 0);

 private:
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::shared_ptr<SimInstrument> instrument_;
  std::string log_path_;
};

}  // namespace ampbench::instruments
