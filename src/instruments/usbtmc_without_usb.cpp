// Built when AMPBENCH_WITH_USB is OFF: USB resources fail with a message that says how
// to get them, instead of the link failing.
#include "instruments/usbtmc.hpp"

namespace ampbench::instruments {
namespace {
const char* kNoUsb =
    "this build of ampbench has no USBTMC support: configure with -DAMPBENCH_WITH_USB=ON "
    "(needs libusb-1.0-0-dev)";
}

std::vector<UsbtmcDeviceInfo> list_usbtmc_devices() {
  throw InstrumentError(kNoUsb);
}

std::unique_ptr<UsbBulkLink> open_usbtmc_link(std::uint16_t, std::uint16_t, const std::string&,
                                              int) {
  throw InstrumentError(kNoUsb);
}

}  // namespace ampbench::instruments
