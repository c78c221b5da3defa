#include "instruments/visa.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "common/error.hpp"

namespace ampbench::instruments {
namespace {

std::vector<std::string> split_fields(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find("::", start);
    out.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 2;
  }
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

// "USB0" → true for prefix "USB"; the board number is optional and must be digits.
bool is_interface(std::string_view field, std::string_view prefix) {
  const std::string f = upper(field);
  if (f.rfind(prefix, 0) != 0) return false;
  return std::all_of(f.begin() + static_cast<long>(prefix.size()), f.end(),
                     [](unsigned char c) { return std::isdigit(c); });
}

std::uint64_t parse_unsigned(const std::string& field, std::uint64_t max, const std::string& what,
                             const std::string& resource) {
  std::uint64_t value = 0;
  const bool hex = field.size() > 2 && field[0] == '0' && (field[1] == 'x' || field[1] == 'X');
  const char* begin = field.data() + (hex ? 2 : 0);
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value, hex ? 16 : 10);
  if (field.empty() || ec != std::errc() || ptr != end || value > max)
    throw UsageError("resource '" + resource + "': " + what + " '" + field +
                     "' is not a number from 0 to " + std::to_string(max) +
                     " (hex as 0x1AB1, or decimal)");
  return value;
}

}  // namespace

VisaResource parse_visa_resource(std::string_view text) {
  const std::string resource(text);
  const auto bad = [&](const std::string& what) -> UsageError {
    return UsageError("resource '" + resource + "': " + what);
  };
  if (text.empty())
    throw bad(
        "is empty (expected USB0::VID::PID::SERIAL::INSTR, "
        "TCPIP0::HOST::PORT::SOCKET or SIM::NAME)");
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ')
      throw bad("holds a space or control character");
  auto fields = split_fields(text);
  VisaResource r;
  r.text = resource;
  if (upper(fields[0]) == "SIM") {
    if (fields.size() != 2 || fields[1].empty())
      throw bad("a simulated instrument is SIM::NAME, e.g. SIM::fgen");
    if (!std::all_of(fields[1].begin(), fields[1].end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }))
      throw bad("NAME may hold letters, digits, '-' and '_' only");
    r.kind = VisaResource::Kind::sim;
    r.sim_name = fields[1];
    return r;
  }
  if (is_interface(fields[0], "USB")) {
    if (upper(fields.back()) == "INSTR") fields.pop_back();
    if (fields.size() < 3 || fields.size() > 5)
      throw bad(
          "a USBTMC instrument is USB0::VID::PID::SERIAL::INSTR, e.g. "
          "USB0::0x1AB1::0x0642::DG1ZA000001::INSTR");
    r.kind = VisaResource::Kind::usb;
    r.vendor_id =
        static_cast<std::uint16_t>(parse_unsigned(fields[1], 0xffff, "vendor ID", resource));
    r.product_id =
        static_cast<std::uint16_t>(parse_unsigned(fields[2], 0xffff, "product ID", resource));
    if (fields.size() >= 4) r.serial = fields[3];
    if (fields.size() == 5)
      r.usb_interface = static_cast<int>(parse_unsigned(fields[4], 255, "interface", resource));
    return r;
  }
  if (is_interface(fields[0], "TCPIP")) {
    const std::string last = upper(fields.back());
    if (last != "SOCKET")
      throw bad(
          "only raw SCPI sockets are supported over LAN (VXI-11 and HiSLIP are not): "
          "write TCPIP0::HOST::5025::SOCKET (Keysight, Siglent) or ::5555::SOCKET (Rigol)");
    if (fields.size() != 4 || fields[1].empty())
      throw bad("a socket instrument is TCPIP0::HOST::PORT::SOCKET");
    r.kind = VisaResource::Kind::tcp_socket;
    r.host = fields[1];
    r.port = static_cast<std::uint16_t>(parse_unsigned(fields[2], 65535, "port", resource));
    if (r.port == 0) throw bad("port 0 is not a port an instrument listens on");
    return r;
  }
  if (is_interface(fields[0], "GPIB") || is_interface(fields[0], "ASRL"))
    throw bad("GPIB and serial instruments are not supported; use USB or LAN");
  throw bad("unknown interface '" + fields[0] + "' (expected USB0::…, TCPIP0::… or SIM::…)");
}

}  // namespace ampbench::instruments
