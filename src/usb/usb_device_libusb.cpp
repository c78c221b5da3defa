// The UsbDevice over libusb-1.0: synchronous transfers for control, libusb's asynchronous
// ones for queues (each completion flagged by its callback while wait_completed handles
// events), libusb's errors mapped onto UsbTimeout and UsbError.
#include <libusb.h>

#include <algorithm>
#include <cstdio>
#include <deque>

#include "usb/libusb_context.hpp"
#include "usb/usb_device.hpp"

namespace ampbench::usb {

LibusbContext start_libusb() {
  libusb_context* ctx = nullptr;
  if (const int rc = libusb_init(&ctx); rc != 0)
    throw UsbError(std::string("libusb: cannot start: ") + libusb_strerror(rc));
  return LibusbContext(ctx);
}

std::string string_descriptor(libusb_device_handle* handle, std::uint8_t index) {
  if (index == 0) return "";
  unsigned char text[256];
  const int n = libusb_get_string_descriptor_ascii(handle, index, text, sizeof text);
  return n > 0 ? std::string(reinterpret_cast<char*>(text), static_cast<std::size_t>(n)) : "";
}

namespace libusb_detail {

using Context = LibusbContext;

bool wanted(const libusb_device_descriptor& d, std::uint16_t vendor_id,
            const std::vector<std::uint16_t>& product_ids) {
  return d.idVendor == vendor_id &&
         std::find(product_ids.begin(), product_ids.end(), d.idProduct) != product_ids.end();
}

// One queued transfer: its buffer lives until libusb has called back.
struct Queued {
  libusb_transfer* transfer = nullptr;
  std::vector<std::uint8_t> buffer;
  std::uint8_t endpoint = 0;
  int done = 0;
};

void LIBUSB_CALL on_complete(libusb_transfer* transfer) {
  static_cast<Queued*>(transfer->user_data)->done = 1;
}

class LibusbDevice : public UsbDevice {
 public:
  LibusbDevice(Context context, libusb_device_handle* handle, int interface_number,
               std::uint16_t product, std::string description)
      : context_(std::move(context)),
        handle_(handle),
        interface_(interface_number),
        product_(product),
        description_(std::move(description)) {}
  ~LibusbDevice() override {
    cancel_queued();
    libusb_release_interface(handle_, interface_);
    libusb_close(handle_);
  }

  void bulk_out(std::uint8_t endpoint, std::span<const std::uint8_t> data,
                Milliseconds timeout) override {
    std::size_t sent = 0;
    while (sent < data.size()) {
      int n = 0;
      check(libusb_bulk_transfer(handle_, endpoint, const_cast<unsigned char*>(data.data() + sent),
                                 static_cast<int>(data.size() - sent), &n,
                                 static_cast<unsigned>(timeout.count())),
            "bulk-OUT");
      sent += static_cast<std::size_t>(n);
    }
  }

  std::vector<std::uint8_t> bulk_in(std::uint8_t endpoint, std::size_t max_bytes,
                                    Milliseconds timeout) override {
    // Whole 512-byte packets (high speed), so a device's full last packet is no overflow.
    std::vector<std::uint8_t> data((max_bytes + 511) / 512 * 512);
    int n = 0;
    check(libusb_bulk_transfer(handle_, endpoint, data.data(), static_cast<int>(data.size()), &n,
                               static_cast<unsigned>(timeout.count())),
          "bulk-IN");
    data.resize(std::min(static_cast<std::size_t>(n), max_bytes));
    return data;
  }

  void submit_out(std::uint8_t endpoint, std::vector<std::uint8_t> data) override {
    submit(endpoint, std::move(data));
  }
  void submit_in(std::uint8_t endpoint, std::size_t bytes) override {
    submit(endpoint, std::vector<std::uint8_t>(bytes));
  }

  CompletedTransfer wait_completed(Milliseconds timeout) override {
    if (queue_.empty()) throw UsbError(description_ + ": no transfer is queued");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto it = std::find_if(queue_.begin(), queue_.end(),
                                   [](const std::unique_ptr<Queued>& q) { return q->done; });
      if (it != queue_.end()) {
        std::unique_ptr<Queued> q = std::move(*it);
        queue_.erase(it);
        const libusb_transfer_status status = q->transfer->status;
        const int length = q->transfer->actual_length;
        libusb_free_transfer(q->transfer);
        if (status == LIBUSB_TRANSFER_NO_DEVICE)
          throw UsbError(description_ + ": the device was unplugged");
        if (status != LIBUSB_TRANSFER_COMPLETED)
          throw UsbError(description_ + ": a queued transfer failed (libusb status " +
                         std::to_string(static_cast<int>(status)) + ")");
        CompletedTransfer out;
        out.endpoint = q->endpoint;
        if (q->endpoint & LIBUSB_ENDPOINT_IN) {
          q->buffer.resize(static_cast<std::size_t>(length));
          out.data = std::move(q->buffer);
        }
        return out;
      }
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= Milliseconds(0))
        throw UsbTimeout(description_ + ": no queued transfer completed within " +
                         std::to_string(timeout.count()) + " ms");
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
      timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
      check(libusb_handle_events_timeout_completed(context_.get(), &tv, nullptr), "events");
    }
  }

  std::size_t queued() const override { return queue_.size(); }

