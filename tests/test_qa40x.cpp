// The QA40x backend: its protocol byte for byte against vectors derived by hand from the
// published descriptions (PyQa40x's registers.py, control.py and analyzer.py; the
// bare-metal example's Acquisition.cs; the interoperability notes on the calibration page),
// and the port through the in-process fake against the trim model computed here.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <numbers>

#include "audio/qa40x_port.hpp"
#include "audio/qa40x_protocol.hpp"
#include "sequence_runs.hpp"
#include "sim/qa40x_fake.hpp"

namespace {

using namespace ampbench;
using namespace ampbench::audio;
using Bytes = std::vector<std::uint8_t>;

// CRC-16/BUYPASS bit by bit (poly 0x8005, init 0, no reflection, no final xor): the test's
// own, against which the backend's (Boost.CRC) is checked.
std::uint16_t crc16_buypass(const Bytes& data) {
  std::uint16_t crc = 0;
  for (std::uint8_t byte : data) {
    crc ^= static_cast<std::uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; ++bit)
      crc = static_cast<std::uint16_t>(crc & 0x8000 ? (crc << 1) ^ 0x8005 : crc << 1);
  }
  return crc;
}

void put_le(Bytes& page, std::size_t at, std::uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    page.at(at + static_cast<std::size_t>(i)) = static_cast<std::uint8_t>(v >> (8 * i));
}

// A page laid out by hand: header words, each range's left and right records (an int16 of
// the range and a float32 trim), the end marker, zeros, the CRC big-endian in the last two.
float hand_input_trim(int range, int channel) {
  return 8.75f + 0.01f * range - 0.02f * channel;
}
float hand_output_trim(int range, int channel) {
  return -0.3f + 0.05f * range - 0.03f * channel;
}
Bytes hand_page() {
  Bytes page(512, 0);
  put_le(page, 0x04, 76, 4);
  put_le(page, 0x08, 50, 4);
  put_le(page, 0x0C, 0x0023, 2);
  put_le(page, 0x0E, 0xDEAD, 2);
  put_le(page, 0x10, 8, 4);
  put_le(page, 0x14, 4, 4);
  const int inputs[8] = {0, 6, 12, 18, 24, 30, 36, 42};
  const int outputs[4] = {-12, -2, 8, 18};
  for (int r = 0; r < 8; ++r)
    for (int c = 0; c < 2; ++c) {
      const std::size_t at = 24 + 12 * r + 6 * c;
      put_le(page, at, static_cast<std::uint16_t>(inputs[r]), 2);
      put_le(page, at + 2, std::bit_cast<std::uint32_t>(hand_input_trim(r, c)), 4);
    }
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 2; ++c) {
      const std::size_t at = 120 + 12 * r + 6 * c;
      put_le(page, at, static_cast<std::uint16_t>(static_cast<std::int16_t>(outputs[r])), 2);
      put_le(page, at + 2, std::bit_cast<std::uint32_t>(hand_output_trim(r, c)), 4);
    }
  put_le(page, 0xA8, 0x0011, 2);
  put_le(page, 0xAA, 0xDEAD, 2);
  const std::uint16_t crc = crc16_buypass(Bytes(page.begin(), page.begin() + 510));
  page[510] = static_cast<std::uint8_t>(crc >> 8);
  page[511] = static_cast<std::uint8_t>(crc);
  return page;
}

qa40x::CalibrationPage hand_trims() {
  qa40x::CalibrationPage t;
  for (int r = 0; r < 8; ++r) t.input[r] = {hand_input_trim(r, 0), hand_input_trim(r, 1)};
  for (int r = 0; r < 4; ++r) t.output[r] = {hand_output_trim(r, 0), hand_output_trim(r, 1)};
  return t;
}

