// audio/wav: round trips through every sample format, and the residual each adds to a
// 997 Hz tone (float32 ≤ -135 dB, 24-bit dithered ≤ -130 dB THD+N). audio/buffer_handoff:
// a late callback never touches buffers the caller has taken back. audio/shared_port: slots
// that transfer together share one transfer, each gets its own channels back; a clipping
// slot hears of it alone; exclusive sections run one slot at a time, in slot order.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <numbers>
#include <set>
#include <thread>

#include "audio/buffer_handoff.hpp"
#include "audio/shared_port.hpp"
#include "audio/wav.hpp"
#include "common/error.hpp"
#include "dsp/dsp.hpp"
#include "run_binary.hpp"

using namespace ampbench;
using ampbench::testing::TempDir;

namespace {

audio::AudioBuffer tone_buffer(std::size_t channels) {
  audio::AudioBuffer b;
  b.sample_rate_hz = 48000.0;
  for (std::size_t c = 0; c < channels; ++c) {
    b.channels.push_back(dsp::generate_sine(997.0 + 100.0 * double(c),
                                            dsp::db_to_amplitude_ratio(-1.0), 48000.0, 65536));
  }
  return b;
}

double thdn_after_round_trip(audio::WavSampleFormat format) {
  TempDir dir;
  audio::write_wav(dir / "x.wav", tone_buffer(1), format);
  const auto back = audio::read_wav(dir / "x.wav");
  return dsp::analyze_tone(back.channels[0], back.sample_rate_hz).thdn_db();
}

}  // namespace

TEST(Wav, Float32ResidualBelowMinus135Db) {
  EXPECT_LE(thdn_after_round_trip(audio::WavSampleFormat::float32), -135.0);
}

TEST(Wav, Pcm24DitheredResidualBelowMinus130Db) {
  EXPECT_LE(thdn_after_round_trip(audio::WavSampleFormat::pcm24), -130.0);
}

TEST(Wav, Pcm16DitheredResidualNearTheoretical) {
  // TPDF at 16 bits: noise rms 2^-16 (-96.33 dB), re a -1 dBFS sine's rms (-4.01 dB), of
  // which 20 Hz–20 kHz keeps 19980/24000 (-0.80 dB): -93.12 dB.
  EXPECT_NEAR(thdn_after_round_trip(audio::WavSampleFormat::pcm16), -96.33 + 4.01 - 0.80, 0.2);
}

TEST(Wav, Float64IsExact) {
  TempDir dir;
  const auto b = tone_buffer(2);
  audio::write_wav(dir / "x.wav", b, audio::WavSampleFormat::float64);
  const auto back = audio::read_wav(dir / "x.wav");
  EXPECT_EQ(back.channels, b.channels);
  EXPECT_EQ(back.sample_rate_hz, 48000.0);
}

TEST(Wav, EveryFormatAndUpToEightChannels) {
  using F = audio::WavSampleFormat;
  for (F format : {F::pcm16, F::pcm24, F::pcm32, F::float32, F::float64}) {
    for (std::size_t channels : {1u, 2u, 8u}) {
      TempDir dir;
      const auto b = tone_buffer(channels);
      audio::write_wav(dir / "x.wav", b, format);
      const auto back = audio::read_wav(dir / "x.wav");
      ASSERT_EQ(back.channel_count(), channels);
      ASSERT_EQ(back.frames(), b.frames());
      for (std::size_t c = 0; c < channels; ++c) {
        EXPECT_NEAR(dsp::analyze_tone(back.channels[c], 48000.0).level_dbfs, -1.0, 0.001);
      }
    }
  }
}

TEST(Wav, BadFilesAreInputErrors) {
  TempDir dir;
  EXPECT_THROW(audio::read_wav(dir / "missing.wav"), InputError);
  std::ofstream(dir / "text.wav") << "this is not audio";
  EXPECT_THROW(audio::read_wav(dir / "text.wav"), InputError);
  try {
    audio::read_wav(dir / "text.wav");
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("text.wav"), std::string::npos);
  }
}

