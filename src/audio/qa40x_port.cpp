#include "audio/qa40x_port.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <thread>

#include "dsp/units.hpp"

namespace ampbench::audio {
namespace {

using namespace qa40x;

constexpr usb::Milliseconds kRegisterTimeout{1000};
constexpr std::uint32_t kLinkPattern = 0x5AA5C33C;
constexpr std::size_t kBlocksInFlight = 4;
// Words above this are the converter's own full scale, whatever the station allows.
constexpr double kMostWord = 0.999;
// An output range below the top allowed one is chosen with the samples' peak this far below
// its full scale: the DAC's reconstruction peaks between samples, up to about 0.5 dB above
// them near Nyquist. The top range takes what the station allows.
constexpr double kRangeHeadroom = 0.9;
// Silence streamed before the stimulus and dropped: the converters' start.
constexpr double kLeadS = 0.005;

class SteadyClock : public Qa40xClock {
 public:
  double now_s() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void sleep_until(double t_s) override {
    const double wait = t_s - now_s();
    if (wait > 0.0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
  }
};

std::size_t range_index_of(int range_dbv, std::span<const int> ranges, const char* side) {
  const auto it = std::find(ranges.begin(), ranges.end(), range_dbv);
  if (it == ranges.end())
    throw UsageError(std::string("the QA40x has no ") + side + " range of " +
                     std::to_string(range_dbv) + " dBV");
  return static_cast<std::size_t>(it - ranges.begin());
}

}  // namespace

std::shared_ptr<Qa40xClock> steady_qa40x_clock() {
  return std::make_shared<SteadyClock>();
}

void Qa40xRegisters::write(std::uint8_t address, std::uint32_t value) {
  const auto frame = register_write_frame(address, value);
  device_.bulk_out(kRegisterOut, frame, kRegisterTimeout);
}

std::uint32_t Qa40xRegisters::read(std::uint8_t address) {
  const auto frame = register_read_frame(address);
  device_.bulk_out(kRegisterOut, frame, kRegisterTimeout);
  return register_reply_value(device_.bulk_in(kRegisterIn, 4, kRegisterTimeout));
}

CalibrationPage Qa40xRegisters::read_calibration_page() {
  write(kPageSelect, kCalibrationPageSelect);
  std::vector<std::uint32_t> values(kPageBytes / 4);
  for (auto& v : values) v = read(kPageData);
  return parse_calibration_page(page_from_register_values(values));
}

Qa40xIdentity Qa40xRegisters::identity(bool qa403) {
  Qa40xIdentity id;
  id.model = qa403 ? "QA403" : "QA402";
  id.firmware = read(kFirmware);
  id.serial = read(kSerial);
  id.usb_volts = read(kUsbMillivolts) / 1000.0;
  id.usb_amps = read(kUsbMilliamps) / 1000.0;
  id.isolated_amps = read(kIsolatedMilliamps) / 1000.0;
  id.temperature_c = static_cast<std::int32_t>(read(kDeciCelsius)) / 10.0;
  return id;
}

Qa40xPort::Qa40xPort(SafetyLimits safety, const Qa40xSettings& settings,
                     std::unique_ptr<usb::UsbDevice> device, std::shared_ptr<Qa40xClock> clock)
    : AudioPort(safety, {nominal_full_scale_vrms(settings.output_range_dbv),
                         nominal_full_scale_vrms(settings.input_range_dbv)}),
      settings_(settings),
      device_(std::move(device)),
      clock_(std::move(clock)),
      registers_(*device_) {
  most_output_range_ = range_index_of(settings.output_range_dbv, kOutputRangesDbv, "output");
  input_range_ = range_index_of(settings.input_range_dbv, kInputRangesDbv, "input");
  for (int c : settings.outputs)
    if (c != 1 && c != 2) throw UsageError("the QA40x has outputs 1 and 2 only");
  for (int c : settings.inputs)
    if (c != 1 && c != 2) throw UsageError("the QA40x has inputs 1 and 2 only");
  const std::uint32_t rate_code = sample_rate_code(settings.sample_rate_hz, settings.qa403);

  registers_.write(kLink, kLinkPattern);
  if (const std::uint32_t echo = registers_.read(kLink); echo != kLinkPattern) {
    char text[64];
    std::snprintf(text, sizeof text, "0x%08X came back for 0x%08X", echo, kLinkPattern);
    throw MeasurementError(device_->describe() + ": the QA40x's link test failed: " + text);
  }
  registers_.write(kStreamControl, kStreamStop);
  identity_ = registers_.identity(settings.qa403);
  trims_ = registers_.read_calibration_page();
  registers_.write(kSampleRate, rate_code);
  // Whatever the relays were, the input may cross its attenuator now: the slowest settle.
  registers_.write(kInputRange, static_cast<std::uint32_t>(input_range_));
  registers_.write(kOutputRange, 0);
  settled_at_s_ = clock_->now_s() + std::max(kAttenuatorSettleS, kOutputRelaySettleS);
}

Qa40xPort::~Qa40xPort() {
  // The safe state: no stream, the lowest output range.
  try {
    stop_stream();
    registers_.write(kOutputRange, 0);
  } catch (const std::exception&) {
    // A unit already gone is as safe as it gets.
  }
}

void Qa40xPort::stop_stream() {
  device_->cancel_queued();
  registers_.write(kStreamControl, kStreamStop);
}

std::string Qa40xPort::describe() const {
  return identity_.model + " serial " + std::to_string(identity_.serial) + " (firmware " +
         std::to_string(identity_.firmware) + ") at " +
         std::to_string(static_cast<long>(settings_.sample_rate_hz)) + " Hz, input range " +
         std::to_string(kInputRangesDbv[input_range_]) + " dBV, outputs up to " +
         std::to_string(kOutputRangesDbv[most_output_range_]) + " dBV";
}

double Qa40xPort::output_words_per_fs(int interface_channel) const {
  return calibration().output_vrms_at_0dbfs /
         output_full_scale_vrms(kOutputRangesDbv[output_range_],
                                trims_.output[output_range_].of(interface_channel));
}

double Qa40xPort::input_fs_per_word(int interface_channel) const {
  return input_full_scale_vrms(kInputRangesDbv[input_range_],
                               trims_.input[input_range_].of(interface_channel)) /
         calibration().input_vrms_at_0dbfs;
}

std::size_t Qa40xPort::output_range_for(const std::vector<double>& peak_fs) const {
  const auto holds = [&](std::size_t range) {
    for (std::size_t p = 0; p < peak_fs.size() && p < settings_.outputs.size(); ++p) {
      const double full_scale = output_full_scale_vrms(
          kOutputRangesDbv[range], trims_.output[range].of(settings_.outputs[p]));
      const double most = range == most_output_range_ ? kMostWord : kRangeHeadroom;
      if (peak_fs[p] * calibration().output_vrms_at_0dbfs / full_scale > most) return false;
    }
    return true;
  };
  std::size_t ideal = 0;
  while (ideal <= most_output_range_ && !holds(ideal)) ++ideal;
  if (ideal > most_output_range_)
    throw SafetyError("the stimulus' peak is beyond the QA40x's " +
                      std::to_string(kOutputRangesDbv[most_output_range_]) +
                      " dBV output range (its calibration puts full scale below the nominal)");
  if (output_range_ >= ideal && output_range_ <= ideal + 1) return output_range_;
  return ideal;
}

void Qa40xPort::set_output_range(std::size_t range) {
  if (range == output_range_) return;
  registers_.write(kOutputRange, static_cast<std::uint32_t>(range));
  output_range_ = range;
  ++relay_switches_;
  settled_at_s_ = std::max(settled_at_s_, clock_->now_s() + kOutputRelaySettleS);
}

void Qa40xPort::idle(double seconds) {
  clock_->sleep_until(clock_->now_s() + seconds);
}

Capture Qa40xPort::transfer(const AudioBuffer& stimulus, double clip_threshold_fs) {
  const double rate = settings_.sample_rate_hz;
  const std::size_t frames = stimulus.frames();
  std::vector<double> peak(stimulus.channel_count(), 0.0);
  for (std::size_t p = 0; p < stimulus.channel_count(); ++p)
    for (double x : stimulus.channels[p]) peak[p] = std::max(peak[p], std::abs(x));
  set_output_range(output_range_for(peak));
  // The relays' settling holds the bench as much as the stream does.
  const double started_s = clock_->now_s();
  clock_->sleep_until(settled_at_s_);

  const auto lead = static_cast<std::size_t>(kLeadS * rate);
  const std::size_t margin =
      lag_.margin_frames(rate, settings_.max_latency_s, settings_.max_latency_s);
  const std::size_t blocks = (lead + frames + margin + kBlockFrames - 1) / kBlockFrames;
  std::array<std::vector<double>, 2> play{std::vector<double>(blocks * kBlockFrames, 0.0),
                                          std::vector<double>(blocks * kBlockFrames, 0.0)};
  for (std::size_t p = 0; p < stimulus.channel_count() && p < settings_.outputs.size(); ++p) {
    const int channel = settings_.outputs[p];
    const double words = output_words_per_fs(channel);
    auto& out = play[static_cast<std::size_t>(channel - 1)];
    for (std::size_t i = 0; i < frames; ++i) out[lead + i] = stimulus.channels[p][i] * words;
  }
  std::vector<double> fs_per_word;
  for (int channel : settings_.inputs) fs_per_word.push_back(input_fs_per_word(channel));
  std::vector<std::vector<float>> record(settings_.inputs.size(),
                                         std::vector<float>(frames + margin, 0.0f));
  std::vector<double> input_peak(settings_.inputs.size(), 0.0);
  std::array<std::vector<double>, 2> words{std::vector<double>(kBlockFrames),
                                           std::vector<double>(kBlockFrames)};

  Capture capture;
  std::size_t sent = 0, received = 0;
  const auto send_next = [&] {
    std::vector<std::uint8_t> bytes(kBlockBytes);
    const std::size_t from = sent * kBlockFrames;
    encode_frames(std::span(play[0]).subspan(from, kBlockFrames),
                  std::span(play[1]).subspan(from, kBlockFrames), bytes);
    device_->submit_in(kStreamIn, kBlockBytes);
    device_->submit_out(kStreamOut, std::move(bytes));
    ++sent;
  };
  const auto block_timeout =
      usb::Milliseconds(1000 + static_cast<long>(1000.0 * kBlockFrames / rate));
  registers_.write(kStreamControl, kStreamStart);
  try {
    while (sent < std::min(blocks, kBlocksInFlight)) send_next();
    while (received < blocks && !capture.clipped_input) {
      const usb::CompletedTransfer done = device_->wait_completed(block_timeout);
      if (done.endpoint != kStreamIn) continue;
      if (done.data.size() != kBlockBytes)
        throw MeasurementError(device_->describe() + ": a stream block of " +
                               std::to_string(done.data.size()) + " bytes instead of " +
                               std::to_string(kBlockBytes));
      decode_frames(done.data, words[0], words[1]);
      for (std::size_t p = 0; p < settings_.inputs.size(); ++p) {
        const auto& w = words[static_cast<std::size_t>(settings_.inputs[p] - 1)];
        for (std::size_t i = 0; i < kBlockFrames; ++i) {
          const double x = w[i] * fs_per_word[p];
          const std::size_t at = received * kBlockFrames + i;
          if (at >= lead && at - lead < record[p].size())
            record[p][at - lead] = static_cast<float>(x);
          input_peak[p] = std::max(input_peak[p], std::abs(x));
          if (!capture.clipped_input &&
              (std::abs(x) > clip_threshold_fs || std::abs(w[i]) > kMostWord))
            capture.clipped_input = static_cast<int>(p + 1);
        }
      }
      ++received;
      if (sent < blocks && !capture.clipped_input) send_next();
    }
  } catch (...) {
    // Stopped if the unit still answers; what went wrong first is what the caller hears.
    try {
      stop_stream();
    } catch (const std::exception&) {
    }
    throw;
  }
  stop_stream();
  capture.held_s = clock_->now_s() - started_s;

  lag_.update(stimulus, record, static_cast<int>(margin));
  capture.latency_certain = lag_.known();
  capture.latency_samples = lag_.lag();
  capture.audio.sample_rate_hz = rate;
  for (std::size_t p = 0; p < record.size(); ++p) {
    const auto begin = record[p].begin() + lag_.lag();
    capture.audio.channels.emplace_back(begin, begin + static_cast<long>(frames));
    capture.peak_dbfs.push_back(dsp::amplitude_ratio_to_db(input_peak[p]));
  }
  return capture;
}

std::string describe_qa40x(const Qa40xIdentity& id) {
  char text[160];
  std::snprintf(text, sizeof text,
                "%s serial %u, firmware %u; USB %.2f V %.2f A, isolated side %.2f A, %.1f °C",
                id.model.c_str(), id.serial, id.firmware, id.usb_volts, id.usb_amps,
                id.isolated_amps, id.temperature_c);
  return text;
}

std::vector<Qa40xListing> list_qa40x_units() {
  const auto found =
      usb::list_usb_devices(kVendorId, {kQa402ProductId, kQa403ProductId}, kQa40xUdevHint);
  std::vector<Qa40xListing> out;
  for (const auto& info : found) {
    Qa40xListing listing{info, std::nullopt, info.problem};
    if (listing.problem.empty()) {
      try {
        auto device =
            usb::open_usb_device(kVendorId, {info.product_id}, info.serial, 0, kQa40xUdevHint);
        Qa40xRegisters registers(*device);
        listing.identity = registers.identity(info.product_id == kQa403ProductId);
      } catch (const Error& e) {
        listing.problem = e.what();
      }
    }
    out.push_back(std::move(listing));
  }
  return out;
}

std::unique_ptr<usb::UsbDevice> open_qa40x_device(const std::string& device) {
  std::string serial;
  if (device.rfind("serial:", 0) == 0)
    serial = device.substr(7);
  else if (device != "any" && !device.empty())
    throw UsageError("a QA40x is named \"any\" or \"serial:NNN\", not \"" + device + "\"");
  try {
    return usb::open_usb_device(kVendorId, {kQa402ProductId, kQa403ProductId}, serial, 0,
                                kQa40xUdevHint);
  } catch (const usb::UsbError& e) {
    throw MeasurementError(std::string("QA40x: ") + e.what());
  }
}

}  // namespace ampbench::audio
