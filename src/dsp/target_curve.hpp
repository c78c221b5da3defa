// dsp: target curves a frequency response is judged against — the RIAA playback curve
// (IEC 60098: time constants 3180, 318 and 75 µs; optionally the IEC amendment's 7950 µs
// subsonic high-pass and the 3.18 µs pole at 50.05 kHz) and tables of (Hz, dB) read with
// linear interpolation in dB over log frequency. Pure functions.
#pragma once

#include <complex>
#include <utility>
#include <vector>

namespace ampbench::dsp {

struct RiaaOptions {
  double t1_us = 3180.0;
  double t2_us = 318.0;
  double t3_us = 75.0;
  bool iec_subsonic = false;  // × sT4/(1 + sT4), T4 = 7950 µs
  bool pole_50khz = false;    // × 1/(1 + sT5), T5 = 3.18 µs
};

// The playback network's transfer function at this frequency (unnormalised).
std::complex<double> riaa_playback_response(double frequency_hz, const RiaaOptions& options = {});
// Its gain in dB re 1 kHz: +19.27 dB at 20 Hz, -19.62 dB at 20 kHz.
double riaa_playback_db(double frequency_hz, const RiaaOptions& options = {});

// (Hz, dB) points with rising frequencies; outside the table, the end values hold.
using TargetTable = std::vector<std::pair<double, double>>;
double target_table_db(const TargetTable& table, double frequency_hz);

}  // namespace ampbench::dsp