TEST(Wav, RefusesSamplesBeyondFullScale) {
  TempDir dir;
  audio::AudioBuffer b;
  b.channels = {{0.0, 1.5, 0.0}};
  EXPECT_THROW(audio::write_wav(dir / "x.wav", b, audio::WavSampleFormat::float32), IoError);
}

TEST(Wav, NonFiniteSamplesAreBadInput) {
  // The fuzzer's first find: a float WAV holding NaN reached the analysis as a NaN bin.
  const std::string path =
      std::string(AMPBENCH_TEST_DATA_DIR) + "/fuzz/corpus/wav/regression-nan-sample.wav";
  try {
    audio::read_wav(path);
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("NaN or infinite"), std::string::npos) << e.what();
  }
  std::vector<double> nan_block(8192, 0.5);
  nan_block[100] = std::nan("");
  EXPECT_THROW(dsp::analyze_tone(nan_block, 48000.0), MeasurementError);
}

TEST(Wav, ChunkOverrunIsBadInputNotAHang) {
  // The fuzzer's second find: a LIST chunk claiming 4 GiB in a 167-byte file sends
  // libsndfile 1.2's sf_open into an endless loop. It must be refused, from disk and memory.
  const std::string path =
      std::string(AMPBENCH_TEST_DATA_DIR) + "/fuzz/corpus/wav/regression-list-overrun-hang.wav";
  try {
    audio::read_wav(path);
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("chunk 'LIST' at byte 36 claims 4294967295 bytes"),
              std::string::npos)
        << e.what();
  }
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THROW(audio::read_wav_bytes(bytes, "memory.wav"), InputError);
}

TEST(Wav, LaterChunksAndATruncatedDataChunkStillRead) {
  // What real recorders leave: a LIST after the data, or a data chunk cut short by a crash.
  TempDir dir;
  audio::write_wav(dir / "x.wav", tone_buffer(1), audio::WavSampleFormat::pcm16);
  std::ifstream in(dir / "x.wav", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t frames = audio::read_wav_bytes(bytes, "x").frames();
  const std::string info("LIST\x0e\0\0\0INFOICMT\x02\0\0\0ok", 22);
  EXPECT_EQ(audio::read_wav_bytes(bytes + info, "list-after-data").frames(), frames);
  const std::string truncated = bytes.substr(0, bytes.size() - 200);
  EXPECT_EQ(audio::read_wav_bytes(truncated, "truncated").frames(), frames - 100);
  std::string bad_sub = bytes + info;
  bad_sub[bytes.size() + 16] = '\x7f';
  EXPECT_THROW(audio::read_wav_bytes(bad_sub, "bad-subchunk"), InputError);
}

// A stalled capture is abandoned while a callback is still writing its period: the caller
// gets the buffers only once that callback has left, and no callback enters afterwards.
TEST(BufferHandoff, AbandoningACaptureWaitsOutTheCallbackInsideAndLocksOutLaterOnes) {
  audio::BufferHandoff handoff;
  std::atomic<bool> inside{false}, stop{false};
  std::atomic<int> periods{0};
  std::thread callback([&] {
    while (!stop) {
      if (handoff.enter()) {
        inside = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(30));  // a slow period
        periods.fetch_add(1);
        inside = false;
        handoff.leave(false);
      }
      std::this_thread::yield();
    }
  });
  handoff.arm();
  while (!inside) std::this_thread::yield();
  ASSERT_TRUE(handoff.reclaim(std::chrono::milliseconds(1000)));
  EXPECT_FALSE(inside) << "the caller took the buffers while a callback was writing them";
  const int after = periods.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(periods.load(), after) << "a callback entered buffers the caller had taken back";
  EXPECT_FALSE(handoff.finished());
  stop = true;
  callback.join();
}

