// The station's devices opened for one unit under test: the AudioPort of the station's
// backend (for "sim", a simulated DUT built for this serial number's faults). With a
// loopback reference, the port has one more output and input than the DUT: the last.
#pragma once

#include <memory>
#include <string>

#include "audio/audio_port.hpp"
#include "sequence/station.hpp"

namespace ampbench::sequence {

// Throws MeasurementError when the backend cannot be opened (e.g. not built in).
std::unique_ptr<audio::AudioPort> open_audio_port(const Station& station,
                                                  const std::string& serial);

// The interface with a cable from each output to its input and nothing else, for
// calibration: for "sim", the chain without DUT and attenuator; on hardware, the same port.
std::unique_ptr<audio::AudioPort> open_calibration_port(const Station& station);

}  // namespace ampbench::sequence