  void cancel_queued() override {
    for (auto& q : queue_)
      if (!q->done) libusb_cancel_transfer(q->transfer);
    for (auto& q : queue_) {
      while (!q->done) {
        timeval tv{0, 100000};
        if (libusb_handle_events_timeout_completed(context_.get(), &tv, &q->done) < 0) break;
      }
      libusb_free_transfer(q->transfer);
    }
    queue_.clear();
  }

  std::uint16_t product_id() const override { return product_; }
  std::string describe() const override { return description_; }

 private:
  void submit(std::uint8_t endpoint, std::vector<std::uint8_t> buffer) {
    auto q = std::make_unique<Queued>();
    q->buffer = std::move(buffer);
    q->endpoint = endpoint;
    q->transfer = libusb_alloc_transfer(0);
    if (!q->transfer) throw UsbError(description_ + ": out of memory for a USB transfer");
    libusb_fill_bulk_transfer(q->transfer, handle_, endpoint, q->buffer.data(),
                              static_cast<int>(q->buffer.size()), on_complete, q.get(), 0);
    if (const int rc = libusb_submit_transfer(q->transfer); rc != 0) {
      libusb_free_transfer(q->transfer);
      check(rc, "queueing a transfer");
    }
    queue_.push_back(std::move(q));
  }

  void check(int rc, const char* what) const {
    if (rc >= 0) return;
    if (rc == LIBUSB_ERROR_TIMEOUT) throw UsbTimeout(description_ + ": " + what + " timed out");
    if (rc == LIBUSB_ERROR_NO_DEVICE) throw UsbError(description_ + ": the device was unplugged");
    throw UsbError(description_ + ": " + what + " failed: " + libusb_strerror(rc));
  }

  Context context_;
  libusb_device_handle* handle_;
  int interface_;
  std::uint16_t product_;
  std::string description_;
  std::deque<std::unique_ptr<Queued>> queue_;
};

}  // namespace libusb_detail

using namespace libusb_detail;

std::vector<UsbDeviceInfo> list_usb_devices(std::uint16_t vendor_id,
                                            const std::vector<std::uint16_t>& product_ids,
                                            const std::string& udev_hint) {
  Context ctx = start_libusb();
  libusb_device** list = nullptr;
  const ssize_t count = libusb_get_device_list(ctx.get(), &list);
  std::vector<UsbDeviceInfo> out;
  for (ssize_t i = 0; i < count; ++i) {
    libusb_device_descriptor d{};
    if (libusb_get_device_descriptor(list[i], &d) != 0 || !wanted(d, vendor_id, product_ids))
      continue;
    UsbDeviceInfo info;
    info.vendor_id = d.idVendor;
    info.product_id = d.idProduct;
    info.bus = libusb_get_bus_number(list[i]);
    info.address = libusb_get_device_address(list[i]);
    libusb_device_handle* handle = nullptr;
    if (const int rc = libusb_open(list[i], &handle); rc != 0) {
      info.problem = rc == LIBUSB_ERROR_ACCESS ? udev_hint : libusb_strerror(rc);
    } else {
      info.serial = string_descriptor(handle, d.iSerialNumber);
      info.product = string_descriptor(handle, d.iProduct);
      libusb_close(handle);
    }
    out.push_back(info);
  }
  if (list) libusb_free_device_list(list, 1);
  return out;
}

std::unique_ptr<UsbDevice> open_usb_device(std::uint16_t vendor_id,
                                           const std::vector<std::uint16_t>& product_ids,
                                           const std::string& serial, int interface_number,
                                           const std::string& udev_hint) {
  Context ctx = start_libusb();
  libusb_device** list = nullptr;
  const ssize_t count = libusb_get_device_list(ctx.get(), &list);
  std::string problem = "none attached";
  libusb_device_handle* chosen = nullptr;
  std::string name;
  std::uint16_t product = 0;
  for (ssize_t i = 0; i < count && !chosen; ++i) {
    libusb_device_descriptor d{};
    if (libusb_get_device_descriptor(list[i], &d) != 0 || !wanted(d, vendor_id, product_ids))
      continue;
    libusb_device_handle* handle = nullptr;
    if (const int rc = libusb_open(list[i], &handle); rc != 0) {
      problem = rc == LIBUSB_ERROR_ACCESS ? udev_hint : libusb_strerror(rc);
      continue;
    }
    const std::string its_serial = string_descriptor(handle, d.iSerialNumber);
    if (!serial.empty() && its_serial != serial) {
      problem = "attached, but none with serial " + serial;
      libusb_close(handle);
      continue;
    }
    libusb_set_auto_detach_kernel_driver(handle, 1);
    if (const int rc = libusb_claim_interface(handle, interface_number); rc != 0) {
      problem = std::string("cannot claim its interface (another program holds it?): ") +
                libusb_strerror(rc);
      libusb_close(handle);
      continue;
    }
    char ids[16];
    std::snprintf(ids, sizeof ids, "%04x:%04x", d.idVendor, d.idProduct);
    name = std::string("USB ") + ids + " serial " + its_serial;
    product = d.idProduct;
    chosen = handle;
  }
  if (list) libusb_free_device_list(list, 1);
  if (!chosen) throw UsbError(problem);
  return std::make_unique<LibusbDevice>(std::move(ctx), chosen, interface_number, product, name);
}

}  // namespace ampbench::usb