TEST(BufferHandoff, ACallbackThatNeverLeavesKeepsTheBuffers) {
  audio::BufferHandoff handoff;
  handoff.arm();
  ASSERT_TRUE(handoff.enter());
  EXPECT_FALSE(handoff.enter()) << "two callbacks at once";
  EXPECT_FALSE(handoff.reclaim(std::chrono::milliseconds(20)));
  handoff.leave(true);
  EXPECT_TRUE(handoff.finished());
  EXPECT_TRUE(handoff.reclaim(std::chrono::milliseconds(0)));
  EXPECT_FALSE(handoff.enter()) << "a callback entered a capture that is over";
}

namespace {

// Eight outputs wired to eight inputs; remembers which outputs carried signal in each
// transfer, and stops on an input above the clip threshold as an interface would.
class LoopbackPort : public audio::AudioPort {
 public:
  explicit LoopbackPort(int channels = 8)
      : AudioPort({10.0, -6.0, 0.25}, {1.0, 1.0}), channels_(channels) {}
  double sample_rate_hz() const override { return 48000.0; }
  int output_count() const override { return channels_; }
  int input_count() const override { return channels_; }
  std::string describe() const override { return "loopback"; }
  std::vector<std::set<int>> transfers;
  int xruns_in_next = 0;  // so many transfers from now lose audio
  double idled_s = 0.0;

 protected:
  audio::Capture transfer(const audio::AudioBuffer& stimulus, double clip_threshold_fs) override {
    audio::Capture capture;
    capture.audio = stimulus;
    if (xruns_in_next > 0) {
      --xruns_in_next;
      capture.xruns = 1;
      capture.first_xrun_s = 0.5;
    }
    std::set<int> live;
    for (std::size_t c = 0; c < stimulus.channels.size(); ++c) {
      double peak = 0.0;
      for (double v : stimulus.channels[c]) peak = std::max(peak, std::abs(v));
      if (peak > 0.0) live.insert(static_cast<int>(c));
      capture.peak_dbfs.push_back(dsp::amplitude_ratio_to_db(peak));
      if (peak > clip_threshold_fs && !capture.clipped_input)
        capture.clipped_input = static_cast<int>(c) + 1;
    }
    transfers.push_back(live);
    return capture;
  }
  void idle(double seconds) override { idled_s += seconds; }

 private:
  int channels_;
};

// Slot s on interface channels 2s and 2s+1.
std::vector<audio::SlotChannels> stereo_slots(int count) {
  std::vector<audio::SlotChannels> out;
  for (int s = 0; s < count; ++s) out.push_back({{2 * s, 2 * s + 1}, {2 * s, 2 * s + 1}});
  return out;
}

// A loopback interface shared by `count` stereo slots; run_each runs a body per slot on
// its own thread (started from the last slot), and the slot leaves when its body ends.
struct LoopbackSlots {
  LoopbackPort* port;
  audio::SharedPort shared;
  std::vector<std::unique_ptr<audio::AudioPort>> slots;
  explicit LoopbackSlots(int count) : LoopbackSlots(std::make_unique<LoopbackPort>(), count) {}
  void run_each(const std::function<void(std::size_t, audio::AudioPort&)>& body) {
    std::vector<std::thread> threads;
    for (std::size_t s = slots.size(); s-- > 0;)
      threads.emplace_back([&, s] {
        body(s, *slots[s]);
        slots[s].reset();
      });
    for (auto& t : threads) t.join();
  }

 private:
  LoopbackSlots(std::unique_ptr<LoopbackPort> owned, int count)
      : port(owned.get()), shared(std::move(owned), stereo_slots(count)) {
    for (int s = 0; s < count; ++s) slots.push_back(shared.slot_port(static_cast<std::size_t>(s)));
  }
};

audio::AudioBuffer constant(double left, double right, std::size_t frames) {
  audio::AudioBuffer b;
  b.sample_rate_hz = 48000.0;
  b.channels = {std::vector<double>(frames, left), std::vector<double>(frames, right)};
  return b;
}

}  // namespace

