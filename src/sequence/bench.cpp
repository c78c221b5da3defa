#include "sequence/bench.hpp"

#include "audio/sim_port.hpp"
#include "common/error.hpp"

namespace ampbench::sequence {

std::unique_ptr<audio::AudioPort> open_audio_port(const Station& station, const std::string& serial) {
  if (station.audio.backend == "sim") {
    const sim::ConverterCalibration calibration{station.audio.calibration.output_vrms_at_0dbfs,
                                                station.audio.calibration.input_vrms_at_0dbfs,
                                                station.attenuator_gain_db};
    sim::SimChain chain(*station.sim, calibration, station.audio.sample_rate_hz, station.channel_count(), serial);
    return std::make_unique<audio::SimPort>(station.safety, station.audio.calibration, std::move(chain));
  }
  throw MeasurementError(station.path + ": audio backend '" + station.audio.backend +
                         "' is not available in this build of ampbench");
}

}  // namespace ampbench::sequence
