// Parameters of the simulated DUT chain, as read from a station file's [sim] table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/impedance.hpp"

namespace ampbench::sim {

enum class Fault {
  none,
  low_gain,
  hum,
  early_clip,
  dead_channel,
  riaa_error,
  dead_mic,
  dc_offset,
  inverted,
  crossover,
  slew,
  poor_cmrr,
  low_efficiency,
  supply_coupling
};
std::optional<Fault> parse_fault(std::string_view name);
std::string_view fault_name(Fault fault);
// Every fault's name, comma-separated: for messages.
std::string fault_names();

// One of a preamp's inputs: the source sees impedance_ohm to ground; the input stage adds
// its own gain and input-referred noise; a phono input equalises to the RIAA playback
// curve (0 dB at 1 kHz); a mic input carries phantom power when switched on.
struct PreampInputModel {
  double gain_db = 0.0;
  double impedance_ohm = 47e3;
  double noise_nv_per_rthz = 0.0;
  bool riaa = false;
  double riaa_t2_us = 318.0;    // a fault: a wrong middle time constant
  double phantom_v = 0.0;       // DC on the pins with phantom on (48 V nominal)
  double capacitance_pf = 0.0;  // across impedance_ohm (a phono input's cable and stage)
  // The "input" is a loudspeaker's terminals (a bench measuring a speaker through its
  // series resistor): its impedance replaces impedance_ohm and capacitance_pf.
  std::optional<LoudspeakerModel> loudspeaker;
  bool reactive() const { return capacitance_pf > 0.0 || loudspeaker.has_value(); }
  bool dead = false;  // a fault: the input passes nothing
};

// Bass and treble shelves (RBJ cookbook, slope S = 1): the boost or cut reaches half its
// dB at bass_hz / treble_hz, the turnover frequency.
struct ToneControlModel {
  double bass_hz = 100.0;
  double treble_hz = 10000.0;
  double range_db = 12.0;  // each control goes from -range to +range
};

// The gain control after the input stage; step_db = 0: continuous.
struct GainControlModel {
  double min_db = 0.0;
  double max_db = 0.0;
  double step_db = 0.0;
};

// The front-panel settings of a simulated preamp (`set` steps, `dut.*` sweeps).
struct DutSettings {
  std::string input;  // "" = the model's default input
  double gain_db = 0.0;
  double bass_db = 0.0;
  double treble_db = 0.0;
  bool phantom = false;
};

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
  // Levels of the hum's 2nd, 3rd, … harmonics re its fundamental (a rectifier's buzz).
  std::vector<double> hum_harmonics_db;
  double clip_vpeak = 0.0;  // output swing limit; 0 = none
  // The balanced input's rejection of a common-mode voltage (common_mode.hpp): its
  // difference stage converts cmrr_mismatch_pct % of it to differential (resistor
  // mismatch, flat), and the stage itself passes 10^(−cmrr_db/20) of it, rising 6 dB an
  // octave above cmrr_corner_hz (0: flat). Defaults: ideal, no common-mode output at all.
  double cmrr_db = 300.0;
  double cmrr_corner_hz = 0.0;
  double cmrr_mismatch_pct = 0.0;
  // Inputs by name (none: one line input with gain_db and noise above, infinite impedance).
  std::map<std::string, PreampInputModel> inputs;
  std::string default_input;
  std::optional<GainControlModel> gain_control;
  std::optional<ToneControlModel> tone;
};