TEST(SharedPort, SlotsTransferringTogetherShareOneTransferAndGetTheirOwnChannels) {
  LoopbackSlots four(4);
  std::vector<int> wrong(4, 0);
  four.run_each([&](std::size_t s, audio::AudioPort& slot) {
    for (int round = 0; round < 3; ++round) {
      // Lengths differ between slots: each gets back as many frames as it played.
      const double left = 0.01 * double(s + 1) + 0.001 * round;
      const auto capture = slot.play_and_capture(constant(left, -left, 100 + 10 * s));
      if (capture.audio.channels.size() != 2 || capture.audio.frames() != 100 + 10 * s ||
          capture.audio.channels[0][5] != left || capture.audio.channels[1][99] != -left)
        ++wrong[s];
    }
  });
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
  ASSERT_EQ(four.port->transfers.size(), 3u);
  for (const auto& live : four.port->transfers) EXPECT_EQ(live.size(), 8u);
}

TEST(AudioPort, ATransferThatLostAudioIsPlayedAgainAndSaysSo) {
  LoopbackPort port(2);
  port.xruns_in_next = 2;  // the default allows two more attempts
  const auto capture = port.play_and_capture(constant(0.1, 0.2, 64));
  EXPECT_EQ(capture.xruns, 0u);
  EXPECT_EQ(capture.audio.channels[1][10], 0.2);
  EXPECT_EQ(port.transfers.size(), 3u);
  EXPECT_EQ(port.xrun_retried_transfers(), 2u);

  port.xruns_in_next = 3;
  try {
    port.play_and_capture(constant(0.1, 0.2, 64));
    ADD_FAILURE() << "an xrun in every attempt must be an error";
  } catch (const audio::XrunError& e) {
    EXPECT_EQ(std::string(e.what()),
              "xrun at 0.50 s into the capture (1 in all): audio lost, nothing measured; an xrun "
              "in each of 3 attempts");
  }
  EXPECT_EQ(port.transfers.size(), 6u);

  port.set_xrun_retries(0);
  port.xruns_in_next = 1;
  EXPECT_THROW(port.play_and_capture(constant(0.1, 0.2, 64)), audio::XrunError);
  EXPECT_EQ(port.transfers.size(), 7u);
}

TEST(AudioPort, ABurstPlayedAgainAfterAnXrunWaitsItsDutyPause) {
  LoopbackPort port(2);             // max_burst_duty 0.25
  const std::size_t frames = 4800;  // 0.1 s
  port.play_burst(constant(0.1, 0.1, frames), 0.0);
  port.xruns_in_next = 1;
  port.play_burst(constant(0.1, 0.1, frames), 0.0);
  // Three bursts of 0.1 s at 25 %: each starts 0.4 s after the one before, the repeat too;
  // the 5 ms each transfer records past its burst is silence towards the pause.
  ASSERT_EQ(port.bursts().size(), 3u);
  EXPECT_NEAR(port.bursts()[1].start_s, 0.4, 1e-12);
  EXPECT_NEAR(port.bursts()[2].start_s, 0.8, 1e-12);
  EXPECT_NEAR(port.idled_s, 0.6 - 2 * 0.005, 1e-12);
}

TEST(SharedPort, ATransferThatLostAudioIsPlayedAgainForEverySlotInIt) {
  LoopbackSlots four(4);
  four.port->xruns_in_next = 1;
  std::vector<int> wrong(4, 0);
  std::vector<std::uint64_t> retried(4, 0);
  four.run_each([&](std::size_t s, audio::AudioPort& slot) {
    const double left = 0.01 * double(s + 1);
    const auto capture = slot.play_and_capture(constant(left, -left, 100));
    if (capture.audio.channels[0][5] != left) ++wrong[s];
    retried[s] = slot.xrun_retried_transfers();
  });
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
  EXPECT_EQ(retried, std::vector<std::uint64_t>(4, 1));
  EXPECT_EQ(four.port->transfers.size(), 2u);  // the lost one and its shared repeat
  EXPECT_EQ(four.shared.xrun_transfers(), 1u);
  EXPECT_EQ(four.shared.shared_transfers(), 2u);
}

