#include "sequence/calibration.hpp"

#include <cmath>
#include <cstdio>
#include <future>
#include <thread>

#include "common/error.hpp"
#include "dsp/dsp.hpp"

namespace ampbench::sequence {

ChannelCalibration calibrate_channel(audio::AudioPort& port, int channel,
                                     const CalibrationSettings& settings,
                                     const std::function<double()>& read_vrms) {
  const double fs = port.sample_rate_hz();
  const auto frames = static_cast<std::size_t>(std::llround(settings.duration_s * fs));
  audio::AudioBuffer stimulus;
  stimulus.sample_rate_hz = fs;
  stimulus.channels.assign(static_cast<std::size_t>(port.output_count()),
                           std::vector<double>(frames, 0.0));
  const std::vector<dsp::Tone> tone = {
      {settings.frequency_hz, dsp::db_to_amplitude_ratio(settings.level_dbfs), 0.0}};
  stimulus.channels.at(static_cast<std::size_t>(channel - 1)) =
      dsp::generate_tones(tone, fs, frames);

  auto playing = std::async(std::launch::async, [&] { return port.play_and_capture(stimulus); });
  std::this_thread::sleep_for(std::chrono::duration<double>(settings.settle_s));
  double vrms = 0.0;
  try {
    vrms = read_vrms();
  } catch (...) {
    playing.wait();
    throw;
  }
  const audio::Capture capture = playing.get();

  if (!(vrms > 0.0) || !std::isfinite(vrms))
    throw MeasurementError("channel " + std::to_string(channel) + ": the reading " +
                           std::to_string(vrms) + " V is not a voltage a tone makes");
  const auto& captured = capture.audio.channels.at(static_cast<std::size_t>(channel - 1));
  const std::size_t skip = std::min(captured.size() / 2, static_cast<std::size_t>(0.25 * fs));
  dsp::ToneAnalysisOptions options;
  options.fundamental_hz = settings.frequency_hz;
  const auto analysis = dsp::analyze_tone(std::span(captured).subspan(skip), fs, options);
  if (analysis.level_dbfs < settings.level_dbfs - 60.0)
    throw MeasurementError("channel " + std::to_string(channel) +
                           ": no tone came back on the input; is the cable from output to "
                           "input in place?");
  ChannelCalibration c;
  c.channel = channel;
  c.dmm_vrms = vrms;
  c.captured_dbfs = analysis.level_dbfs;
  c.calibration.output_vrms_at_0dbfs = vrms / dsp::db_to_amplitude_ratio(settings.level_dbfs);
  c.calibration.input_vrms_at_0dbfs = vrms / dsp::db_to_amplitude_ratio(analysis.level_dbfs);
  return c;
}

}  // namespace ampbench::sequence
