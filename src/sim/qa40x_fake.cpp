#include "sim/qa40x_fake.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ampbench::sim {
namespace {

using namespace audio::qa40x;

class Cable : public AnalogPath {
 public:
  explicit Cable(double gain) : gain_(gain) {}
  void start() override {}
  void process(std::array<std::vector<double>, 2>& volts) override {
    for (auto& channel : volts)
      for (double& v : channel) v *= gain_;
  }

 private:
  double gain_;
};

class SharedFake : public usb::UsbDevice {
 public:
  explicit SharedFake(std::shared_ptr<Qa40xFake> fake) : fake_(std::move(fake)) {}
  void bulk_out(std::uint8_t ep, std::span<const std::uint8_t> data, usb::Milliseconds t) override {
    fake_->bulk_out(ep, data, t);
  }
  std::vector<std::uint8_t> bulk_in(std::uint8_t ep, std::size_t n, usb::Milliseconds t) override {
    return fake_->bulk_in(ep, n, t);
  }
  void submit_out(std::uint8_t ep, std::vector<std::uint8_t> data) override {
    fake_->submit_out(ep, std::move(data));
  }
  void submit_in(std::uint8_t ep, std::size_t n) override { fake_->submit_in(ep, n); }
  usb::CompletedTransfer wait_completed(usb::Milliseconds t) override {
    return fake_->wait_completed(t);
  }
  std::size_t queued() const override { return fake_->queued(); }
  void cancel_queued() override { fake_->cancel_queued(); }
  std::uint16_t product_id() const override { return fake_->product_id(); }
  std::string describe() const override { return fake_->describe(); }

 private:
  std::shared_ptr<Qa40xFake> fake_;
};

// A uniform draw in [-1, 1) from a seed and an index (splitmix64).
double spread(std::uint64_t seed, std::uint64_t index) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + index * 0xBF58476D1CE4E5B9ull + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ull << 52) - 1.0;
}

}  // namespace

std::unique_ptr<AnalogPath> qa40x_cable(double gain) {
  return std::make_unique<Cable>(gain);
}

ConverterCalibration Qa40xChainPath::converters(double attenuator_gain_db) {
  ConverterCalibration c;
  c.output_vrms_at_0dbfs = c.input_vrms_at_0dbfs = kFullScaleVolts / std::numbers::sqrt2;
  c.attenuator_gain_db = attenuator_gain_db;
  return c;
}

void Qa40xChainPath::process(std::array<std::vector<double>, 2>& volts) {
  for (auto& channel : volts)
    for (double& v : channel) v /= kFullScaleVolts;
  const std::size_t n = volts[0].size();
  const std::size_t channels = static_cast<std::size_t>(chain_.channel_count());
  out_.resize(channels);
  for (auto& channel : out_) channel.assign(n, 0.0);
  std::vector<const double*> in(channels);
  std::vector<double*> out(channels);
  for (std::size_t k = 0; k < channels; ++k) {
    in[k] = volts[static_cast<std::size_t>(outputs_[k] - 1)].data();
    out[k] = out_[k].data();
  }
  chain_.process(in, out, n);
  for (auto& channel : volts) std::fill(channel.begin(), channel.end(), 0.0);
  for (std::size_t k = 0; k < channels; ++k) {
    auto& captured = volts[static_cast<std::size_t>(inputs_[k] - 1)];
    for (std::size_t i = 0; i < n; ++i) captured[i] += out_[k][i] * kFullScaleVolts;
  }
}

CalibrationPage typical_qa40x_trims(std::uint64_t seed) {
  CalibrationPage trims;
  std::uint64_t i = 0;
  for (std::size_t r = 0; r < trims.input.size(); ++r) {
    const double left =
        8.75 + 0.02 * static_cast<double>(r) - (r >= 4 ? 0.17 : 0.0) + 0.03 * spread(seed, i++);
    trims.input[r] = {left, left + 0.02 * spread(seed, i++)};
  }
  for (auto& output : trims.output) {
    const double left = -0.3 + 0.09 * spread(seed, i++);
    output = {left, left - 0.055 + 0.02 * spread(seed, i++)};
  }
  return trims;
}

Qa40xFake::Qa40xFake(Qa40xFakeConfig config, std::unique_ptr<AnalogPath> path,
                     std::shared_ptr<FakeClock> clock)
    : config_(config),
      path_(std::move(path)),
      clock_(std::move(clock)),
      page_(build_calibration_page(config.trims)),
      noise_{
          NoiseSource(std::pow(10.0, config.noise_dbfs / 20.0) / std::numbers::sqrt2, config.seed),
          NoiseSource(std::pow(10.0, config.noise_dbfs / 20.0) / std::numbers::sqrt2,
                      config.seed + 1)} {}

