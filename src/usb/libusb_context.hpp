// usb: what every libusb-based file shares (only *_libusb.cpp files include it): the
// library's context, owned, and a device's string descriptors as text.
#pragma once

#include <libusb.h>

#include <cstdint>
#include <memory>
#include <string>

namespace ampbench::usb {

struct LibusbContextCloser {
  void operator()(libusb_context* c) const { libusb_exit(c); }
};
using LibusbContext = std::unique_ptr<libusb_context, LibusbContextCloser>;

// Throws UsbError when libusb cannot start.
LibusbContext start_libusb();
// "" for index 0 or a descriptor that cannot be read.
std::string string_descriptor(libusb_device_handle* handle, std::uint8_t index);

}  // namespace ampbench::usb
