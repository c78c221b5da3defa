// Intermodulation distortion with two tones (IEC 60268-3):
//  - SMPTE/DIN: a low tone f1 and a high tone f2 at 4:1; sidebands f2 ± k·f1 re the upper
//    tone, same-order sidebands added linearly (d_{k+1}), orders combined rms.
//  - CCIF (difference-frequency): f1, f2 at 1:1; d2 = a(f2-f1)/(a1+a2),
//    d3 = (a(2f2-f1) + a(2f1-f2))/(a1+a2); IMD = √(d2² + d3²).
//  - DIM (dynamic IMD, IEC 60268-3; Leinonen, Otala and Curl 1977): a 3.15 kHz square through a
//    first-order low-pass at 30 kHz (DIM30) or 100 kHz (DIM100) plus a 15 kHz sine, 4:1 peak to
//    peak; the products |k·f1 − f2| below f2 (nine at the standard's frequencies, 750 Hz to
//    13.35 kHz) summed rms re the sine.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dsp/signal.hpp"

namespace ampbench::dsp {

enum class ImdStandard { smpte, ccif, dim };

struct ImdSignal {
  ImdStandard standard = ImdStandard::smpte;
  double f1_hz = 60.0;
  double f2_hz = 7000.0;
  double amplitude_ratio = 4.0;   // low tone (DIM: the square) re high tone (SMPTE 4, CCIF 1)
  double square_corner_hz = 0.0;  // DIM: the square's first-order low-pass
  static ImdSignal smpte(double f1_hz = 60.0, double f2_hz = 7000.0) {
    return {ImdStandard::smpte, f1_hz, f2_hz, 4.0, 0.0};
  }
  static ImdSignal ccif(double f1_hz = 19000.0, double f2_hz = 20000.0) {
    return {ImdStandard::ccif, f1_hz, f2_hz, 1.0, 0.0};
  }
  static ImdSignal dim(double corner_hz = 30000.0, double f1_hz = 3150.0, double f2_hz = 15000.0) {
    return {ImdStandard::dim, f1_hz, f2_hz, 4.0, corner_hz};
  }
};
// "smpte", "smpte:250:8000", "ccif", "ccif:11000:12000", "dim30", "dim100", "dim30:3000:14285.7";
// throws UsageError.
ImdSignal parse_imd_signal(std::string_view text);
// "smpte", "ccif", "dim30", "dim100": the name a result records.
std::string imd_standard_name(const ImdSignal& signal);

// The tones for a total peak of `peak_fs` (the peak of a sine at the same level). DIM's square
// is its odd harmonics below half the sample rate, each through the low-pass; its peak is
// taken as the ideal square's.
std::vector<Tone> imd_tones(const ImdSignal& signal, double peak_fs, double sample_rate_hz);
// The signal's nominal peak over its rms: the factor that turns a measured rms into the level
// of the sine with the same peak (√2·(1 + r)/√(1 + r²) for two sines).
double imd_peak_over_rms(const ImdSignal& signal, double sample_rate_hz);

struct ImdProduct {
  int order = 0;  // DIM: the k of |k·f1 − f2|
  double frequency_hz = 0.0;
  double level_db = 0.0;  // re the reference (upper tone, the sum of both for CCIF, DIM's sine)
};

struct ImdResult {
  double imd_ratio = 0.0;
  std::vector<double> order_ratio;  // d2, d3, …
  std::vector<ImdProduct> products;
  double imd_pct() const { return 100.0 * imd_ratio; }
  double imd_db() const;
};

// The shortest block whose window lobes keep apart every component the analysis sums: the
// tones and their products lie f1 apart (SMPTE), f2 − f1 apart (CCIF), or (DIM) as close as
// the nearest pair of square harmonics, sine and products (750 Hz at 3.15 and 15 kHz).
std::size_t frames_resolving_imd(const ImdSignal& signal, double sample_rate_hz);

// max_order: SMPTE products up to this order (f2 ± (order-1)·f1); CCIF uses 2 and 3, DIM its
// products below f2 (order_ratio holds its one total). Throws
// MeasurementError on a block too short to resolve the products (the length it needs said)
// and when either test tone is absent (noise has no IMD).
ImdResult analyze_imd(std::span<const double> samples, double sample_rate_hz,
                      const ImdSignal& signal, int max_order = 5);

}  // namespace ampbench::dsp
