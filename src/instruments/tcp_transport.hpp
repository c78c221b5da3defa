// instruments: raw SCPI over a TCP socket (TCPIP0::HOST::PORT::SOCKET; 5025 on Keysight
// and Siglent, 5555 on Rigol). Messages end in "\n"; every wait has a limit; a dropped
// connection is reopened once on the next write, and an instrument that is gone is an
// InstrumentError naming host and port.
#pragma once

#include <cstdint>
#include <string>

#include "instruments/transport.hpp"

namespace ampbench::instruments {

class TcpTransport : public ScpiTransport {
 public:
  // Connects at once; throws InstrumentError when nothing answers within connect_timeout.
  TcpTransport(std::string host, std::uint16_t port, Milliseconds connect_timeout);
  ~TcpTransport() override;

  void write(std::string_view message) override;
  std::string read(Milliseconds timeout) override;
  void clear() override;
  std::string describe() const override;

 private:
  void connect();
  void close_socket();
  bool send_all(std::string_view data);

  std::string host_;
  std::uint16_t port_;
  Milliseconds connect_timeout_;
  int fd_ = -1;
  std::string pending_;  // bytes received after the last complete reply
};

}  // namespace ampbench::instruments
