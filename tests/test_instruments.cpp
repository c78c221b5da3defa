// instruments: VISA parsing, USBTMC framing to the byte and its state machine over a fake
// bulk link (tags, quirks, split replies, the abort sequence), the SCPI session's error
// queue, profiles, the simulated instruments and the TCP transport against a socket here.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <thread>

#include "instruments/drivers.hpp"
#include "instruments/profile.hpp"
#include "instruments/scpi_session.hpp"
#include "instruments/sim_instrument.hpp"
#include "instruments/tcp_transport.hpp"
#include "instruments/usbtmc.hpp"
#include "instruments/visa.hpp"

using namespace ampbench;
using namespace ampbench::instruments;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes bytes_of(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

std::string hex(const Bytes& b) {
  std::string out;
  char two[4];
  for (auto v : b) {
    std::snprintf(two, sizeof two, "%02x ", v);
    out += two;
  }
  if (!out.empty()) out.pop_back();
  return out;
}

// A DEV_DEP_MSG_IN transfer: header, data, padding to 4 bytes.
Bytes reply_transfer(std::uint8_t tag, std::string_view data, bool eom,
                     std::uint8_t tag_in_header = 0) {
  const std::uint8_t t = tag_in_header ? tag_in_header : tag;
  Bytes out = {2, t, static_cast<std::uint8_t>(~t), 0};
  const auto n = static_cast<std::uint32_t>(data.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  out.insert(out.end(), {static_cast<std::uint8_t>(eom ? 1 : 0), 0, 0, 0});
  out.insert(out.end(), data.begin(), data.end());
  while (out.size() % 4) out.push_back(0);
  return out;
}

// Records everything sent; answers bulk-IN and control requests from scripts.
class FakeLink : public UsbBulkLink {
 public:
  struct Control {
    std::uint8_t type, request;
    std::uint16_t value, index;
  };
  std::vector<Bytes> out;
  std::deque<Bytes> in;  // each bulk_in returns the next; a "timeout" entry throws
  std::vector<Control> controls;
  std::deque<Bytes> control_replies;
  std::vector<std::uint8_t> halts_cleared;
  bool time_out_next_in = false;

  void bulk_out(std::span<const std::uint8_t> data, Milliseconds) override {
    out.emplace_back(data.begin(), data.end());
  }
  Bytes bulk_in(std::size_t max_bytes, Milliseconds) override {
    if (time_out_next_in) {
      time_out_next_in = false;
      throw UsbTimeout("fake: bulk-IN timed out");
    }
    if (in.empty()) throw UsbTimeout("fake: nothing queued");
    Bytes b = std::move(in.front());
    in.pop_front();
    EXPECT_LE(b.size(), max_bytes);
    return b;
  }
  Bytes control_in(std::uint8_t type, std::uint8_t request, std::uint16_t value,
                   std::uint16_t index, std::uint16_t, Milliseconds) override {
    controls.push_back({type, request, value, index});
    if (control_replies.empty()) return {usbtmc::kStatusSuccess};
    Bytes r = std::move(control_replies.front());
    control_replies.pop_front();
    return r;
  }
  void clear_halt(std::uint8_t endpoint) override { halts_cleared.push_back(endpoint); }
  std::uint8_t bulk_in_endpoint() const override { return 0x82; }
  std::uint8_t bulk_out_endpoint() const override { return 0x01; }
  std::uint16_t interface_number() const override { return 0; }
  std::size_t max_packet_bytes() const override { return 64; }
  std::string describe() const override { return "fake USB"; }
};

struct Usb {
  FakeLink* link;
  std::unique_ptr<UsbtmcTransport> transport;
};
Usb make_usb(UsbtmcQuirks quirks = {}) {
  auto link = std::make_unique<FakeLink>();
  FakeLink* raw = link.get();
  return {raw, std::make_unique<UsbtmcTransport>(std::move(link), quirks)};
}

std::string profiles_dir() {
  return std::string(AMPBENCH_TEST_DATA_DIR) + "/../instruments/profiles";
}
InstrumentProfile profile(const std::string& name) {
  return load_profile(name, {profiles_dir()});
}

}  // namespace

TEST(Visa, ParsesEveryKindAndNamesWhatIsWrong) {
  const auto usb = parse_visa_resource("USB0::0x1AB1::0x0642::DG1ZA000001::INSTR");
  EXPECT_EQ(usb.kind, VisaResource::Kind::usb);
  EXPECT_EQ(usb.vendor_id, 0x1AB1);
  EXPECT_EQ(usb.product_id, 0x0642);
  EXPECT_EQ(usb.serial, "DG1ZA000001");
  EXPECT_EQ(parse_visa_resource("usb::6833::1602::SN::0::INSTR").usb_interface, 0);
  EXPECT_EQ(parse_visa_resource("USB0::6833::1602").serial, "");
  const auto tcp = parse_visa_resource("TCPIP0::192.0.2.10::5025::SOCKET");
  EXPECT_EQ(tcp.kind, VisaResource::Kind::tcp_socket);
  EXPECT_EQ(tcp.host, "192.0.2.10");
  EXPECT_EQ(tcp.port, 5025);
  EXPECT_EQ(parse_visa_resource("SIM::fgen").sim_name, "fgen");
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "is empty"},
      {"USB0::0x1AB1", "USB0::VID::PID::SERIAL::INSTR"},
      {"USB0::0x1ZZ1::0x0642::X::INSTR", "vendor ID '0x1ZZ1'"},
      {"USB0::0x10000::0x0642::X::INSTR", "vendor ID '0x10000'"},
      {"TCPIP0::host::INSTR", "VXI-11 and HiSLIP are not"},
      {"TCPIP0::host::99999::SOCKET", "port '99999'"},
      {"TCPIP0::host::0::SOCKET", "port 0"},
      {"GPIB0::12::INSTR", "GPIB and serial"},
      {"SIM::", "SIM::NAME"},
      {"SIM::a;b", "letters, digits"},
      {"FOO::bar", "unknown interface 'FOO'"},
      {"SIM::x\n*RST", "control character"},
  };
  for (const auto& [text, message] : bad) {
    try {
      parse_visa_resource(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

TEST(Usbtmc, FramesACommandToTheByte) {
  const Bytes frame = usbtmc::encode_dev_dep_msg_out(1, bytes_of("*idn?\n"), true);
  EXPECT_EQ(hex(frame), "01 01 fe 00 06 00 00 00 01 00 00 00 2a 69 64 6e 3f 0a 00 00");
  EXPECT_EQ(hex(usbtmc::encode_request_dev_dep_msg_in(2, 0x100000)),
            "02 02 fd 00 00 00 10 00 00 00 00 00");
  EXPECT_EQ(usbtmc::encode_dev_dep_msg_out(7, bytes_of("ABCD"), false).size(), 16u);
  EXPECT_EQ(usbtmc::next_tag(1), 2);
  EXPECT_EQ(usbtmc::next_tag(255), 1);  // never 0
}

TEST(Usbtmc, AcceptsAReplyHeaderAndRejectsBrokenOnes) {
  const Bytes good = {0x02, 0x02, 0xfd, 0x00, 0x37, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  const auto h = usbtmc::parse_dev_dep_msg_in_header(good);
  EXPECT_EQ(h.tag, 2);
  EXPECT_EQ(h.transfer_size, 0x37u);
  EXPECT_TRUE(h.eom);
  Bytes wrong_id = good;
  wrong_id[0] = 1;
  EXPECT_THROW(usbtmc::parse_dev_dep_msg_in_header(wrong_id), InstrumentError);
  Bytes wrong_inverse = good;
  wrong_inverse[2] = 0xfe;
  EXPECT_THROW(usbtmc::parse_dev_dep_msg_in_header(wrong_inverse), InstrumentError);
  EXPECT_THROW(usbtmc::parse_dev_dep_msg_in_header(Bytes(good.begin(), good.begin() + 11)),
               InstrumentError);
}

TEST(Usbtmc, QueryCyclesTagsAndReadsTheReply) {
  auto usb = make_usb();
  const std::string idn = "RIGOL TECHNOLOGIES,DG1062Z,DG1ZA000001,00.01.14.00.02 \n";  // 55 bytes
  ASSERT_EQ(idn.size(), 0x37u);
  usb.link->in.push_back(reply_transfer(2, idn, true));
  usb.transport->write("*idn?\n");
  EXPECT_EQ(usb.transport->read(Milliseconds(100)), idn);
  ASSERT_EQ(usb.link->out.size(), 2u);
  EXPECT_EQ(hex(usb.link->out[0]), "01 01 fe 00 06 00 00 00 01 00 00 00 2a 69 64 6e 3f 0a 00 00");
  EXPECT_EQ(usb.link->out[1][0], usbtmc::kRequestDevDepMsgIn);
  EXPECT_EQ(usb.link->out[1][1], 2);
  // 253 more exchanges: the tag wraps from 255 to 1, skipping 0.
  for (int i = 0; i < 253; ++i) usb.transport->write("X\n");
  EXPECT_EQ(usb.transport->last_tag(), 255);
  usb.transport->write("X\n");
  EXPECT_EQ(usb.transport->last_tag(), 1);
}

TEST(Usbtmc, ReassemblesAReplySplitOverPacketsAndTransfers) {
  auto usb = make_usb();
  const std::string first(100, 'a');
  const std::string second = "tail\n";
  // Transfer 1 (tag 1, no EOM) arrives in 64-byte packets; transfer 2 (tag 2) ends it.
  const Bytes t1 = reply_transfer(1, first, false);
  for (std::size_t at = 0; at < t1.size(); at += 64)
    usb.link->in.emplace_back(t1.begin() + static_cast<long>(at),
                              t1.begin() + static_cast<long>(std::min(t1.size(), at + 64)));
  usb.link->in.push_back(reply_transfer(2, second, true));
  EXPECT_EQ(usb.transport->read(Milliseconds(100)), first + second);
  EXPECT_EQ(usb.link->out.size(), 2u);  // one REQUEST_DEV_DEP_MSG_IN per transfer
}

TEST(Usbtmc, WrongTagIsRejectedUnlessTheQuirkAllowsIt) {
  auto strict = make_usb();
  strict.link->in.push_back(reply_transfer(1, "1\n", true, 9));
  try {
    strict.transport->read(Milliseconds(100));
    FAIL() << "accepted a reply to another request";
  } catch (const InstrumentError& e) {
    EXPECT_NE(std::string(e.what()).find("bTag 9 but answers request bTag 1"), std::string::npos)
        << e.what();
  }
  ASSERT_FALSE(strict.link->controls.empty());  // the device was cleared
  EXPECT_EQ(strict.link->controls[0].request, usbtmc::kInitiateClear);

  UsbtmcQuirks dho;
  dho.tolerate_tag_mismatch = true;
  auto lenient = make_usb(dho);
  lenient.link->in.push_back(reply_transfer(1, "1\n", true, 9));
  EXPECT_EQ(lenient.transport->read(Milliseconds(100)), "1\n");
}

TEST(Usbtmc, RigolQuirksAsData) {
  // Empty first bulk-IN (DS1000Z): an error without the quirk, read again with it.
  auto strict = make_usb();
  strict.link->in.push_back({});
  EXPECT_THROW(strict.transport->read(Milliseconds(100)), InstrumentError);
  UsbtmcQuirks ds;
  ds.empty_first_bulk_in = true;
  auto ds1000z = make_usb(ds);
  ds1000z.link->in.push_back({});
  ds1000z.link->in.push_back(reply_transfer(1, "ok\n", true));
  EXPECT_EQ(ds1000z.transport->read(Milliseconds(100)), "ok\n");

  // One header announcing more than was asked for, the rest headerless.
  const std::string big(UsbtmcTransport::kMaxTransferBytes + 10, 'x');
  const Bytes whole = reply_transfer(1, big, true);
  const auto load = [&](FakeLink& link) {
    link.in.emplace_back(whole.begin(), whole.begin() + 4096);
    link.in.emplace_back(whole.begin() + 4096, whole.end());
  };
  auto standard = make_usb();
  load(*standard.link);
  EXPECT_THROW(standard.transport->read(Milliseconds(100)), InstrumentError);
  UsbtmcQuirks rigol;
  rigol.header_in_first_transfer_only = true;
  auto dg = make_usb(rigol);
  load(*dg.link);
  EXPECT_EQ(dg.transport->read(Milliseconds(100)), big);

  EXPECT_TRUE(parse_usbtmc_quirks({"mismatched-btag"}).tolerate_tag_mismatch);
  EXPECT_THROW(parse_usbtmc_quirks({"rigol-everything"}), UsageError);
}

TEST(Usbtmc, TimeoutRunsTheAbortSequence) {
  auto usb = make_usb();
  usb.link->time_out_next_in = true;
  // INITIATE_ABORT_BULK_IN → success; the drain read ends on a short packet; then
  // CHECK_ABORT_BULK_IN_STATUS says pending once, then success.
  usb.link->control_replies = {{usbtmc::kStatusSuccess, 1},
                               {usbtmc::kStatusPending, 0, 0, 0, 0, 0, 0, 0},
                               {usbtmc::kStatusSuccess, 0, 0, 0, 0, 0, 0, 0}};
  usb.link->in.push_back(Bytes(10, 0));
  try {
    usb.transport->read(Milliseconds(250));
    FAIL() << "no timeout";
  } catch (const InstrumentTimeout& e) {
    EXPECT_NE(std::string(e.what()).find("no reply within 250 ms (bulk-IN aborted, bTag 1)"),
              std::string::npos)
        << e.what();
  }
  ASSERT_EQ(usb.link->controls.size(), 3u);
  EXPECT_EQ(usb.link->controls[0].type, usbtmc::kRequestTypeEndpoint);
  EXPECT_EQ(usb.link->controls[0].request, usbtmc::kInitiateAbortBulkIn);
  EXPECT_EQ(usb.link->controls[0].value, 1);     // the bTag being aborted
  EXPECT_EQ(usb.link->controls[0].index, 0x82);  // the bulk-IN endpoint
  EXPECT_EQ(usb.link->controls[1].request, usbtmc::kCheckAbortBulkInStatus);
  EXPECT_EQ(usb.link->controls[2].request, usbtmc::kCheckAbortBulkInStatus);
  EXPECT_TRUE(usb.link->in.empty());  // the short packet was drained

  // The next query works, on the next tag.
  usb.link->in.push_back(reply_transfer(3, "1\n", true));
  usb.transport->write("*OPC?\n");
  EXPECT_EQ(usb.transport->read(Milliseconds(100)), "1\n");
}

TEST(Usbtmc, WriteTimeoutAbortsBulkOutAndClearsTheHalt) {
  class StuckOut : public FakeLink {
   public:
    void bulk_out(std::span<const std::uint8_t>, Milliseconds) override {
      throw UsbTimeout("fake: bulk-OUT timed out");
    }
  };
  auto link = std::make_unique<StuckOut>();
  StuckOut* raw = link.get();
  UsbtmcTransport t(std::move(link), {});
  EXPECT_THROW(t.write("*RST\n"), InstrumentTimeout);
  ASSERT_GE(raw->controls.size(), 2u);
  EXPECT_EQ(raw->controls[0].request, usbtmc::kInitiateAbortBulkOut);
  EXPECT_EQ(raw->controls[0].index, 0x01);
  EXPECT_EQ(raw->controls[1].request, usbtmc::kCheckAbortBulkOutStatus);
  EXPECT_EQ(raw->halts_cleared, std::vector<std::uint8_t>{0x01});
}

TEST(Scpi, ParsesErrorEntriesAndNumbers) {
  const auto e = parse_scpi_error("-222,\"Data out of range\"\n");
  EXPECT_EQ(e.code, -222);
  EXPECT_EQ(e.message, "Data out of range");
  EXPECT_EQ(parse_scpi_error("+0,\"No error\"").code, 0);
  EXPECT_EQ(parse_scpi_error("0").code, 0);
  EXPECT_THROW(parse_scpi_error("garbage"), InstrumentError);
  EXPECT_THROW(parse_scpi_error(""), InstrumentError);
  EXPECT_DOUBLE_EQ(parse_scpi_number("+1.23456789E-01\r\n"), 0.123456789);
  EXPECT_THROW(parse_scpi_number("+9.90000000E+37"), InstrumentError);
  EXPECT_THROW(parse_scpi_number("nan"), InstrumentError);
  EXPECT_THROW(parse_scpi_number("1.0 V"), InstrumentError);
}

TEST(Scpi, ErrorQueueEntryNamesTheCommand) {
  const auto p = profile("sim-fgen");
  auto instrument = std::make_shared<SimInstrument>(p);
  ScpiSession session(std::make_unique<SimTransport>(instrument, "t"), "generator sim-fgen",
                      Milliseconds(100));
  session.command("VOLT 1.5");
  try {
    session.command("VOLT 2.5");  // the sim's ceiling is 2 Vrms
    FAIL() << "no error";
  } catch (const InstrumentError& e) {
    EXPECT_STREQ(e.what(), "generator sim-fgen: 'VOLT 2.5' → -222,\"Data out of range\"");
  }
  try {
    session.command("BOGUS");
    FAIL() << "no error";
  } catch (const InstrumentError& e) {
    EXPECT_NE(std::string(e.what()).find("'BOGUS' → -113,\"Undefined header\""), std::string::npos);
  }
  EXPECT_THROW(session.command("VOLT 1\n*RST"), UsageError);  // one line, always
}

TEST(Profiles, ShippedProfilesLoadAndRender) {
  for (const char* name :
       {"rigol-dg1000z", "siglent-sdg", "keysight-33500b", "keysight-34461a", "rigol-dm3058",
        "keysight-daq970a", "sim-fgen", "sim-dmm", "sim-relay"}) {
    SCOPED_TRACE(name);
    const auto p = profile(name);
    EXPECT_EQ(p.name, name);
    for (const auto& op : required_operations(p.kind)) EXPECT_TRUE(p.commands.count(op)) << op;
  }
  const auto rigol = profile("rigol-dg1000z");
  EXPECT_TRUE(rigol.quirks.header_in_first_transfer_only);
  EXPECT_EQ(rigol.usb_vendor_id, 0x1AB1);
  EXPECT_EQ(render_command(rigol.command("set_amplitude"), {{"vrms", 0.7071067812}}),
            ":SOUR1:VOLT 0.707106781");
  EXPECT_THROW(render_command("VOLT {vrms}", {}), UsageError);
}

TEST(Profiles, BadProfilesNameFileLineAndField) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"[profile]\nkind = \"scope\"\n[commands]\n", ":2: field 'profile.kind'"},
      {"[profile]\nkind = \"fgen\"\n[commands]\nset_frequency = \"FREQ {frequency_hz}\"\n",
       "field 'commands.set_amplitude'"},
      {"[profile]\nkind = \"dmm\"\n[commands]\nread_ac_volts = \"READ? {serial}\"\n",
       ":4: field 'commands.read_ac_volts': {serial} is not a value"},
      {"[profile]\nkind = \"relay\"\n[usbtmc]\nquirks = [\"x\"]\n[commands]\n",
       ":4: field 'usbtmc.quirks': unknown USBTMC quirk 'x'"},
      {"[profile]\nkind = \"relay\"\n[commands]\nclose = \"C {relay}\"\nopen_all = \"O\"\nfly = "
       "\"F\"\n",
       ":6: field 'commands.fly': unknown operation"},
  };
  for (const auto& [text, message] : bad) {
    try {
      parse_profile(text, "p.toml");
      ADD_FAILURE() << "accepted: " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(load_profile("no-such-model", {profiles_dir()}), UsageError);
}

TEST(SimInstruments, SpeakEachProfilesDialect) {
  // The same driver calls, three dialects: the simulator reads back Vrms, whatever the unit.
  for (const char* name : {"rigol-dg1000z", "siglent-sdg", "keysight-33500b", "sim-fgen"}) {
    SCOPED_TRACE(name);
    const auto p = profile(name);
    auto instrument = std::make_shared<SimInstrument>(p);
    auto session = std::make_unique<ScpiSession>(std::make_unique<SimTransport>(instrument, name),
                                                 name, Milliseconds(100));
    FunctionGenerator gen(std::move(session), p, 1.5);
    gen.set_sine(997.0, 1.25);
    gen.output(true);
    const auto s = instrument->state();
    EXPECT_TRUE(s.output_on);
    EXPECT_NEAR(s.frequency_hz, 997.0, 1e-6);
    EXPECT_NEAR(s.vrms, 1.25, 1e-8);
    EXPECT_THROW(gen.set_sine(1000.0, 1.6), SafetyError);  // above the station's maximum
    EXPECT_NEAR(instrument->state().vrms, 1.25, 1e-8);     // … and nothing was sent
  }
  const auto relay_profile = profile("sim-relay");
  auto relay_box = std::make_shared<SimInstrument>(relay_profile);
  RelaySwitch relay(std::make_unique<ScpiSession>(std::make_unique<SimTransport>(relay_box, "r"),
                                                  "relay", Milliseconds(100)),
                    relay_profile);
  relay.select(2);
  relay.select(1);
  EXPECT_EQ(relay_box->state().closed_relays, std::set<int>{1});  // never two loads at once

  const auto dmm_profile = profile("keysight-34461a");
  auto meter = std::make_shared<SimInstrument>(dmm_profile);
  meter->handle("SIM:WIRE 0.775");
  Dmm dmm(std::make_unique<ScpiSession>(std::make_unique<SimTransport>(meter, "d"), "dmm",
                                        Milliseconds(100)),
          dmm_profile);
  EXPECT_DOUBLE_EQ(dmm.read_ac_vrms(), 0.775);
}

namespace {

// A one-connection SCPI server on an ephemeral port: answers "*IDN?" and stays silent to
// anything else; closes the connection when told to.
class LoopbackServer {
 public:
  LoopbackServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listen_fd_, 4);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int connections() const { return connections_; }

 private:
  void serve() {
    for (;;) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      std::string line;
      char c;
      while (::recv(fd, &c, 1, 0) == 1) {
        if (c != '\n') {
          line += c;
          continue;
        }
        if (line == "*IDN?") ::send(fd, "sim,1,2,3\n", 10, MSG_NOSIGNAL);
        if (line == "BYE") break;
        line.clear();
      }
      ::close(fd);
    }
  }
  int listen_fd_;
  std::uint16_t port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace

TEST(Tcp, QueriesTimesOutAndReconnects) {
  LoopbackServer server;
  TcpTransport t("127.0.0.1", server.port(), Milliseconds(1000));
  t.write("*IDN?\n");
  EXPECT_EQ(t.read(Milliseconds(1000)), "sim,1,2,3\n");
  t.write("SILENCE?\n");
  EXPECT_THROW(t.read(Milliseconds(50)), InstrumentTimeout);
  t.write("BYE\n");  // the server drops the connection; the next write reconnects
  std::this_thread::sleep_for(Milliseconds(50));
  t.write("*IDN?\n");
  EXPECT_EQ(t.read(Milliseconds(1000)), "sim,1,2,3\n");
  EXPECT_EQ(server.connections(), 2);
}

TEST(Tcp, NobodyListeningIsAClearError) {
  std::uint16_t port;
  {
    LoopbackServer gone;
    port = gone.port();
  }
  try {
    TcpTransport t("127.0.0.1", port, Milliseconds(500));
    FAIL() << "connected to nothing";
  } catch (const InstrumentError& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port) + " is not reachable"),
              std::string::npos)
        << e.what();
  }
}

TEST(Connect, TheWrongInstrumentAtAResourceIsRefused) {
  auto p = profile("rigol-dg1000z");
  const auto resource = parse_visa_resource("SIM::wrong-model");
  p.sim_idn = "Keysight Technologies,33522B,MY1,1";  // what answers is not what the profile expects
  try {
    connect_instrument(resource, p, "generator");
    FAIL() << "accepted";
  } catch (const InstrumentError& e) {
    EXPECT_NE(std::string(e.what()).find("*IDN? answers 'Keysight Technologies,33522B,MY1,1', "
                                         "not a 'RIGOL TECHNOLOGIES,DG'"),
              std::string::npos)
        << e.what();
  }
  p.sim_idn = "RIGOL TECHNOLOGIES,DG1062Z,DG1ZA000001,00.01.14";
  EXPECT_NE(connect_instrument(parse_visa_resource("SIM::right-model"), p, "generator"), nullptr);
}
