#include "instruments/usbtmc.hpp"

#include <algorithm>
#include <cstdio>

namespace ampbench::instruments {
namespace usbtmc {
namespace {

void put_u32_le(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::vector<std::uint8_t> header(std::uint8_t msg_id, std::uint8_t tag, std::uint32_t size,
                                 std::uint8_t attributes) {
  std::vector<std::uint8_t> h(kHeaderBytes, 0);
  h[0] = msg_id;
  h[1] = tag;
  h[2] = static_cast<std::uint8_t>(~tag);
  put_u32_le(h, 4, size);
  h[8] = attributes;
  return h;
}

}  // namespace

std::uint8_t next_tag(std::uint8_t tag) {
  return tag == 255 ? 1 : static_cast<std::uint8_t>(tag + 1);
}

std::vector<std::uint8_t> encode_dev_dep_msg_out(std::uint8_t tag,
                                                 std::span<const std::uint8_t> payload, bool eom) {
  const auto head =
      header(kDevDepMsgOut, tag, static_cast<std::uint32_t>(payload.size()), eom ? 1 : 0);
  std::vector<std::uint8_t> out((kHeaderBytes + payload.size() + 3) / 4 * 4, 0);
  std::copy(head.begin(), head.end(), out.begin());
  std::copy(payload.begin(), payload.end(), out.begin() + kHeaderBytes);
  return out;
}

std::vector<std::uint8_t> encode_request_dev_dep_msg_in(std::uint8_t tag, std::uint32_t max_bytes) {
  return header(kRequestDevDepMsgIn, tag, max_bytes, 0);
}

InHeader parse_dev_dep_msg_in_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes)
    throw InstrumentError("USBTMC: reply of " + std::to_string(bytes.size()) +
                          " bytes is shorter than the 12-byte header");
  if (bytes[0] != kDevDepMsgIn)
    throw InstrumentError("USBTMC: reply header has MsgID " + std::to_string(bytes[0]) +
                          ", not DEV_DEP_MSG_IN (2)");
  if (static_cast<std::uint8_t>(~bytes[1]) != bytes[2])
    throw InstrumentError("USBTMC: reply header's bTag " + std::to_string(bytes[1]) +
                          " and its inverse " + std::to_string(bytes[2]) + " disagree");
  InHeader h;
  h.tag = bytes[1];
  h.transfer_size =
      static_cast<std::uint32_t>(bytes[4]) | static_cast<std::uint32_t>(bytes[5]) << 8 |
      static_cast<std::uint32_t>(bytes[6]) << 16 | static_cast<std::uint32_t>(bytes[7]) << 24;
  h.eom = (bytes[8] & 1) != 0;
  return h;
}

}  // namespace usbtmc

UsbtmcQuirks parse_usbtmc_quirks(const std::vector<std::string>& names) {
  UsbtmcQuirks q;
  for (const auto& name : names) {
    if (name == "rigol-header-first-packet-only")
      q.header_in_first_transfer_only = true;
    else if (name == "empty-first-bulk-in")
      q.empty_first_bulk_in = true;
    else if (name == "mismatched-btag")
      q.tolerate_tag_mismatch = true;
    else
      throw UsageError("unknown USBTMC quirk '" + name +
                       "' (known: rigol-header-first-packet-only, empty-first-bulk-in, "
                       "mismatched-btag)");
  }
  return q;
}

UsbtmcTransport::UsbtmcTransport(std::unique_ptr<UsbBulkLink> link, UsbtmcQuirks quirks)
    : link_(std::move(link)), quirks_(quirks) {}

std::uint8_t UsbtmcTransport::take_tag() {
  tag_ = usbtmc::next_tag(tag_);
  return tag_;
}

std::uint8_t UsbtmcTransport::control_status(std::uint8_t request_type, std::uint8_t request,
                                             std::uint16_t value, std::uint16_t index,
                                             std::uint16_t length) {
  const auto reply =
      link_->control_in(request_type, request, value, index, length, Milliseconds(1000));
  if (reply.empty())
    throw InstrumentError(describe() + ": USBTMC control request " + std::to_string(request) +
                          " returned nothing");
  return reply[0];
}

void UsbtmcTransport::abort_bulk_out(std::uint8_t tag) {
  const auto ep = link_->bulk_out_endpoint();
  if (control_status(usbtmc::kRequestTypeEndpoint, usbtmc::kInitiateAbortBulkOut, tag, ep, 2) !=
      usbtmc::kStatusSuccess)
    return;  // FAILED or TRANSFER_NOT_IN_PROGRESS: nothing of ours is in flight
  for (int i = 0; i < 100; ++i)
    if (control_status(usbtmc::kRequestTypeEndpoint, usbtmc::kCheckAbortBulkOutStatus, 0, ep, 8) !=
        usbtmc::kStatusPending)
      break;
  link_->clear_halt(ep);
}

void UsbtmcTransport::abort_bulk_in(std::uint8_t tag) {
  const auto ep = link_->bulk_in_endpoint();
  if (control_status(usbtmc::kRequestTypeEndpoint, usbtmc::kInitiateAbortBulkIn, tag, ep, 2) !=
      usbtmc::kStatusSuccess)
    return;
  // The device ends the aborted transfer with a short packet: read up to it.
  for (int i = 0; i < 64; ++i) {
    try {
      if (link_->bulk_in(link_->max_packet_bytes(), Milliseconds(100)).size() <
          link_->max_packet_bytes())
        break;
    } catch (const UsbTimeout&) {
      break;
    }
  }
  for (int i = 0; i < 100; ++i)
    if (control_status(usbtmc::kRequestTypeEndpoint, usbtmc::kCheckAbortBulkInStatus, 0, ep, 8) !=
        usbtmc::kStatusPending)
      break;
}

