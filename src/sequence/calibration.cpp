#include "sequence/calibration.hpp"

#include <cmath>
#include <cstdio>
#include <future>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "common/toml_reader.hpp"
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

std::string with_calibration(const std::string& station_text, const std::string& path,
                             const audio::PortCalibration& calibration) {
  const TomlReader r = TomlReader::from_text(station_text, path);
  const toml::table* audio = r.table(r.root(), "audio", "", true);
  std::vector<std::string> lines;
  std::istringstream in(station_text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  for (const auto& [key, value] :
       {std::pair{"output_vrms_at_0dbfs", calibration.output_vrms_at_0dbfs},
        std::pair{"input_vrms_at_0dbfs", calibration.input_vrms_at_0dbfs}}) {
    const toml::node* node = audio->get(key);
    if (!node) r.fail(audio, std::string("audio.") + key, "required field is missing");
    std::string& line = lines.at(static_cast<std::size_t>(r.line_of(node) - 1));
    const std::size_t eq = line.find('=');
    std::size_t start = line.find_first_not_of(" \t", eq + 1);
    std::size_t end = line.find_first_of(" \t#", start);
    if (eq == std::string::npos || start == std::string::npos)
      r.fail(node, std::string("audio.") + key, "cannot be rewritten: write it as KEY = NUMBER");
    char number[32];
    std::snprintf(number, sizeof number, "%.5g", value);
    std::string text = number;
    if (text.find_first_of(".e") == std::string::npos) text += ".0";  // stays a TOML float
    const std::size_t old_len = (end == std::string::npos ? line.size() : end) - start;
    line.replace(start, old_len, text);
  }
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

}  // namespace ampbench::sequence