struct PowerAmpModel {
  double gain_db = 26.0;
  double rail_v = 45.0;           // peak output swing with no load current
  double rail_source_ohm = 0.2;   // supply sag: rail drops by I·R under load
  double current_limit_a = 20.0;  // peak output current
  double output_impedance_ohm = 0.05;
  // The output network (impedance.hpp): inductor, its damping resistor, Zobel.
  double output_inductor_uh = 0.0;
  double inductor_damping_ohm = 0.0;
  double zobel_ohm = 0.0;
  double zobel_nf = 0.0;
  OutputNetwork network() const {
    return {output_impedance_ohm, output_inductor_uh, inductor_damping_ohm, zobel_ohm, zobel_nf};
  }
  // Class-B crossover: the output stage's incremental gain dips by `crossover_depth` (0..1)
  // around zero, over ±crossover_v of output voltage; 0 = none (crossover.hpp).
  double crossover_v = 0.0;
  double crossover_depth = 0.0;
  double slew_v_per_us = 0.0;  // the fastest the output can change; 0 = unlimited (slew.hpp)
  // What it draws from its supply (chain.hpp, supply_current_a): class AB, each channel's
  // quiescent current plus half the mean |load current| (a sine's Ip/π from a supply of
  // supply_v across both rails), or class D, quiescent plus the output power over
  // class_d_efficiency·supply_v. The rails are the model's own: supply_v sets only the draw.
  enum class SupplyClass { ab, d };
  SupplyClass supply_class = SupplyClass::ab;
  double supply_v = 0.0;  // 0: 2·rail_v
  double quiescent_a = 0.05;
  double class_d_efficiency = 0.9;
  double supply_volts() const { return supply_v > 0.0 ? supply_v : 2.0 * rail_v; }
  // Supply ripple at the output terminals (supply_ripple.hpp): psrr_db (300: none) rising
  // 6 dB an octave above psrr_corner_hz (0: flat).
  double psrr_db = 300.0;
  double psrr_corner_hz = 0.0;
};

struct ConverterCalibration {
  double output_vrms_at_0dbfs = 1.0;
  double input_vrms_at_0dbfs = 1.0;
  double attenuator_gain_db = 0.0;
  // Per chain channel (0-based) where channels differ; empty: the values above for all.
  std::vector<double> output_vrms_by_channel;
  std::vector<double> input_vrms_by_channel;
  double output_vrms(std::size_t channel) const {
    return channel < output_vrms_by_channel.size() ? output_vrms_by_channel[channel]
                                                   : output_vrms_at_0dbfs;
  }
  double input_vrms(std::size_t channel) const {
    return channel < input_vrms_by_channel.size() ? input_vrms_by_channel[channel]
                                                  : input_vrms_at_0dbfs;
  }
};

// Effects of each fault (docs/simulation.md): low_gain -6 dB, hum 3 mVrms at the input
// frequency hum_hz, early_clip rails and clip levels × 0.4, dead_channel no output.
inline constexpr double kLowGainFaultDb = -6.0;
inline constexpr double kHumFaultVrms = 3e-3;
// The hum fault's 2nd and 3rd harmonics, re its fundamental: a ground loop's buzz.
inline constexpr double kHumFaultHarmonicsDb[] = {-6.0, -12.0};
inline constexpr double kEarlyClipFactor = 0.4;
// dc_offset: 100 mV of DC on the DUT's output (a failed servo, a leaky coupling capacitor).
inline constexpr double kDcOffsetFaultV = 0.1;
// inverted: the channel's polarity is reversed (a miswired output, an inverting stage).
// crossover: an unbiased output stage, crossover_v 0.2 V at depth 0.5 (or the model's own
// where it is worse); slew: the output slews at most 0.5 V/µs (or the model's own, if slower).
inline constexpr double kCrossoverFaultV = 0.2;
inline constexpr double kCrossoverFaultDepth = 0.5;
inline constexpr double kSlewFaultVPerUs = 0.5;
// poor_cmrr: the balanced input's difference stage is mismatched by 2 % (about 34 dB CMRR).
inline constexpr double kPoorCmrrMismatchPct = 2.0;
// low_efficiency: each channel's output stage draws 1.5 A more at rest (biased too hot); what
// it plays is unchanged.
inline constexpr double kLowEfficiencyFaultA = 1.5;
// supply_coupling: the supply's ripple reaches the output 30 dB down, flat (a missing
// decoupling capacitor), or the model's own where worse.
inline constexpr double kSupplyCouplingFaultDb = 30.0;
// riaa_error: every phono input's 318 µs constant is 350 µs; dead_mic: the input named
// "mic" passes nothing.
inline constexpr double kRiaaErrorT2Us = 350.0;
// Thermal noise of the source resistance is taken at IEC's reference temperature.
inline constexpr double kNoiseTemperatureK = 290.0;
inline constexpr double kBoltzmann = 1.380649e-23;

