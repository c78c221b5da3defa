// libFuzzer: a USBTMC device answering with arbitrary bytes. The input is split into
// bulk-IN packets (a length byte, then that many bytes; 255 means the transfer timed out)
// and read as one reply: whatever arrives must end in a reply or an InstrumentError, with
// every buffer in bounds.
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "instruments/usbtmc.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

class ScriptedLink : public ampbench::instruments::UsbBulkLink {
 public:
  std::deque<Bytes> packets;
  std::deque<bool> timeouts;  // per packet: this read times out instead
  void bulk_out(std::span<const std::uint8_t>, ampbench::instruments::Milliseconds) override {}
  Bytes bulk_in(std::size_t max_bytes, ampbench::instruments::Milliseconds) override {
    if (packets.empty() || timeouts.front()) {
      if (!packets.empty()) {
        packets.pop_front();
        timeouts.pop_front();
      }
      throw ampbench::instruments::UsbTimeout("scripted timeout");
    }
    Bytes b = std::move(packets.front());
    packets.pop_front();
    timeouts.pop_front();
    if (b.size() > max_bytes) b.resize(max_bytes);
    return b;
  }
  Bytes control_in(std::uint8_t, std::uint8_t, std::uint16_t, std::uint16_t, std::uint16_t length,
                   ampbench::instruments::Milliseconds) override {
    return Bytes(length, 0x01);
  }
  void clear_halt(std::uint8_t) override {}
  std::uint8_t bulk_in_endpoint() const override { return 0x82; }
  std::uint8_t bulk_out_endpoint() const override { return 0x01; }
  std::uint16_t interface_number() const override { return 0; }
  std::size_t max_packet_bytes() const override { return 64; }
  std::string describe() const override { return "fuzz"; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  ampbench::instruments::UsbtmcQuirks quirks;
  quirks.header_in_first_transfer_only = data[0] & 1;
  quirks.empty_first_bulk_in = data[0] & 2;
  quirks.tolerate_tag_mismatch = data[0] & 4;
  auto link = std::make_unique<ScriptedLink>();
  for (std::size_t at = 1; at < size;) {
    const std::size_t n = data[at++];
    link->timeouts.push_back(n == 255);
    const std::size_t take = n == 255 ? 0 : std::min(n, size - at);
    link->packets.emplace_back(data + at, data + at + take);
    at += take;
  }
  ampbench::instruments::UsbtmcTransport transport(std::move(link), quirks);
  try {
    transport.read(ampbench::instruments::Milliseconds(1));
  } catch (const ampbench::instruments::InstrumentError&) {
  }
  return 0;
}
