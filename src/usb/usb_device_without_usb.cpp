// Built when AMPBENCH_WITH_USB is OFF: USB devices fail with a message that says how to get
// them, instead of the link failing.
#include "usb/usb_device.hpp"

namespace ampbench::usb {
namespace {
const char* kNoLibusb =
    "this build of ampbench has no USB support: configure with -DAMPBENCH_WITH_USB=ON "
    "(needs libusb-1.0-0-dev)";
}

std::vector<UsbDeviceInfo> list_usb_devices(std::uint16_t, const std::vector<std::uint16_t>&,
                                            const std::string&) {
  throw UsbError(kNoLibusb);
}

std::unique_ptr<UsbDevice> open_usb_device(std::uint16_t, const std::vector<std::uint16_t>&,
                                           const std::string&, int, const std::string&) {
  throw UsbError(kNoLibusb);
}

}  // namespace ampbench::usb