TEST(Qa40xProtocol, RegisterFramesAreAddressThenBigEndianValue) {
  // registers.py: struct.pack('>BI', reg, val); a read writes reg | 0x80 with value 0.
  EXPECT_EQ(qa40x::register_write_frame(0x05, 3), (std::array<std::uint8_t, 5>{5, 0, 0, 0, 3}));
  EXPECT_EQ(qa40x::register_write_frame(0x08, 5), (std::array<std::uint8_t, 5>{8, 0, 0, 0, 5}));
  EXPECT_EQ(qa40x::register_write_frame(0x00, 0x12345678),
            (std::array<std::uint8_t, 5>{0, 0x12, 0x34, 0x56, 0x78}));
  EXPECT_EQ(qa40x::register_read_frame(0x10), (std::array<std::uint8_t, 5>{0x90, 0, 0, 0, 0}));
  EXPECT_EQ(qa40x::register_read_frame(0x19), (std::array<std::uint8_t, 5>{0x99, 0, 0, 0, 0}));
  // The reply: struct.unpack('>I', data).
  EXPECT_EQ(qa40x::register_reply_value(Bytes{0, 0, 0, 0x3C}), 60u);
  EXPECT_EQ(qa40x::register_reply_value(Bytes{0xDE, 0xAD, 0xBE, 0xEF}), 0xDEADBEEFu);
  EXPECT_THROW(qa40x::register_reply_value(Bytes{1, 2, 3}), MeasurementError);
  // control.py: rates 48/96/192 kHz are 0/1/2.
  EXPECT_EQ(qa40x::sample_rate_code(48000, false), 0u);
  EXPECT_EQ(qa40x::sample_rate_code(192000, false), 2u);
  EXPECT_EQ(qa40x::sample_rate_code(384000, true), 3u);
  EXPECT_THROW(qa40x::sample_rate_code(384000, false), UsageError);
  EXPECT_THROW(qa40x::sample_rate_code(44100, true), UsageError);
}

TEST(Qa40xProtocol, StreamFramesAreRightThenLeftLittleEndianInt32) {
  // analyzer.py swaps the outputs and scales by 2³¹−1; Acquisition.cs reads the inputs
  // swapped. 0.5 → 1073741823.5 → 0x40000000; −0.25 → −536870911.75 → 0xE0000000.
  const std::vector<double> left{0.5, 1.5}, right{-0.25, -1.5};
  Bytes wire(16);
  qa40x::encode_frames(left, right, wire);
  EXPECT_EQ(wire, (Bytes{0x00, 0x00, 0x00, 0xE0, 0x00, 0x00, 0x00, 0x40,     // R, L
                         0x00, 0x00, 0x00, 0x80, 0xFF, 0xFF, 0xFF, 0x7F}));  // saturated
  std::vector<double> l(2), r(2);
  qa40x::decode_frames(wire, l, r);
  EXPECT_NEAR(l[0], 0.5, 1e-9);
  EXPECT_NEAR(r[0], -0.25, 1e-9);
  EXPECT_DOUBLE_EQ(l[1], 1.0);
  EXPECT_DOUBLE_EQ(r[1], -2147483648.0 / 2147483647.0);
}