std::uint16_t Qa40xFake::product_id() const {
  return config_.qa403 ? kQa403ProductId : kQa402ProductId;
}

std::string Qa40xFake::describe() const {
  return std::string("simulated ") + (config_.qa403 ? "QA403" : "QA402") + " serial " +
         std::to_string(config_.serial);
}

double Qa40xFake::sample_rate_hz() const {
  return 48000.0 * std::pow(2.0, rate_code_);
}

void Qa40xFake::check_plugged_in() const {
  if (blocks_to_unplug_ == 0) throw usb::UsbError(describe() + ": the device was unplugged");
}

void Qa40xFake::bulk_out(std::uint8_t endpoint, std::span<const std::uint8_t> data,
                         usb::Milliseconds) {
  check_plugged_in();
  if (endpoint != kRegisterOut || data.size() != 5)
    throw usb::UsbError(describe() + ": a control write of " + std::to_string(data.size()) +
                        " bytes to endpoint " + std::to_string(endpoint));
  std::array<std::uint8_t, 5> frame{};
  std::copy(data.begin(), data.end(), frame.begin());
  frames_.push_back(frame);
  const std::uint32_t value = register_reply_value(data.subspan(1));  // big-endian, as a reply
  if (data[0] & kReadFlag)
    replies_.push_back(register_value(static_cast<std::uint8_t>(data[0] & ~kReadFlag)));
  else
    write_register(data[0], value);
}