TEST(SharedPort, AClippingSlotAloneHearsOfItAndTheOthersPlayAgain) {
  LoopbackSlots three(3);
  std::vector<std::string> outcome(3);
  three.run_each([&](std::size_t s, audio::AudioPort& slot) {
    // Slot 2's right input goes above max_input_dbfs (−6 dBFS).
    const double right = s == 1 ? 0.9 : 0.1;
    try {
      const auto capture = slot.play_and_capture(constant(0.1, right, 64));
      outcome[s] = capture.audio.channels[1][0] == right ? "ok" : "wrong capture";
    } catch (const audio::InputClippedError& e) {
      outcome[s] = "clipped input " + std::to_string(e.input());
    }
  });
  EXPECT_EQ(outcome, (std::vector<std::string>{"ok", "clipped input 2", "ok"}));
  ASSERT_EQ(three.port->transfers.size(), 2u);
  EXPECT_EQ(three.port->transfers[1], (std::set<int>{0, 1, 4, 5}));  // again, without slot 2
}

TEST(SharedPort, ExclusiveSectionsRunOneSlotAtATimeInSlotOrder) {
  LoopbackSlots three(3);
  std::mutex mutex;
  std::vector<std::size_t> order;
  int inside = 0, most_inside = 0;
  // Started from the last slot: the grant still goes to the lowest slot waiting.
  three.run_each([&](std::size_t s, audio::AudioPort& slot) {
    {
      audio::SharedPort::Exclusive alone(three.shared, s);
      {
        std::lock_guard lock(mutex);
        order.push_back(s);
        most_inside = std::max(most_inside, ++inside);
      }
      slot.play_and_capture(constant(0.1, 0.1, 32));
      std::lock_guard lock(mutex);
      --inside;
    }
    slot.play_and_capture(constant(0.2, 0.2, 32));
  });
  EXPECT_EQ(order, (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(most_inside, 1);
  // Three transfers alone, then the slots' next ones together once the last section ends.
  ASSERT_EQ(three.port->transfers.size(), 4u);
  for (std::size_t t = 0; t < 3; ++t) EXPECT_EQ(three.port->transfers[t].size(), 2u);
  EXPECT_EQ(three.port->transfers[3].size(), 6u);
}

namespace {

// A port allowing 1 Vrms at 1 Vrms per full scale: a sine up to 1.0 FS of true peak.
class TruePeakPort : public audio::AudioPort {
 public:
  TruePeakPort() : AudioPort({1.0, -1.0, 0.25}, {1.0, 1.0}) {}
  double sample_rate_hz() const override { return 48000.0; }
  int output_count() const override { return 1; }
  int input_count() const override { return 1; }
  std::string describe() const override { return "true peak"; }

 protected:
  audio::Capture transfer(const audio::AudioBuffer& stimulus, double) override {
    audio::Capture capture;
    capture.audio = stimulus;
    capture.peak_dbfs.push_back(-100.0);
    return capture;
  }
  void idle(double) override {}
};

audio::AudioBuffer quarter_rate_sine(double amplitude_fs) {
  audio::AudioBuffer b;
  b.sample_rate_hz = 48000.0;
  // fs/4 sampled 45° off its crests: every sample is amplitude/√2, the waveform reaches the
  // amplitude between them.
  b.channels = {dsp::generate_sine(12000.0, amplitude_fs, 48000.0, 4800, std::numbers::pi / 4)};
  return b;
}

}  // namespace

// The safety limit judges what the DAC reconstructs, not the samples: a waveform whose
// samples sit 3 dB under the limit but whose peaks between them exceed it is refused.
TEST(AudioPort, TheOutputLimitJudgesTheTruePeak) {
  TruePeakPort port;
  // 1 Vrms at 1 Vrms per FS allows a true peak of 1.0 FS (the limit is a sine's rms).
  EXPECT_THROW(port.play_and_capture(quarter_rate_sine(1.2)), SafetyError);  // samples 0.85
  EXPECT_EQ(port.transfer_count(), 0u);
  EXPECT_NO_THROW(port.play_and_capture(quarter_rate_sine(0.999)));
}

namespace {

// The largest value of the continuous waveform Σ A·sin(2πft + φ), searched at 1/512 of a
// sample around each of the 64 largest local maxima of |x| on the sample grid.
double closed_form_peak(const std::vector<dsp::Tone>& tones, double fs, std::size_t frames) {
  const auto at = [&](double n) {
    double v = 0.0;
    for (const auto& t : tones)
      v += t.amplitude_peak_fs *
           std::sin(2.0 * std::numbers::pi * t.frequency_hz * n / fs + t.phase_rad);
    return std::abs(v);
  };
  std::vector<std::pair<double, std::size_t>> maxima;
  for (std::size_t n = 1; n + 1 < frames; ++n) {
    const double v = at(static_cast<double>(n));
    if (v >= at(n - 1.0) && v >= at(n + 1.0)) maxima.emplace_back(v, n);
  }
  std::partial_sort(maxima.begin(), maxima.begin() + std::min<std::size_t>(64, maxima.size()),
                    maxima.end(), std::greater<>());
  double peak = 0.0;
  for (std::size_t i = 0; i < std::min<std::size_t>(64, maxima.size()); ++i)
    for (int k = -512; k <= 512; ++k)
      peak = std::max(peak, at(static_cast<double>(maxima[i].second) + k / 512.0));
  return peak;
}

audio::AudioBuffer mono(std::vector<double> samples, double scale) {
  for (double& v : samples) v *= scale;
  audio::AudioBuffer b;
  b.sample_rate_hz = 48000.0;
  b.channels = {std::move(samples)};
  return b;
}

}  // namespace

// Each stimulus form at the limit, its peak known in closed form: passed at 0.05 % under,
// refused at 0.2 % over — a CCIF pair's samples at 48 kHz sit 1.8 % under its waveform's
// peak, this 31-tone multitone's 8 %, a sweep's next to none.
TEST(AudioPort, EveryStimulusFormIsJudgedByItsPeakBetweenSamples) {
  TruePeakPort port;
  const double fs = 48000.0;
  const auto ccif = dsp::imd_tones(dsp::ImdSignal::ccif(), 1.0, 48000.0);
  const std::size_t ccif_frames = 24000;
  const double ccif_peak = closed_form_peak(ccif, fs, ccif_frames);
  const auto ccif_samples = dsp::generate_tones(ccif, fs, ccif_frames);

  dsp::MultitoneRequest request;
  request.period_frames = 8192;
  const auto design = dsp::design_multitone(request);
  std::vector<dsp::Tone> multitone;
  const double tone_peak = dsp::multitone_tone_peak(design, 0, 0.1);
  for (std::size_t t = 0; t < design.bins[0].size(); ++t)
    multitone.push_back({design.frequency_hz(0, t), tone_peak, design.phases_rad[0][t]});
  const double multitone_peak = closed_form_peak(multitone, fs, design.period_frames);
  auto periods = dsp::multitone_period(design, 0, 0.1);
  periods.insert(periods.end(), periods.begin(), periods.end());

  // A sine's crest reaches its amplitude and the sweep's envelope tops at 1.
  const auto sweep = dsp::generate_sync_sweep(dsp::SyncSweep::design(5.0, 21800.0, 2.0, fs), 1.0);

  const std::vector<std::tuple<std::string, std::vector<double>, double>> forms = {
      {"ccif", ccif_samples, ccif_peak},
      {"multitone", periods, multitone_peak},
      {"sweep", sweep, 1.0}};
  for (const auto& [name, samples, peak] : forms) {
    SCOPED_TRACE(name);
    double sample_peak = 0.0;
    for (double v : samples) sample_peak = std::max(sample_peak, std::abs(v));
    EXPECT_NO_THROW(port.play_and_capture(mono(samples, 0.9995 / peak)));
    EXPECT_THROW(port.play_and_capture(mono(samples, 1.002 / peak)), SafetyError)
        << "samples at " << sample_peak / peak << " of the peak";
  }
}
