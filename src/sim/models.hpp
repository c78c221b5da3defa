// Parameters of the simulated DUT chain, as read from a station file's [sim] table.
#pragma once

#include <cstdint>
#include <map>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ampbench::sim {

enum class Fault { none, low_gain, hum, early_clip, dead_channel };
std::optional<Fault> parse_fault(std::string_view name);
std::string_view fault_name(Fault fault);

struct PreampModel {
  double gain_db = 0.0;
  double highpass_hz = 0.0;  // 1st order; 0 = none
  double lowpass_hz = 0.0;   // 2nd order; 0 = none
  double lowpass_q = std::numbers::sqrt2 / 2.0;
  double a2_per_volt = 0.0;  // y = v + a2·v² + a3·v³ on the amplified voltage v
  double a3_per_volt2 = 0.0;
  double noise_nv_per_rthz = 0.0;  // input-referred white noise density
  double hum_vrms = 0.0;           // at the input
  double hum_hz = 50.0;
  double clip_vpeak = 0.0;  // output swing limit; 0 = none
};

struct PowerAmpModel {
  double gain_db = 26.0;
  double rail_v = 45.0;           // peak output swing with no load current
  double rail_source_ohm = 0.2;   // supply sag: rail drops by I·R under load
  double current_limit_a = 20.0;  // peak output current
  double output_impedance_ohm = 0.05;
};

struct ConverterCalibration {
  double output_vrms_at_0dbfs = 1.0;
  double input_vrms_at_0dbfs = 1.0;
  double attenuator_gain_db = 0.0;
};

// Effects of each fault (docs/simulation.md): low_gain -6 dB, hum 3 mVrms at the input
// frequency hum_hz, early_clip rails and clip levels × 0.4, dead_channel no output.
inline constexpr double kLowGainFaultDb = -6.0;
inline constexpr double kHumFaultVrms = 3e-3;
inline constexpr double kEarlyClipFactor = 0.4;

struct SimConfig {
  std::uint64_t seed = 1;
  int latency_samples = 0;
  double adc_noise_dbfs = -300.0;     // rms of the ADC's own white noise, AES17 dBFS
  double crosstalk_db = -300.0;       // each channel's output leaks into the others
  double load_ohm = 8.0;              // initial dummy load; +inf = open
  double converter_lowpass_hz = 0.0;  // the interface's own 2nd-order roll-off (DAC); 0 = none
  // The simulated interface's true calibration, when it differs from what [audio] claims
  // (as an uncalibrated station's does): what `ampbench calibrate` has to find.
  std::optional<double> output_vrms_at_0dbfs;
  std::optional<double> input_vrms_at_0dbfs;
  // How the simulated relay box is really wired: the relay of each station load, when it
  // differs from what [loads] relays claims (empty: as claimed).
  std::vector<int> load_relays;
  std::optional<PreampModel> preamp;
  std::optional<PowerAmpModel> power_amp;
  std::map<int, Fault> channel_faults;                        // 1-based channel → fault
  std::map<std::string, std::map<int, Fault>> serial_faults;  // channel 0 = every channel
};

}  // namespace ampbench::sim