std::vector<std::uint8_t> Qa40xFake::bulk_in(std::uint8_t endpoint, std::size_t max_bytes,
                                             usb::Milliseconds) {
  check_plugged_in();
  if (endpoint != kRegisterIn || replies_.empty())
    throw usb::UsbTimeout(describe() + ": nothing to read on endpoint " + std::to_string(endpoint));
  const std::uint32_t v = replies_.front();
  replies_.pop_front();
  std::vector<std::uint8_t> reply{static_cast<std::uint8_t>(v >> 24),
                                  static_cast<std::uint8_t>(v >> 16),
                                  static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  reply.resize(std::min(reply.size(), max_bytes));
  return reply;
}

void Qa40xFake::write_register(std::uint8_t address, std::uint32_t value) {
  const double now = clock_->now_s();
  switch (address) {
    case kLink:
      link_ = value;
      break;
    case kInputRange: {
      const int range = static_cast<int>(std::min<std::uint32_t>(value, 7));
      if (range == input_range_) break;
      const bool crossing =
          input_range_ < 0 ||
          (kInputRangesDbv[static_cast<std::size_t>(range)] >= kAttenuatorFromDbv) !=
              (kInputRangesDbv[static_cast<std::size_t>(input_range_)] >= kAttenuatorFromDbv);
      input_settled_at_s_ = now + (crossing ? kAttenuatorSettleS : kInputRelaySettleS);
      input_range_ = range;
      break;
    }
    case kOutputRange: {
      const int range = static_cast<int>(std::min<std::uint32_t>(value, 3));
      if (range != output_range_) output_settled_at_s_ = now + kOutputRelaySettleS;
      output_range_ = range;
      break;
    }
    case kStreamControl:
      if (value == kStreamStart && !streaming_) {
        streaming_ = true;
        ++streams_;
        in_flight_relay_ = now < std::max(input_settled_at_s_, output_settled_at_s_) ||
                           input_range_ < 0 || output_range_ < 0;
        if (in_flight_relay_) ++early_streams_;
        path_->start();
        for (auto& d : delay_) d.assign(static_cast<std::size_t>(config_.latency_frames), 0.0);
        delay_at_ = {0, 0};
        for (auto& w : dac_words_) w.clear();
        for (auto& w : adc_sent_) w.clear();
      } else if (value == kStreamStop) {
        streaming_ = false;
        blocks_to_stall_ = -1;
        for (auto& a : adc_words_) a.clear();
      }
      break;
    case kSampleRate:
      rate_code_ = std::min<std::uint32_t>(value, config_.qa403 ? 3 : 2);
      break;
    case kPageSelect:
      page_word_ = 0;
      break;
    default:
      break;
  }
}

std::uint32_t Qa40xFake::register_value(std::uint8_t address) {
  switch (address) {
    case kLink:
      return link_;
    case kFirmware:
      return config_.firmware;
    case kSerial:
      return config_.serial;
    case kUsbMillivolts:
      return 5020;
    case kUsbMilliamps:
      return streaming_ ? 460 : 380;
    case kIsolatedMilliamps:
      return 150;
    case kDeciCelsius:
      return 352;
    case kPageData: {
      std::uint32_t v = 0;
      const std::size_t at = 4 * (page_word_++ % (kPageBytes / 4));
      for (int b = 3; b >= 0; --b) v = v << 8 | page_[at + static_cast<std::size_t>(b)];
      return v;
    }
    default:
      return 0;
  }
}

void Qa40xFake::submit_out(std::uint8_t endpoint, std::vector<std::uint8_t> data) {
  if (endpoint != kStreamOut) throw usb::UsbError(describe() + ": no queue on that endpoint");
  queue_.push_back({endpoint, std::move(data), 0});
}

void Qa40xFake::submit_in(std::uint8_t endpoint, std::size_t bytes) {
  if (endpoint != kStreamIn) throw usb::UsbError(describe() + ": no queue on that endpoint");
  queue_.push_back({endpoint, {}, bytes});
  const auto ins = std::count_if(queue_.begin(), queue_.end(),
                                 [](const Queued& q) { return q.endpoint == kStreamIn; });
  most_in_flight_ = std::max(most_in_flight_, static_cast<int>(ins));
}

void Qa40xFake::play_block(const std::vector<std::uint8_t>& bytes) {
  if (!streaming_) throw usb::UsbError(describe() + ": stream data while the stream is stopped");
  const std::size_t frames = bytes.size() / kFrameBytes;
  std::array<std::vector<double>, 2> volts{std::vector<double>(frames),
                                           std::vector<double>(frames)};
  decode_frames(bytes, volts[0], volts[1]);
  const double contact = in_flight_relay_ ? 0.5 : 1.0;
  for (int c = 0; c < 2; ++c) {
    auto& v = volts[static_cast<std::size_t>(c)];
    dac_words_[static_cast<std::size_t>(c)].insert(dac_words_[static_cast<std::size_t>(c)].end(),
                                                   v.begin(), v.end());
    const double peak_volts =
        std::numbers::sqrt2 *
        output_full_scale_vrms(
            kOutputRangesDbv[static_cast<std::size_t>(output_range_)],
            config_.trims.output[static_cast<std::size_t>(output_range_)].of(c + 1));
    for (double& x : v) x *= peak_volts * contact;
  }
  path_->process(volts);
  const double a3 = 4.0 * std::pow(10.0, config_.h3_dbc / 20.0);
  for (std::size_t c = 0; c < 2; ++c) {
    const double volts_per_word =
        std::numbers::sqrt2 *
        input_full_scale_vrms(kInputRangesDbv[static_cast<std::size_t>(input_range_)],
                              config_.trims.input[static_cast<std::size_t>(input_range_)].of(
                                  static_cast<int>(c) + 1));
    auto& line = delay_[c];
    for (double u : volts[c]) {
      double x = u / volts_per_word;
      if (!line.empty()) {
        std::swap(x, line[delay_at_[c]]);
        delay_at_[c] = (delay_at_[c] + 1) % line.size();
      }
      const double word = x - a3 * x * x * x + noise_[c].next();
      adc_words_[c].push_back(std::clamp(word, -1.0, 1.0));
      adc_sent_[c].push_back(adc_words_[c].back());
    }
  }
  clock_->advance(static_cast<double>(frames) / sample_rate_hz());
}

usb::CompletedTransfer Qa40xFake::wait_completed(usb::Milliseconds timeout) {
  check_plugged_in();
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->endpoint == kStreamOut) {
      Queued q = std::move(*it);
      queue_.erase(it);
      if (blocks_to_unplug_ > 0) --blocks_to_unplug_;
      if (blocks_to_stall_ == 0) return {kStreamOut, {}};  // taken, and nothing comes back
      if (blocks_to_stall_ > 0) --blocks_to_stall_;
      play_block(q.data);
      return {kStreamOut, {}};
    }
    const std::size_t frames = it->bytes / kFrameBytes;
    if (adc_words_[0].size() >= frames) {
      std::vector<double> left(adc_words_[0].begin(), adc_words_[0].begin() + frames);
      std::vector<double> right(adc_words_[1].begin(), adc_words_[1].begin() + frames);
      for (auto& a : adc_words_) a.erase(a.begin(), a.begin() + static_cast<long>(frames));
      std::vector<std::uint8_t> bytes(frames * kFrameBytes);
      encode_frames(left, right, bytes);
      queue_.erase(it);
      return {kStreamIn, std::move(bytes)};
    }
  }
  clock_->advance(static_cast<double>(timeout.count()) / 1000.0);
  throw usb::UsbTimeout(describe() + ": no queued transfer completed (the stream has no data)");
}

void Qa40xFake::cancel_queued() {
  queue_.clear();
}

std::unique_ptr<usb::UsbDevice> attach_qa40x_fake(std::shared_ptr<Qa40xFake> fake) {
  return std::make_unique<SharedFake>(std::move(fake));
}

}  // namespace ampbench::sim