TEST(Qa40xProtocol, CalibrationPageParsedAndCrcChecked) {
  // The standard check value of CRC-16/BUYPASS.
  const std::string check = "123456789";
  EXPECT_EQ(qa40x::page_crc(Bytes(check.begin(), check.end())), 0xFEE8);
  EXPECT_EQ(crc16_buypass(Bytes(check.begin(), check.end())), 0xFEE8);

  const Bytes page = hand_page();
  const auto trims = qa40x::parse_calibration_page(page);
  for (int r = 0; r < 8; ++r) {
    EXPECT_EQ(trims.input[r].left_db, hand_input_trim(r, 0));
    EXPECT_EQ(trims.input[r].right_db, hand_input_trim(r, 1));
  }
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(trims.output[r].left_db, hand_output_trim(r, 0));
    EXPECT_EQ(trims.output[r].right_db, hand_output_trim(r, 1));
  }
  EXPECT_EQ(qa40x::build_calibration_page(trims), page);  // the fake serves what a unit does

  // control.py packs each register value little-endian into the page.
  EXPECT_EQ(qa40x::page_from_register_values(std::vector<std::uint32_t>{0x01020304}),
            (Bytes{4, 3, 2, 1}));

  Bytes damaged = page;
  damaged[30] ^= 1;
  try {
    qa40x::parse_calibration_page(damaged);
    ADD_FAILURE() << "a damaged page was accepted";
  } catch (const MeasurementError& e) {
    EXPECT_NE(std::string(e.what()).find("CRC"), std::string::npos) << e.what();
  }
  Bytes mislabelled = page;  // input range 2's left record says 13 dBV, CRC made good
  put_le(mislabelled, 48, 13, 2);
  const std::uint16_t crc = crc16_buypass(Bytes(mislabelled.begin(), mislabelled.begin() + 510));
  mislabelled[510] = static_cast<std::uint8_t>(crc >> 8);
  mislabelled[511] = static_cast<std::uint8_t>(crc);
  try {
    qa40x::parse_calibration_page(mislabelled);
    ADD_FAILURE() << "a mislabelled record was accepted";
  } catch (const MeasurementError& e) {
    EXPECT_NE(std::string(e.what()).find("input range 12 dBV, left"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(qa40x::parse_calibration_page(Bytes(512, 0)), MeasurementError);  // unprogrammed
}

struct FakeUnit {
  std::shared_ptr<sim::FakeClock> clock = std::make_shared<sim::FakeClock>();
  std::shared_ptr<sim::Qa40xFake> fake;
  std::unique_ptr<Qa40xPort> port;
};

FakeUnit fake_unit(const Qa40xSettings& settings, double cable_gain,
                   const sim::Qa40xFakeConfig& config) {
  FakeUnit u;
  u.fake = std::make_shared<sim::Qa40xFake>(config, sim::qa40x_cable(cable_gain), u.clock);
  SafetyLimits safety;
  safety.max_output_vrms = 100.0;
  u.port = std::make_unique<Qa40xPort>(safety, settings, sim::attach_qa40x_fake(u.fake), u.clock);
  return u;
}

sim::Qa40xFakeConfig hand_config() {
  sim::Qa40xFakeConfig config;
  config.trims = hand_trims();
  return config;
}

AudioBuffer sine(double vrms, double volts_per_fs, double freq_hz, double fs, std::size_t n,
                 int channels = 2) {
  AudioBuffer b;
  b.sample_rate_hz = fs;
  const double amplitude = vrms / volts_per_fs;  // a full-scale sine is volts_per_fs Vrms
  b.channels.assign(static_cast<std::size_t>(channels), std::vector<double>(n));
  for (std::size_t i = 0; i < n; ++i)
    b.channels[0][i] = amplitude * std::sin(2.0 * std::numbers::pi * freq_hz * i / fs);
  for (std::size_t c = 1; c < b.channels.size(); ++c) b.channels[c] = b.channels[0];
  return b;
}

// The rms of the tone at freq_hz by a naive DFT over whole periods, in full-scale units (a
// full-scale sine reads 1).
double tone_rms(const std::vector<double>& x, double freq_hz, double fs, std::size_t from,
                std::size_t periods) {
  const auto n = static_cast<std::size_t>(std::llround(periods * fs / freq_hz));
  double re = 0.0, im = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double phase = 2.0 * std::numbers::pi * freq_hz * static_cast<double>(i) / fs;
    re += x[from + i] * std::cos(phase);
    im += x[from + i] * std::sin(phase);
  }
  return 2.0 * std::hypot(re, im) / static_cast<double>(n);
}

// A 1 kHz tone of `vrms` at 48 kHz in the unit's port's full-scale units.
AudioBuffer tone_for(const FakeUnit& unit, double vrms, std::size_t frames) {
  return sine(vrms, unit.port->calibration().output_vrms_at_0dbfs, 1000.0, 48000.0, frames);
}

TEST(Qa40xPort, LevelOnEveryRangeFollowsTheTrimModel) {
  const double fs = 48000.0, freq = 1000.0;
  const std::size_t n = 9600;
  double worst_db = 0.0;
  for (std::size_t in = 0; in < qa40x::kInputRangesDbv.size(); ++in) {
    Qa40xSettings settings;
    settings.sample_rate_hz = fs;
    settings.input_range_dbv = qa40x::kInputRangesDbv[in];
    for (std::size_t out = 0; out < qa40x::kOutputRangesDbv.size(); ++out) {
      // Half the output range's full scale, the cable bringing it to half the input's.
      const double out_range_vrms = std::pow(10.0, qa40x::kOutputRangesDbv[out] / 20.0);
      const double in_range_vrms = std::pow(10.0, qa40x::kInputRangesDbv[in] / 20.0);
      const double vrms = 0.5 * out_range_vrms, gain = in_range_vrms / out_range_vrms;
      auto unit = fake_unit(settings, gain, hand_config());
      const auto capture = unit.port->play_and_capture(
          sine(vrms, unit.port->calibration().output_vrms_at_0dbfs, freq, fs, n));
      ASSERT_EQ(unit.port->output_range_dbv(), qa40x::kOutputRangesDbv[out]);
      for (int c = 0; c < 2; ++c) {
        // The DAC words the unit received: peak volts over the trimmed full scale.
        const double trim_out = hand_output_trim(static_cast<int>(out), c);
        const double word_peak =
            vrms * std::numbers::sqrt2 /
            std::pow(10.0, (qa40x::kOutputRangesDbv[out] + 3.0 - trim_out) / 20.0);
        const auto& words = unit.fake->last_dac_words()[static_cast<std::size_t>(c)];
        double peak = 0.0;
        for (double w : words) peak = std::max(peak, std::abs(w));
        EXPECT_NEAR(20.0 * std::log10(peak / word_peak), 0.0, 0.001)
            << "output range " << qa40x::kOutputRangesDbv[out] << " channel " << c + 1;
        // The ADC words it sent back: the cable's peak volts over the input's trimmed
        // full scale (the input is differential: 6 dB below the range's name).
        const double trim_in = hand_input_trim(static_cast<int>(in), c);
        const double adc_peak = vrms * gain * std::numbers::sqrt2 /
                                std::pow(10.0, (qa40x::kInputRangesDbv[in] - 6.0 + trim_in) / 20.0);
        const auto& adc = unit.fake->last_adc_words()[static_cast<std::size_t>(c)];
        EXPECT_NEAR(20.0 * std::log10(tone_rms(adc, freq, fs, 960, 150) / adc_peak), 0.0, 0.001)
            << "input range " << qa40x::kInputRangesDbv[in] << " channel " << c + 1;
        // What the port reads, in volts: the cable's volts within 0.001 dB.
        const double read_vrms =
            tone_rms(capture.audio.channels[static_cast<std::size_t>(c)], freq, fs, 960, 150) *
            unit.port->calibration().input_vrms_at_0dbfs;
        worst_db = std::max(worst_db, std::abs(20.0 * std::log10(read_vrms / (vrms * gain))));
        EXPECT_NEAR(20.0 * std::log10(read_vrms / (vrms * gain)), 0.0, 0.001)
            << "output range " << qa40x::kOutputRangesDbv[out] << ", input range "
            << qa40x::kInputRangesDbv[in] << ", channel " << c + 1;
      }
    }
  }
  std::printf("largest level error over 64 range pairs and channels: %.2g dB\n", worst_db);
}

TEST(Qa40xPort, NoCaptureStartsBeforeItsRelaysSettle) {
  Qa40xSettings settings;
  settings.input_range_dbv = 24;  // behind the attenuator: the slowest relay
  auto unit = fake_unit(settings, 1.0, hand_config());
  const double opened_s = unit.clock->now_s();
  // Levels that move the output relays up and down between transfers, the last one not.
  std::vector<double> held_switching, held_still;
  for (double vrms : {0.1, 2.0, 0.1, 6.0, 0.02, 0.5, 0.5}) {
    const auto switches = unit.port->relay_switches();
    const auto capture = unit.port->play_and_capture(tone_for(unit, vrms, 4800));
    (unit.port->relay_switches() != switches ? held_switching : held_still)
        .push_back(capture.held_s);
  }
  // A relay's half second is in the time its transfer held the bench (the first transfer
  // also waits out the opening's slower relays).
  ASSERT_FALSE(held_still.empty());
  for (std::size_t i = 0; i < held_switching.size(); ++i)
    EXPECT_NEAR(held_switching[i] - held_still.back(), qa40x::kOutputRelaySettleS, 0.02);
  EXPECT_GE(unit.port->relay_switches(), 4u);
  EXPECT_EQ(unit.fake->streams_started(), 7);
  EXPECT_EQ(unit.fake->streams_before_settled(), 0);
  EXPECT_GE(unit.clock->now_s() - opened_s, qa40x::kAttenuatorSettleS);
  EXPECT_GE(unit.fake->most_in_flight(), 2);

  // The fake does see a stream started under a moving relay: the check can fail.
  unit.fake->bulk_out(qa40x::kRegisterOut, qa40x::register_write_frame(qa40x::kOutputRange, 3),
                      usb::Milliseconds(100));
  unit.fake->bulk_out(qa40x::kRegisterOut,
                      qa40x::register_write_frame(qa40x::kStreamControl, qa40x::kStreamStart),
                      usb::Milliseconds(100));
  EXPECT_EQ(unit.fake->streams_before_settled(), 1);
}

TEST(Qa40xPort, ChannelsSwappedOnTheWireAndLatencyFound) {
  Qa40xSettings settings;
  settings.outputs = {1};  // the left output only
  settings.inputs = {2};   // captured on the right input
  sim::Qa40xFakeConfig config = hand_config();
  config.latency_frames = 77;
  auto unit = fake_unit(settings, 1.0, config);
  EXPECT_FALSE(unit.port->latency_known());
  // A broadband stimulus: white noise.
  AudioBuffer noise;
  noise.sample_rate_hz = 48000.0;
  noise.channels.assign(1, std::vector<double>(9600));
  std::uint32_t state = 12345;
  for (double& x : noise.channels[0]) {
    state = state * 1664525u + 1013904223u;
    x = 0.1 * (static_cast<double>(state >> 8) / 8388608.0 - 1.0);
  }
  // The cable wires left to left and right to right: route this test's left output to its
  // right input by the port's channel lists, so only the right input hears nothing.
  const auto capture = unit.port->play_and_capture(noise);
  const auto& left_words = unit.fake->last_dac_words()[0];
  const auto& right_words = unit.fake->last_dac_words()[1];
  double left_peak = 0.0, right_peak = 0.0;
  for (double w : left_words) left_peak = std::max(left_peak, std::abs(w));
  for (double w : right_words) right_peak = std::max(right_peak, std::abs(w));
  EXPECT_GT(left_peak, 0.001);
  EXPECT_EQ(right_peak, 0.0);
  ASSERT_EQ(capture.audio.channels.size(), 1u);
  double heard = 0.0;
  for (double x : capture.audio.channels[0]) heard = std::max(heard, std::abs(x));
  EXPECT_LT(heard, 1e-5);  // the right input: noise of the ADC alone
}

TEST(Qa40xPort, FindsItsLatencyAndIdentifiesItself) {
  Qa40xSettings settings;
  sim::Qa40xFakeConfig config = hand_config();
  config.latency_frames = 77;
  config.serial = 40312345;
  config.qa403 = true;
  auto unit = fake_unit(settings, 1.0, config);
  AudioBuffer noise;
  noise.sample_rate_hz = 48000.0;
  noise.channels.assign(2, std::vector<double>(9600));
  std::uint32_t state = 99;
  for (auto& channel : noise.channels)
    for (double& x : channel) {
      state = state * 1664525u + 1013904223u;
      x = 0.1 * (static_cast<double>(state >> 8) / 8388608.0 - 1.0);
    }
  const auto capture = unit.port->play_and_capture(noise);
  EXPECT_TRUE(unit.port->latency_known());
  EXPECT_EQ(capture.latency_samples, 77);
  // Aligned sample for sample, in volts (the cable passes volts; the ranges differ).
  const double out_v = unit.port->calibration().output_vrms_at_0dbfs;
  const double in_v = unit.port->calibration().input_vrms_at_0dbfs;
  for (std::size_t c = 0; c < 2; ++c)
    for (std::size_t i = 0; i < 9600; i += 97)
      EXPECT_NEAR(capture.audio.channels[c][i] * in_v, noise.channels[c][i] * out_v, 1e-4);
  EXPECT_EQ(unit.port->identity().model, "QA403");
  EXPECT_EQ(unit.port->identity().serial, 40312345u);
  EXPECT_EQ(unit.port->identity().firmware, 60u);
  EXPECT_NEAR(unit.port->identity().usb_volts, 5.02, 1e-9);
  EXPECT_NEAR(unit.port->identity().temperature_c, 35.2, 1e-9);
  EXPECT_NE(unit.port->describe().find("QA403 serial 40312345"), std::string::npos);
  EXPECT_EQ(describe_qa40x(unit.port->identity()),
            "QA403 serial 40312345, firmware 60; USB 5.02 V 0.38 A, isolated side 0.15 A, "
            "35.2 °C");
}

TEST(Qa40xPort, EveryRateStreamsItsOwnTime) {
  for (double fs : {48000.0, 96000.0, 192000.0, 384000.0}) {
    Qa40xSettings settings;
    settings.sample_rate_hz = fs;
    auto unit = fake_unit(settings, 1.0, hand_config());
    const double before = unit.clock->now_s();
    const auto capture =
        unit.port->play_and_capture(sine(1.0, unit.port->calibration().output_vrms_at_0dbfs, 1000.0,
                                         fs, static_cast<std::size_t>(fs / 10)));
    // 0.1 s of tone, 5 ms of lead and 0.5 s recorded past it, in whole 2048-frame blocks.
    const double blocks = std::ceil((0.605 * fs) / 2048.0);
    EXPECT_NEAR(unit.clock->now_s() - before, blocks * 2048.0 / fs + 1.2, 1e-9) << fs;
    const double read =
        tone_rms(capture.audio.channels[0], 1000.0, fs, static_cast<std::size_t>(fs / 100), 50) *
        unit.port->calibration().input_vrms_at_0dbfs;
    EXPECT_NEAR(20.0 * std::log10(read), 0.0, 0.001) << fs;
  }
  sim::Qa40xFakeConfig qa402 = hand_config();
  qa402.qa403 = false;
  Qa40xSettings settings;
  settings.sample_rate_hz = 384000.0;
  settings.qa403 = false;
  EXPECT_THROW(fake_unit(settings, 1.0, qa402), UsageError);
}

TEST(Qa40xPort, AStalledStreamIsAnErrorAndTheNextTransferStartsClean) {
  auto unit = fake_unit(Qa40xSettings{}, 1.0, hand_config());
  const auto tone = tone_for(unit, 0.5, 48000);
  unit.fake->stall_after_blocks(3);
  EXPECT_THROW(unit.port->play_and_capture(tone), MeasurementError);
  EXPECT_EQ(unit.fake->queued(), 0u);    // nothing left in flight
  EXPECT_FALSE(unit.fake->streaming());  // and the stream stopped
  const auto capture = unit.port->play_and_capture(tone);
  const double read = tone_rms(capture.audio.channels[1], 1000.0, 48000.0, 4800, 400) *
                      unit.port->calibration().input_vrms_at_0dbfs;
  EXPECT_NEAR(20.0 * std::log10(read / 0.5), 0.0, 0.001);
  EXPECT_EQ(unit.fake->streams_started(), 2);
  EXPECT_FALSE(unit.fake->streaming());
}

TEST(Qa40xPort, AUnitUnpluggedMidStreamIsAnErrorSayingSo) {
  auto unit = fake_unit(Qa40xSettings{}, 1.0, hand_config());
  unit.fake->unplug_after_blocks(3);
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      unit.port->play_and_capture(tone_for(unit, 0.5, 48000));
      ADD_FAILURE() << "a transfer through an unplugged unit returned";
    } catch (const MeasurementError& e) {
      EXPECT_NE(std::string(e.what()).find("unplugged"), std::string::npos) << e.what();
    }
  }
}

