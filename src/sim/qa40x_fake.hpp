// sim: a QA402/QA403 in this process at the USB transfer level (a usb::UsbDevice), so tests
// and CI run the qa40x backend's own code with no unit on the bus: its register bus, a
// CRC-valid calibration page whose trims are the fake converters' true gains, range relays
// that settle on a fake clock (a stream started before they have is counted, and plays at
// half level, as a contact in flight would), and a stream whose DAC words become volts,
// pass through an analog path — a cable, or a simulated DUT — and come back as ADC words
// after the converters' latency, with the ADC's own noise and third-order distortion.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "audio/qa40x_port.hpp"
#include "audio/qa40x_protocol.hpp"
#include "sim/chain.hpp"
#include "sim/stages.hpp"
#include "usb/usb_device.hpp"

namespace ampbench::sim {

// Time that passes only when waited on, or as the fake streams.
class FakeClock : public audio::Qa40xClock {
 public:
  double now_s() const override { return now_s_; }
  void sleep_until(double t_s) override { now_s_ = std::max(now_s_, t_s); }
  void advance(double seconds) { now_s_ += seconds; }
  bool real_time() const override { return false; }

 private:
  double now_s_ = 0.0;
};

// Between the fake's outputs and its inputs: instantaneous volts by interface channel
// (0: left, 1: right), a block at a time, in place.
class AnalogPath {
 public:
  virtual ~AnalogPath() = default;
  virtual void start() = 0;  // a stream begins: filters and delays cleared
  virtual void process(std::array<std::vector<double>, 2>& volts) = 0;
};
// Each output wired to its own input, `gain` volts per volt.
std::unique_ptr<AnalogPath> qa40x_cable(double gain = 1.0);
// A simulated DUT: chain channel k driven from interface output outputs[k], captured on
// interface input inputs[k]. The chain's own converters must be `converters()`: they pass
// volts, scaled to a full scale no DUT reaches (the fake's converters clip, not the chain's).
class Qa40xChainPath : public AnalogPath {
 public:
  static constexpr double kFullScaleVolts = 1000.0;
  static ConverterCalibration converters(double attenuator_gain_db);
  Qa40xChainPath(SimChain chain, std::vector<int> outputs, std::vector<int> inputs)
      : chain_(std::move(chain)), outputs_(std::move(outputs)), inputs_(std::move(inputs)) {}
  void start() override { chain_.reset(); }
  void process(std::array<std::vector<double>, 2>& volts) override;
  SimChain& chain() { return chain_; }

 private:
  SimChain chain_;
  std::vector<int> outputs_, inputs_;
  std::vector<std::vector<double>> out_;
};

struct Qa40xFakeConfig {
  bool qa403 = true;
  std::uint32_t serial = 40300017;
  std::uint32_t firmware = 60;
  audio::qa40x::CalibrationPage trims;  // typical_qa40x_trims() unless set
  int latency_frames = 61;              // the converters' round trip
  double noise_dbfs = -130.0;           // the ADC's white noise, rms re a full-scale sine
  double h3_dbc = -120.0;               // the ADC's third harmonic at full scale
  std::uint64_t seed = 1;
};
// Trims like a real unit's: the input's about +8.75 dB, the output's about −0.3 dB, a few
// hundredths of a dB apart from range to range and channel to channel.
audio::qa40x::CalibrationPage typical_qa40x_trims(std::uint64_t seed);

class Qa40xFake : public usb::UsbDevice {
 public:
  Qa40xFake(Qa40xFakeConfig config, std::unique_ptr<AnalogPath> path,
            std::shared_ptr<FakeClock> clock);

  void bulk_out(std::uint8_t endpoint, std::span<const std::uint8_t> data,
                usb::Milliseconds timeout) override;
  std::vector<std::uint8_t> bulk_in(std::uint8_t endpoint, std::size_t max_bytes,
                                    usb::Milliseconds timeout) override;
  void submit_out(std::uint8_t endpoint, std::vector<std::uint8_t> data) override;
  void submit_in(std::uint8_t endpoint, std::size_t bytes) override;
  usb::CompletedTransfer wait_completed(usb::Milliseconds timeout) override;
  std::size_t queued() const override { return queue_.size(); }
  void cancel_queued() override;
  std::uint16_t product_id() const override;
  std::string describe() const override;

  // What it has seen.
  const std::vector<std::array<std::uint8_t, 5>>& register_frames() const { return frames_; }
  int streams_started() const { return streams_; }
  int streams_before_settled() const { return early_streams_; }
  // The DAC words of the last stream, by interface channel, as the device decoded them.
  const std::array<std::vector<double>, 2>& last_dac_words() const { return dac_words_; }
  // And the ADC words it sent back.
  const std::array<std::vector<double>, 2>& last_adc_words() const { return adc_sent_; }
  int most_in_flight() const { return most_in_flight_; }
  // Replace the page it serves (a damaged one, for tests); its converters keep their trims.
  void serve_page(std::vector<std::uint8_t> page) { page_ = std::move(page); }
  // The USB cable pulled after this many more stream blocks: every transfer then fails, as
  // libusb's do for a device gone.
  void unplug_after_blocks(int blocks) { blocks_to_unplug_ = blocks; }
  // The ADC stops sending after this many more blocks, until the stream is stopped.
  void stall_after_blocks(int blocks) { blocks_to_stall_ = blocks; }
  bool streaming() const { return streaming_; }

 private:
  struct Queued {
    std::uint8_t endpoint = 0;
    std::vector<std::uint8_t> data;  // OUT: the block; IN: unused
    std::size_t bytes = 0;           // IN: asked for
  };
  void write_register(std::uint8_t address, std::uint32_t value);
  std::uint32_t register_value(std::uint8_t address);
  void play_block(const std::vector<std::uint8_t>& bytes);
  double sample_rate_hz() const;

  Qa40xFakeConfig config_;
  std::unique_ptr<AnalogPath> path_;
  std::shared_ptr<FakeClock> clock_;
  std::vector<std::uint8_t> page_;
  std::vector<std::array<std::uint8_t, 5>> frames_;
  std::deque<std::uint32_t> replies_;
  std::uint32_t link_ = 0;
  std::size_t page_word_ = 0;
  int input_range_ = -1, output_range_ = -1;  // -1: not set since power-up
  std::uint32_t rate_code_ = 0;
  double input_settled_at_s_ = 0.0, output_settled_at_s_ = 0.0;
  bool streaming_ = false;
  bool in_flight_relay_ = false;  // this stream began before the relays settled
  int streams_ = 0, early_streams_ = 0, most_in_flight_ = 0;
  int blocks_to_unplug_ = -1;  // -1: plugged in for good
  int blocks_to_stall_ = -1;   // -1: no stall
  void check_plugged_in() const;
  std::deque<Queued> queue_;
  std::array<std::deque<double>, 2> adc_words_;  // captured, not yet read
  std::array<std::vector<double>, 2> delay_;     // the last latency_frames words, a ring
  std::array<std::size_t, 2> delay_at_{};
  std::array<std::vector<double>, 2> dac_words_, adc_sent_;
  std::array<NoiseSource, 2> noise_;
};

// The fake behind a UsbDevice the port can own while the test keeps the fake.
std::unique_ptr<usb::UsbDevice> attach_qa40x_fake(std::shared_ptr<Qa40xFake> fake);

}  // namespace ampbench::sim
