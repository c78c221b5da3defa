// audio: the `qa40x` AudioPort — a QuantAsylum QA402/QA403 driven over its own USB protocol
// (qa40x_protocol.hpp) through a usb::UsbDevice: libusb for a unit on the bus, or the
// in-process fake of sim/qa40x_fake.hpp. On opening, the unit's calibration page is read
// and CRC-checked and its trims applied per channel and range; the sample rate and input
// range are set once, the output range per transfer as the smallest that holds the
// stimulus (never above the one the station's max_output_vrms chose). A relay's write sets a
// deadline the next stream waits out on the port's clock; a stream keeps several blocks in
// flight each way.
//
// Units: the rest of ampbench sees one fixed nominal calibration (the station's ranges'
// names, nominal_full_scale_vrms); the port turns it into each range's and channel's true
// full scale as samples cross the wire.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audio/audio_port.hpp"
#include "audio/lag_tracker.hpp"
#include "audio/qa40x_protocol.hpp"
#include "usb/usb_device.hpp"

namespace ampbench::audio {

// The time the port waits on: steady time on hardware, a fake one in simulation.
class Qa40xClock {
 public:
  virtual ~Qa40xClock() = default;
  virtual double now_s() const = 0;
  virtual void sleep_until(double t_s) = 0;
  // Whether its time is the wall's (a unit on the bus) or advanced by a fake as it streams.
  virtual bool real_time() const { return true; }
};
std::shared_ptr<Qa40xClock> steady_qa40x_clock();

// What a unit says of itself (`ampbench devices`).
struct Qa40xIdentity {
  std::string model;  // QA402 or QA403
  std::uint32_t serial = 0;
  std::uint32_t firmware = 0;
  double usb_volts = 0.0;
  double usb_amps = 0.0;
  double isolated_amps = 0.0;
  double temperature_c = 0.0;
};

// "QA403 serial 40312345, firmware 60; USB 5.02 V 0.38 A, isolated side 0.15 A, 35.2 °C".
std::string describe_qa40x(const Qa40xIdentity& identity);

// The register bus over the unit's first endpoint pair.
class Qa40xRegisters {
 public:
  explicit Qa40xRegisters(usb::UsbDevice& device) : device_(device) {}
  void write(std::uint8_t address, std::uint32_t value);
  std::uint32_t read(std::uint8_t address);
  // Page 0, CRC- and layout-checked (throws MeasurementError saying what is wrong).
  qa40x::CalibrationPage read_calibration_page();
  Qa40xIdentity identity(bool qa403);

 private:
  usb::UsbDevice& device_;
};

struct Qa40xSettings {
  double sample_rate_hz = 48000.0;
  bool qa403 = true;
  // Interface channels (1: left, 2: right) in port order; a loopback reference last.
  std::vector<int> outputs{1, 2};
  std::vector<int> inputs{1, 2};
  int output_range_dbv = 18;  // the highest the outputs may use
  int input_range_dbv = 42;
  double max_latency_s = 0.5;
};

class Qa40xPort : public AudioPort {
 public:
  Qa40xPort(SafetyLimits safety, const Qa40xSettings& settings,
            std::unique_ptr<usb::UsbDevice> device, std::shared_ptr<Qa40xClock> clock);
  ~Qa40xPort() override;

  double sample_rate_hz() const override { return settings_.sample_rate_hz; }
  int output_count() const override { return static_cast<int>(settings_.outputs.size()); }
  int input_count() const override { return static_cast<int>(settings_.inputs.size()); }
  std::string describe() const override;
  bool latency_known() const override { return lag_.known(); }
  bool plays_in_real_time() const override { return clock_->real_time(); }

  const Qa40xIdentity& identity() const { return identity_; }
  const qa40x::CalibrationPage& factory_trims() const { return trims_; }
  int output_range_dbv() const { return qa40x::kOutputRangesDbv[output_range_]; }
  std::uint64_t relay_switches() const { return relay_switches_; }

  // The output range for a stimulus with this peak (nominal full-scale units) on each port
  // output: the smallest that holds it, the present one while it holds it and is at most a
  // range above that (relays do not chatter). Throws SafetyError when none may.
  std::size_t output_range_for(const std::vector<double>& peak_fs) const;

 protected:
  Capture transfer(const AudioBuffer& stimulus, double clip_threshold_fs) override;
  void idle(double seconds) override;

 private:
  void set_output_range(std::size_t range);
  // Drops what is in flight and stops the unit streaming.
  void stop_stream();
  double output_words_per_fs(int interface_channel) const;
  double input_fs_per_word(int interface_channel) const;

  Qa40xSettings settings_;
  std::unique_ptr<usb::UsbDevice> device_;
  std::shared_ptr<Qa40xClock> clock_;
  Qa40xRegisters registers_;
  Qa40xIdentity identity_;
  qa40x::CalibrationPage trims_;
  std::size_t output_range_ = 0;
  std::size_t most_output_range_ = 0;
  std::size_t input_range_ = 0;
  double settled_at_s_ = 0.0;  // the latest relay's deadline
  std::uint64_t relay_switches_ = 0;
  LagTracker lag_;
};

// Each QA40x on the bus, as `ampbench devices` lists it: what it says of itself, or why it
// could not be asked (permissions, another program holding it). Throws usb::UsbError when
// this build has no USB.
struct Qa40xListing {
  usb::UsbDeviceInfo usb;
  std::optional<Qa40xIdentity> identity;
  std::string problem;
};
std::vector<Qa40xListing> list_qa40x_units();

// Opens the unit a station's `device` names ("any" or "serial:NNN") on the bus.
std::unique_ptr<usb::UsbDevice> open_qa40x_device(const std::string& device);
inline constexpr const char* kQa40xUdevHint =
    "no permission to open it: install packaging/udev/99-ampbench-qa40x.rules (see "
    "docs/qa40x.md) and replug the analyzer";

}  // namespace ampbench::audio