TEST(Qa40xPort, ADamagedCalibrationPageRefusesTheUnit) {
  auto clock = std::make_shared<sim::FakeClock>();
  auto fake = std::make_shared<sim::Qa40xFake>(hand_config(), sim::qa40x_cable(), clock);
  Bytes page = hand_page();
  page[100] ^= 0x40;
  fake->serve_page(page);
  try {
    Qa40xPort port({}, Qa40xSettings{}, sim::attach_qa40x_fake(fake), clock);
    ADD_FAILURE() << "opened with a damaged page";
  } catch (const MeasurementError& e) {
    EXPECT_NE(std::string(e.what()).find("CRC"), std::string::npos) << e.what();
  }
}

TEST(Qa40xPort, InputClippingStopsTheStream) {
  Qa40xSettings settings;
  settings.input_range_dbv = 0;
  auto unit = fake_unit(settings, 1.0, hand_config());
  // 2 Vrms into the 0 dBV input range.
  EXPECT_THROW(unit.port->play_and_capture(tone_for(unit, 2.0, 48000)), InputClippedError);
  // The stream stopped early: far fewer blocks played than the second of stimulus needed.
  EXPECT_LT(unit.fake->last_dac_words()[0].size(), 48000u / 2);
}

TEST(Qa40xStation, RangesChosenFromTheSafetyMaxima) {
  const auto station = ampbench::testing::shipped_station("sim-qa40x.toml");
  EXPECT_EQ(station.audio.qa40x_output_range_dbv, 8);
  EXPECT_EQ(station.audio.qa40x_input_range_dbv, 6);
  EXPECT_NEAR(station.audio.calibration.output_vrms_at_0dbfs, std::pow(10.0, 8.0 / 20.0), 1e-12);
  EXPECT_NEAR(station.audio.calibration.input_vrms_at_0dbfs, std::pow(10.0, 6.0 / 20.0), 1e-12);
}

