// The UsbBulkLink over libusb-1.0: finds the USBTMC interface (class 0xFE, subclass 0x03),
// detaches the kernel's usbtmc driver while we hold the interface, and maps libusb's
// timeouts and errors onto UsbTimeout and InstrumentError.
#include <libusb.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "instruments/usbtmc.hpp"
#include "usb/libusb_context.hpp"
#include "usb/usb_device.hpp"

namespace ampbench::instruments {
namespace {

constexpr std::uint8_t kUsbtmcClass = 0xFE;
constexpr std::uint8_t kUsbtmcSubclass = 0x03;
const char* kUdevHint =
    "no permission to open it: install packaging/udev/99-ampbench-usbtmc.rules "
    "(see docs/instruments.md) and replug the instrument";

using Context = usb::LibusbContext;

Context make_context() {
  try {
    return usb::start_libusb();
  } catch (const usb::UsbError& e) {
    throw InstrumentError(e.what());
  }
}

struct UsbtmcInterface {
  int number = -1;
  std::uint8_t bulk_in = 0;
  std::uint8_t bulk_out = 0;
  std::size_t max_packet = 64;
};

std::optional<UsbtmcInterface> find_usbtmc_interface(libusb_device* device, int wanted) {
  libusb_config_descriptor* config = nullptr;
  if (libusb_get_active_config_descriptor(device, &config) != 0 &&
      libusb_get_config_descriptor(device, 0, &config) != 0)
    return std::nullopt;
  std::optional<UsbtmcInterface> found;
  for (int i = 0; i < config->bNumInterfaces && !found; ++i) {
    for (int a = 0; a < config->interface[i].num_altsetting && !found; ++a) {
      const libusb_interface_descriptor& d = config->interface[i].altsetting[a];
      if (d.bInterfaceClass != kUsbtmcClass || d.bInterfaceSubClass != kUsbtmcSubclass) continue;
      if (wanted >= 0 && d.bInterfaceNumber != wanted) continue;
      UsbtmcInterface u;
      u.number = d.bInterfaceNumber;
      for (int e = 0; e < d.bNumEndpoints; ++e) {
        const libusb_endpoint_descriptor& ep = d.endpoint[e];
        if ((ep.bmAttributes & 3) != LIBUSB_TRANSFER_TYPE_BULK) continue;
        if (ep.bEndpointAddress & LIBUSB_ENDPOINT_IN) {
          u.bulk_in = ep.bEndpointAddress;
          u.max_packet = ep.wMaxPacketSize;
        } else {
          u.bulk_out = ep.bEndpointAddress;
        }
      }
      if (u.bulk_in && u.bulk_out) found = u;
    }
  }
  libusb_free_config_descriptor(config);
  return found;
}

class LibusbBulkLink : public UsbBulkLink {
 public:
  LibusbBulkLink(Context context, libusb_device_handle* handle, UsbtmcInterface iface,
                 std::string description)
      : context_(std::move(context)),
        handle_(handle),
        iface_(iface),
        description_(std::move(description)) {}
  ~LibusbBulkLink() override {
    libusb_release_interface(handle_, iface_.number);
    libusb_close(handle_);
  }

  void bulk_out(std::span<const std::uint8_t> data, Milliseconds timeout) override {
    std::size_t sent = 0;
    while (sent < data.size()) {
      int n = 0;
      const int rc = libusb_bulk_transfer(
          handle_, iface_.bulk_out, const_cast<unsigned char*>(data.data() + sent),
          static_cast<int>(data.size() - sent), &n, static_cast<unsigned>(timeout.count()));
      check(rc, "bulk-OUT");
      sent += static_cast<std::size_t>(n);
    }
  }

  std::vector<std::uint8_t> bulk_in(std::size_t max_bytes, Milliseconds timeout) override {
    // libusb wants whole packets: round up so a device's full last packet is not an overflow.
    std::vector<std::uint8_t> data((max_bytes + iface_.max_packet - 1) / iface_.max_packet *
                                   iface_.max_packet);
    int n = 0;
    const int rc =
        libusb_bulk_transfer(handle_, iface_.bulk_in, data.data(), static_cast<int>(data.size()),
                             &n, static_cast<unsigned>(timeout.count()));
    check(rc, "bulk-IN");
    data.resize(static_cast<std::size_t>(n));
    return data;
  }

  std::vector<std::uint8_t> control_in(std::uint8_t request_type, std::uint8_t request,
                                       std::uint16_t value, std::uint16_t index,
                                       std::uint16_t length, Milliseconds timeout) override {
    std::vector<std::uint8_t> data(length);
    const int rc =
        libusb_control_transfer(handle_, request_type, request, value, index, data.data(), length,
                                static_cast<unsigned>(timeout.count()));
    check(rc < 0 ? rc : 0, "control request");
    data.resize(static_cast<std::size_t>(rc));
    return data;
  }

