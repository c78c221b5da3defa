// sequence: calibration of the interface's volts per full scale (`ampbench calibrate`). A
// sine plays from one output, cabled straight to its input, while a DMM (or the operator)
// reads the volts across it: output Vrms at 0 dBFS from the level played, input Vrms at
// 0 dBFS from the level captured. `calibrate` stores them as records (SPEC §15).
#pragma once

#include <functional>

#include "audio/audio_port.hpp"

namespace ampbench::sequence {

struct CalibrationSettings {
  double level_dbfs = -20.0;  // low: the cable may still be on a DUT's input
  double frequency_hz = 1000.0;
  double duration_s = 3.0;
  double settle_s = 1.0;  // after the tone starts, before the reading
};

struct ChannelCalibration {
  int channel = 1;
  double dmm_vrms = 0.0;
  double captured_dbfs = 0.0;
  audio::PortCalibration calibration;
};

// read_vrms is called settle_s into the tone, while it plays. Throws MeasurementError when
// the reading is not positive or no tone came back.
ChannelCalibration calibrate_channel(audio::AudioPort& port, int channel,
                                     const CalibrationSettings& settings,
                                     const std::function<double()>& read_vrms);

}  // namespace ampbench::sequence