TEST(Qa40xStation, WhatAQa40xCannotDoIsRefusedOnItsLine) {
  const std::string good = R"([station]
name = "q"
[audio]
backend = "qa40x"
device = "any"
sample_rate = 48000
outputs = [1, 2]
inputs = [1, 2]
[safety]
max_output_vrms = 1.0
max_input_dbfs = -1.0
)";
  const auto station = sequence::parse_station(good, "q.toml");
  EXPECT_EQ(station.audio.qa40x_output_range_dbv, 8);  // −2 dBV holds 0.79 Vrms only
  EXPECT_EQ(station.audio.qa40x_input_range_dbv, 42);  // nothing said: the safe range
  const auto replace = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  const struct {
    std::string text, expected;
  } cases[] = {
      {replace("sample_rate = 48000", "sample_rate = 44100"),
       "q.toml:6: field 'audio.sample_rate'"},
      {replace("outputs = [1, 2]", "outputs = [1, 3]"), "q.toml:7: field 'audio.outputs'"},
      {replace("device = \"any\"", "device = \"first\""), "q.toml:5: field 'audio.device'"},
      {replace("max_output_vrms = 1.0", "max_output_vrms = 9.0"),
       "q.toml:10: field 'safety.max_output_vrms': is above the QA40x's top output range"},
      {replace("max_output_vrms = 1.0", "max_output_vrms = 1.0\nmax_input_vrms = 200.0"),
       "q.toml:11: field 'safety.max_input_vrms'"},
      {replace("inputs = [1, 2]", "inputs = [1, 2]\noutput_vrms_at_0dbfs = 2.0"),
       "q.toml:9: field 'audio.output_vrms_at_0dbfs': a QA40x sets it itself"},
      {replace("device = \"any\"", "device = \"sim\""), "'sim'"},
  };
  for (const auto& c : cases) {
    try {
      sequence::parse_station(c.text, "q.toml");
      ADD_FAILURE() << "accepted: " << c.text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos) << e.what();
    }
  }
}