  void clear_halt(std::uint8_t endpoint) override {
    check(libusb_clear_halt(handle_, endpoint), "clear halt");
  }
  std::uint8_t bulk_in_endpoint() const override { return iface_.bulk_in; }
  std::uint8_t bulk_out_endpoint() const override { return iface_.bulk_out; }
  std::uint16_t interface_number() const override {
    return static_cast<std::uint16_t>(iface_.number);
  }
  std::size_t max_packet_bytes() const override { return iface_.max_packet; }
  std::string describe() const override { return description_; }

 private:
  void check(int rc, const char* what) const {
    if (rc == 0) return;
    if (rc == LIBUSB_ERROR_TIMEOUT) throw UsbTimeout(description_ + ": " + what + " timed out");
    if (rc == LIBUSB_ERROR_NO_DEVICE)
      throw InstrumentError(description_ + ": the instrument was unplugged or switched off");
    throw InstrumentError(description_ + ": " + what + " failed: " + libusb_strerror(rc));
  }

  Context context_;
  libusb_device_handle* handle_;
  UsbtmcInterface iface_;
  std::string description_;
};

}  // namespace

std::vector<UsbtmcDeviceInfo> list_usbtmc_devices() {
  Context ctx = make_context();
  libusb_device** list = nullptr;
  const ssize_t count = libusb_get_device_list(ctx.get(), &list);
  std::vector<UsbtmcDeviceInfo> out;
  for (ssize_t i = 0; i < count; ++i) {
    libusb_device* device = list[i];
    libusb_device_descriptor d{};
    if (libusb_get_device_descriptor(device, &d) != 0 || !find_usbtmc_interface(device, -1))
      continue;
    UsbtmcDeviceInfo info;
    info.vendor_id = d.idVendor;
    info.product_id = d.idProduct;
    info.bus = libusb_get_bus_number(device);
    info.address = libusb_get_device_address(device);
    libusb_device_handle* handle = nullptr;
    if (const int rc = libusb_open(device, &handle); rc != 0) {
      info.problem = rc == LIBUSB_ERROR_ACCESS ? kUdevHint : libusb_strerror(rc);
    } else {
      info.serial = usb::string_descriptor(handle, d.iSerialNumber);
      info.manufacturer = usb::string_descriptor(handle, d.iManufacturer);
      info.product = usb::string_descriptor(handle, d.iProduct);
      libusb_close(handle);
    }
    out.push_back(info);
  }
  if (list) libusb_free_device_list(list, 1);
  return out;
}

std::unique_ptr<UsbBulkLink> open_usbtmc_link(std::uint16_t vendor_id, std::uint16_t product_id,
                                              const std::string& serial, int interface_number) {
  Context ctx = make_context();
  char ids[16];
  std::snprintf(ids, sizeof ids, "%04x:%04x", vendor_id, product_id);
  const std::string name = std::string("USB ") + ids + (serial.empty() ? "" : " serial " + serial);
  libusb_device** list = nullptr;
  const ssize_t count = libusb_get_device_list(ctx.get(), &list);
  std::string problem = "not attached";
  libusb_device_handle* chosen = nullptr;
  UsbtmcInterface iface;
  for (ssize_t i = 0; i < count && !chosen; ++i) {
    libusb_device_descriptor d{};
    if (libusb_get_device_descriptor(list[i], &d) != 0 || d.idVendor != vendor_id ||
        d.idProduct != product_id)
      continue;
    const auto found = find_usbtmc_interface(list[i], interface_number);
    if (!found) {
      problem = "has no USBTMC interface";
      continue;
    }
    libusb_device_handle* handle = nullptr;
    if (const int rc = libusb_open(list[i], &handle); rc != 0) {
      problem = rc == LIBUSB_ERROR_ACCESS ? kUdevHint : libusb_strerror(rc);
      continue;
    }
    if (!serial.empty() && usb::string_descriptor(handle, d.iSerialNumber) != serial) {
      problem = "attached, but not with serial " + serial;
      libusb_close(handle);
      continue;
    }
    libusb_set_auto_detach_kernel_driver(handle, 1);
    if (const int rc = libusb_claim_interface(handle, found->number); rc != 0) {
      problem = std::string("cannot claim its interface (another program holds it?): ") +
                libusb_strerror(rc);
      libusb_close(handle);
      continue;
    }
    chosen = handle;
    iface = *found;
  }
  if (list) libusb_free_device_list(list, 1);
  if (!chosen) throw InstrumentError("instrument " + name + ": " + problem);
  return std::make_unique<LibusbBulkLink>(std::move(ctx), chosen, iface, name);
}

}  // namespace ampbench::instruments
