// Noise weighting curves as magnitude responses: A (IEC 61672-1) and CCIR-RMS (ITU-R
// BS.468-4 shifted by -5.63 dB, as AES17 uses it). Both are 0 dB at 1 kHz before the
// CCIR-RMS shift, so the curves match the standards' tables to a few hundredths of a dB.
#pragma once

#include <string_view>

namespace ampbench::dsp {

enum class Weighting { none, a, ccir_rms };

double a_weighting_db(double frequency_hz);
double bs468_weighting_db(double frequency_hz);
double ccir_rms_weighting_db(double frequency_hz);
double weighting_db(Weighting weighting, double frequency_hz);
double weighting_power_gain(Weighting weighting, double frequency_hz);

Weighting parse_weighting(std::string_view name);  // none | A | ccir; throws UsageError

}  // namespace ampbench::dsp