// The production sequence's verdicts through the QA40x backend and its fake are those of
// the same DUT on sim-bench, for a good unit and every fault serial.
TEST(Qa40xStation, FastSequenceVerdictsEqualSimBench) {
  const auto bench = ampbench::testing::shipped_station("sim-bench.toml");
  const auto qa40x = ampbench::testing::shipped_station("sim-qa40x.toml");
  const auto plan = ampbench::testing::shipped_sequence("poweramp-fast.toml");
  ASSERT_TRUE(plan);
  std::vector<std::string> serials{"GOOD-QA40X"};
  for (const auto& [serial, faults] : qa40x.sim->serial_faults) serials.push_back(serial);
  int failing = 0;
  for (const auto& serial : serials) {
    const auto a = ampbench::testing::run_plan(*plan, bench, serial);
    const auto b = ampbench::testing::run_plan(*plan, qa40x, serial);
    ASSERT_EQ(a.steps.size(), b.steps.size());
    for (std::size_t i = 0; i < a.steps.size(); ++i)
      EXPECT_EQ(record::verdict_name(a.steps[i].verdict), record::verdict_name(b.steps[i].verdict))
          << serial << " " << a.steps[i].step_id;
    EXPECT_EQ(record::verdict_name(a.verdict), record::verdict_name(b.verdict)) << serial;
    failing += b.verdict == record::Verdict::fail;
  }
  EXPECT_EQ(serials.front(), "GOOD-QA40X");
  EXPECT_GE(failing, 8);  // the faults that poweramp-fast can see
}

}  // namespace
