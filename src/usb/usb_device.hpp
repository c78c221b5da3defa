// usb: the seam between ampbench and a USB device no OS class driver serves — its bulk
// endpoints, one transfer at a time for control, or several queued at once so a stream never
// waits for the host. Implementations side by side: libusb (usb_device_libusb.cpp) and
// in-process fakes of a device (sim/qa40x_fake.hpp). The USBTMC link
// (instruments/usbtmc.hpp) is this seam's one-pair sibling with the class's own requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace ampbench::usb {

using Milliseconds = std::chrono::milliseconds;

// The device went away, refused a transfer, or broke its protocol.
class UsbError : public MeasurementError {
 public:
  using MeasurementError::MeasurementError;
};
class UsbTimeout : public UsbError {
 public:
  using UsbError::UsbError;
};

// A queued transfer that has completed: an IN transfer's bytes, an OUT transfer's none.
struct CompletedTransfer {
  std::uint8_t endpoint = 0;
  std::vector<std::uint8_t> data;
};

class UsbDevice {
 public:
  virtual ~UsbDevice() = default;
  virtual void bulk_out(std::uint8_t endpoint, std::span<const std::uint8_t> data,
                        Milliseconds timeout) = 0;
  // One bulk-IN read of at most max_bytes (ends at a short packet).
  virtual std::vector<std::uint8_t> bulk_in(std::uint8_t endpoint, std::size_t max_bytes,
                                            Milliseconds timeout) = 0;
  // Queued transfers complete in their endpoint's order; wait_completed returns the
  // longest-queued one that has, or throws UsbTimeout (the queue untouched).
  virtual void submit_out(std::uint8_t endpoint, std::vector<std::uint8_t> data) = 0;
  virtual void submit_in(std::uint8_t endpoint, std::size_t bytes) = 0;
  virtual CompletedTransfer wait_completed(Milliseconds timeout) = 0;
  virtual std::size_t queued() const = 0;
  // Cancels every queued transfer and returns once none is in flight.
  virtual void cancel_queued() = 0;
  virtual std::uint16_t product_id() const = 0;
  virtual std::string describe() const = 0;
};

// One attached device of the kind asked for, as `ampbench devices` lists it.
struct UsbDeviceInfo {
  std::uint16_t vendor_id = 0;
  std::uint16_t product_id = 0;
  std::string serial;
  std::string product;
  int bus = 0;
  int address = 0;
  std::string problem;  // why it could not be opened (permissions: the udev rule)
};

// Both throw UsbError when this build has no libusb (AMPBENCH_WITH_USB=OFF). `udev_hint`
// says which rule grants access when a device cannot be opened for permissions.
std::vector<UsbDeviceInfo> list_usb_devices(std::uint16_t vendor_id,
                                            const std::vector<std::uint16_t>& product_ids,
                                            const std::string& udev_hint);
// The first device with one of the product ids (and the serial, if not empty), its
// interface claimed.
std::unique_ptr<UsbDevice> open_usb_device(std::uint16_t vendor_id,
                                           const std::vector<std::uint16_t>& product_ids,
                                           const std::string& serial, int interface_number,
                                           const std::string& udev_hint);

}  // namespace ampbench::usb