// Unit-to-unit spread, as a production line sees it (SPEC §16): the σ of each serial's
// draws from N(0, σ), one per channel and figure, reproducible from seed and serial. A
// percentage scales its value by 1 + z·σ/100 (never below 5 % of it).
struct UnitSpread {
  double gain_db = 0.0;         // the channel's gain
  double highpass_pct = 0.0;    // the preamp's high-pass corner
  double lowpass_pct = 0.0;     // the preamp's low-pass corner
  double distortion_pct = 0.0;  // the preamp's a2 and a3 together, the power amp's crossover
  double noise_db = 0.0;        // the preamp's input noise density
};

struct SimConfig {
  std::uint64_t seed = 1;
  int latency_samples = 0;
  // The interface's buffer (period) in frames: a transfer waits for the stream's next
  // period, half a buffer on average. Only the time a unit holds the bench (unit_s) counts it.
  int buffer_frames = 0;
  double adc_noise_dbfs = -300.0;  // rms of the ADC's own white noise, AES17 dBFS
  double crosstalk_db = -300.0;    // each channel's output leaks into the others
  // On a station with slots: each interface input hears the other slots' inputs at the
  // same position within their slot, this far down (the interface's own leakage).
  double slot_crosstalk_db = -120.0;
  double load_ohm = 8.0;              // initial dummy load; +inf = open
  double source_ohm = 0.0;            // the interface output's impedance, driving the DUT
  double converter_lowpass_hz = 0.0;  // the interface's own 2nd-order roll-off (DAC); 0 = none
  UnitSpread unit_spread;
  // Each channel's own gain offset (dB, 1-based channel → dB): a unit's channel mismatch.
  std::map<int, double> channel_gain_db;
  // The loopback reference cable's gain (dB): a real loopback is rarely exactly 1.
  double loopback_gain_db = 0.0;
  // The interface's own faults (SPEC §15, sim/resampler.hpp), for `selftest` to find: the DAC's
  // clock this many ppm fast against the ADC's; an OS mixer converting the playback to this
  // rate and back (0: none).
  double clock_ppm = 0.0;
  double resampler_hz = 0.0;
  // The simulated interface's true calibration, when it differs from what [audio] claims
  // (as an uncalibrated station's does): what `ampbench calibrate` has to find. One value
  // for every channel, or one per interface channel (index: channel − 1); empty: as claimed.
  std::vector<double> output_vrms_at_0dbfs;
  std::vector<double> input_vrms_at_0dbfs;
  // The true value of interface channel `channel` (1-based), or `claimed`.
  static double true_vrms(const std::vector<double>& values, int channel, double claimed) {
    if (values.empty()) return claimed;
    if (values.size() == 1) return values[0];
    return values.at(static_cast<std::size_t>(channel - 1));
  }
  // How the simulated relay box is really wired: the relay of each station load, when it
  // differs from what [loads] relays claims (empty: as claimed).
  std::vector<int> load_relays;
  std::optional<PreampModel> preamp;
  std::optional<PowerAmpModel> power_amp;
  // A loudspeaker among the dummy loads: selecting its nominal_ohm connects it.
  std::optional<LoudspeakerModel> loudspeaker;
  std::map<int, Fault> channel_faults;                        // 1-based channel → fault
  std::map<std::string, std::map<int, Fault>> serial_faults;  // channel 0 = every channel
};

}  // namespace ampbench::sim
