// instruments: VISA resource strings (SPEC §4) — which transport reaches an instrument
// and where: USB0::VID::PID::SERIAL::INSTR (USBTMC), TCPIP0::HOST::PORT::SOCKET (raw SCPI
// socket), SIM::NAME (a simulated instrument inside this process).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ampbench::instruments {

struct VisaResource {
  enum class Kind { usb, tcp_socket, sim };
  Kind kind = Kind::sim;
  std::string text;  // as written
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  std::string serial;      // usb: "" matches any unit of that VID:PID
  int usb_interface = -1;  // usb: -1 = the first USBTMC interface
  std::string host;
  std::uint16_t port = 0;
  std::string sim_name;
};

// Throws UsageError saying what is wrong and what would be right.
VisaResource parse_visa_resource(std::string_view text);

}  // namespace ampbench::instruments
