// instruments: USBTMC/USB488 (USB class 0xFE, subclass 0x03) — the framing of bulk
// messages as pure functions, and the transport's state machine over a UsbBulkLink, the
// device's endpoints as libusb exposes them (usbtmc_libusb.cpp) or as a test fakes them.
// Known firmware quirks are data (UsbtmcQuirks, named in instrument profiles).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "instruments/transport.hpp"

namespace ampbench::instruments {

namespace usbtmc {

inline constexpr std::uint8_t kDevDepMsgOut = 1;
inline constexpr std::uint8_t kRequestDevDepMsgIn = 2;
inline constexpr std::uint8_t kDevDepMsgIn = 2;
inline constexpr std::size_t kHeaderBytes = 12;

// Class requests (USBTMC 1.0 table 15) and their status codes (table 16).
enum Request : std::uint8_t {
  kInitiateAbortBulkOut = 1,
  kCheckAbortBulkOutStatus = 2,
  kInitiateAbortBulkIn = 3,
  kCheckAbortBulkInStatus = 4,
  kInitiateClear = 5,
  kCheckClearStatus = 6,
  kGetCapabilities = 7,
};
enum Status : std::uint8_t {
  kStatusSuccess = 0x01,
  kStatusPending = 0x02,
  kStatusFailed = 0x80,
  kStatusTransferNotInProgress = 0x81,
};
inline constexpr std::uint8_t kRequestTypeEndpoint = 0xA2;   // IN | class | endpoint
inline constexpr std::uint8_t kRequestTypeInterface = 0xA1;  // IN | class | interface

// bTag runs 1..255 and never 0.
std::uint8_t next_tag(std::uint8_t tag);

// Header, payload, zero padding to a multiple of 4 bytes.
std::vector<std::uint8_t> encode_dev_dep_msg_out(std::uint8_t tag,
                                                 std::span<const std::uint8_t> payload, bool eom);
std::vector<std::uint8_t> encode_request_dev_dep_msg_in(std::uint8_t tag, std::uint32_t max_bytes);

struct InHeader {
  std::uint8_t tag = 0;
  std::uint32_t transfer_size = 0;
  bool eom = false;
};
// Throws InstrumentError for a short header, a wrong MsgID or a bTag/~bTag pair that
// does not match itself.
InHeader parse_dev_dep_msg_in_header(std::span<const std::uint8_t> bytes);

}  // namespace usbtmc

// Firmware that bends the standard, named in profiles ([usbtmc] quirks = [...]).
struct UsbtmcQuirks {
  // Rigol: one header announces the whole reply, which may exceed the size asked for;
  // the rest arrives as raw bulk-IN data with no further headers.
  bool header_in_first_transfer_only = false;
  // Rigol DS1000Z: the first bulk-IN after a request can be empty; read again.
  bool empty_first_bulk_in = false;
  // Rigol DHO: the reply's bTag need not match the request's.
  bool tolerate_tag_mismatch = false;
};
// Names: rigol-header-first-packet-only, empty-first-bulk-in, mismatched-btag.
// Throws UsageError naming an unknown quirk.
UsbtmcQuirks parse_usbtmc_quirks(const std::vector<std::string>& names);

// A bulk transfer that timed out (as LIBUSB_ERROR_TIMEOUT).
class UsbTimeout : public InstrumentError {
 public:
  using InstrumentError::InstrumentError;
};

class UsbBulkLink {
 public:
  virtual ~UsbBulkLink() = default;
  virtual void bulk_out(std::span<const std::uint8_t> data, Milliseconds timeout) = 0;
  // One bulk-IN read of at most max_bytes: ends at a short packet (as libusb's does).
  virtual std::vector<std::uint8_t> bulk_in(std::size_t max_bytes, Milliseconds timeout) = 0;
  virtual std::vector<std::uint8_t> control_in(std::uint8_t request_type, std::uint8_t request,
                                               std::uint16_t value, std::uint16_t index,
                                               std::uint16_t length, Milliseconds timeout) = 0;
  virtual void clear_halt(std::uint8_t endpoint) = 0;
  virtual std::uint8_t bulk_in_endpoint() const = 0;
  virtual std::uint8_t bulk_out_endpoint() const = 0;
  virtual std::uint16_t interface_number() const = 0;
  virtual std::size_t max_packet_bytes() const = 0;
  virtual std::string describe() const = 0;
};

class UsbtmcTransport : public ScpiTransport {
 public:
  UsbtmcTransport(std::unique_ptr<UsbBulkLink> link, UsbtmcQuirks quirks);

  void write(std::string_view message) override;
  std::string read(Milliseconds timeout) override;
  void clear() override;
  std::string describe() const override { return link_->describe(); }

  std::uint8_t last_tag() const { return tag_; }
  // Largest reply chunk asked for per REQUEST_DEV_DEP_MSG_IN.
  static constexpr std::uint32_t kMaxTransferBytes = 1024 * 1024;

 private:
  std::uint8_t take_tag();
  std::vector<std::uint8_t> bulk_in_or_abort(std::uint8_t tag, std::size_t max_bytes,
                                             Milliseconds timeout);
  void abort_bulk_in(std::uint8_t tag);
  void abort_bulk_out(std::uint8_t tag);
  std::uint8_t control_status(std::uint8_t request_type, std::uint8_t request, std::uint16_t value,
                              std::uint16_t index, std::uint16_t length);

  std::unique_ptr<UsbBulkLink> link_;
  UsbtmcQuirks quirks_;
  std::uint8_t tag_ = 0;
  Milliseconds write_timeout_{5000};
};

// One attached USBTMC instrument, as `ampbench devices` lists it.
struct UsbtmcDeviceInfo {
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  std::string serial;
  std::string manufacturer;
  std::string product;
  int bus = 0;
  int address = 0;
  std::string problem;  // why it could not be opened (permissions: the udev rule)
  std::string resource() const;
};

// Both throw InstrumentError when this build has no libusb (AMPBENCH_WITH_USB=OFF).
std::vector<UsbtmcDeviceInfo> list_usbtmc_devices();
// The first USBTMC interface of the device matching vid, pid and (if not empty) serial.
std::unique_ptr<UsbBulkLink> open_usbtmc_link(std::uint16_t vendor_id, std::uint16_t product_id,
                                              const std::string& serial, int interface_number);

}  // namespace ampbench::instruments