std::vector<std::uint8_t> UsbtmcTransport::bulk_in_or_abort(std::uint8_t tag, std::size_t max_bytes,
                                                            Milliseconds timeout) {
  try {
    return link_->bulk_in(max_bytes, timeout);
  } catch (const UsbTimeout&) {
    std::string aborted = "bulk-IN aborted";
    try {
      abort_bulk_in(tag);
    } catch (const InstrumentError& e) {
      aborted = std::string("abort failed: ") + e.what();
    }
    throw InstrumentTimeout(describe() + ": no reply within " + std::to_string(timeout.count()) +
                            " ms (" + aborted + ", bTag " + std::to_string(tag) + ")");
  }
}

void UsbtmcTransport::write(std::string_view message) {
  const std::uint8_t tag = take_tag();
  const auto frame = usbtmc::encode_dev_dep_msg_out(
      tag, std::span(reinterpret_cast<const std::uint8_t*>(message.data()), message.size()), true);
  try {
    link_->bulk_out(frame, write_timeout_);
  } catch (const UsbTimeout&) {
    std::string aborted = "bulk-OUT aborted";
    try {
      abort_bulk_out(tag);
    } catch (const InstrumentError& e) {
      aborted = std::string("abort failed: ") + e.what();
    }
    throw InstrumentTimeout(describe() + ": the instrument took no command within " +
                            std::to_string(write_timeout_.count()) + " ms (" + aborted + ")");
  }
}

std::string UsbtmcTransport::read(Milliseconds timeout) {
  std::string message;
  constexpr std::size_t kMaxMessageBytes = 64 * 1024 * 1024;
  for (;;) {
    const std::uint8_t tag = take_tag();
    try {
      link_->bulk_out(usbtmc::encode_request_dev_dep_msg_in(tag, kMaxTransferBytes),
                      write_timeout_);
    } catch (const UsbTimeout&) {
      abort_bulk_out(tag);
      throw InstrumentTimeout(describe() + ": the instrument took no read request within " +
                              std::to_string(write_timeout_.count()) + " ms");
    }
    const std::size_t ask = kMaxTransferBytes + usbtmc::kHeaderBytes + 3;
    auto packet = bulk_in_or_abort(tag, ask, timeout);
    if (packet.empty() && quirks_.empty_first_bulk_in) packet = bulk_in_or_abort(tag, ask, timeout);
    if (packet.empty())
      throw InstrumentError(describe() +
                            ": empty bulk-IN reply, no USBTMC header (a Rigol DS1000Z needs the "
                            "empty-first-bulk-in quirk in its profile)");
    const auto header = usbtmc::parse_dev_dep_msg_in_header(packet);
    if (header.tag != tag && !quirks_.tolerate_tag_mismatch) {
      clear();
      throw InstrumentError(
          describe() + ": reply carries bTag " + std::to_string(header.tag) +
          " but answers request bTag " + std::to_string(tag) +
          " (the device was cleared; a Rigol DHO needs the mismatched-btag quirk)");
    }
    if (header.transfer_size > kMaxTransferBytes && !quirks_.header_in_first_transfer_only) {
      clear();
      throw InstrumentError(describe() + ": reply announces " +
                            std::to_string(header.transfer_size) + " bytes, more than the " +
                            std::to_string(kMaxTransferBytes) + " asked for");
    }
    if (message.size() + header.transfer_size > kMaxMessageBytes) {
      clear();
      throw InstrumentError(describe() + ": reply larger than 64 MiB");
    }
    std::string data(packet.begin() + usbtmc::kHeaderBytes, packet.end());
    while (data.size() < header.transfer_size) {
      const std::size_t left = header.transfer_size - data.size();
      const auto more = bulk_in_or_abort(tag, (left + 3) / 4 * 4, timeout);
      if (more.empty())
        throw InstrumentError(describe() + ": reply ended after " + std::to_string(data.size()) +
                              " of " + std::to_string(header.transfer_size) + " bytes");
      data.append(more.begin(), more.end());
    }
    data.resize(header.transfer_size);  // the alignment padding goes
    message += data;
    if (header.eom) return message;
  }
}

void UsbtmcTransport::clear() {
  const auto iface = link_->interface_number();
  if (control_status(usbtmc::kRequestTypeInterface, usbtmc::kInitiateClear, 0, iface, 1) ==
      usbtmc::kStatusSuccess) {
    for (int i = 0; i < 100; ++i) {
      const auto status =
          link_->control_in(usbtmc::kRequestTypeInterface, usbtmc::kCheckClearStatus, 0, iface, 2,
                            Milliseconds(1000));
      if (status.empty() || status[0] != usbtmc::kStatusPending) break;
      if (status.size() > 1 && (status[1] & 1)) {  // bmClear.D0: drain the bulk-IN FIFO
        try {
          link_->bulk_in(link_->max_packet_bytes(), Milliseconds(100));
        } catch (const UsbTimeout&) {
        }
      }
    }
  }
  link_->clear_halt(link_->bulk_out_endpoint());
}

std::string UsbtmcDeviceInfo::resource() const {
  char ids[32];
  std::snprintf(ids, sizeof ids, "USB0::0x%04X::0x%04X::", vendor_id, product_id);
  return ids + serial + "::INSTR";
}

}  // namespace ampbench::instruments
