// Intermodulation distortion with two tones (IEC 60268-3):
//  - SMPTE/DIN: a low tone f1 and a high tone f2 at 4:1; sidebands f2 ± k·f1 re the upper
//    tone, same-order sidebands added linearly (d_{k+1}), orders combined rms.
//  - CCIF (difference-frequency): f1, f2 at 1:1; d2 = a(f2-f1)/(a1+a2),
//    d3 = (a(2f2-f1) + a(2f1-f2))/(a1+a2); IMD = √(d2² + d3²).
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "dsp/signal.hpp"

namespace ampbench::dsp {

enum class ImdStandard { smpte, ccif };

struct ImdSignal {
  ImdStandard standard = ImdStandard::smpte;
  double f1_hz = 60.0;
  double f2_hz = 7000.0;
  double amplitude_ratio = 4.0;  // low tone re high tone (SMPTE 4, CCIF 1)
  static ImdSignal smpte(double f1_hz = 60.0, double f2_hz = 7000.0) {
    return {ImdStandard::smpte, f1_hz, f2_hz, 4.0};
  }
  static ImdSignal ccif(double f1_hz = 19000.0, double f2_hz = 20000.0) {
    return {ImdStandard::ccif, f1_hz, f2_hz, 1.0};
  }
};
// "smpte", "smpte:250:8000", "ccif", "ccif:11000:12000"; throws UsageError.
ImdSignal parse_imd_signal(std::string_view text);

// The two tones for a total peak of `peak_fs` (the peak of a sine at the same level).
std::vector<Tone> imd_tones(const ImdSignal& signal, double peak_fs);

struct ImdProduct {
  int order = 0;
  double frequency_hz = 0.0;
  double level_db = 0.0;  // re the reference (upper tone, or the sum of both for CCIF)
};

struct ImdResult {
  double imd_ratio = 0.0;
  std::vector<double> order_ratio;  // d2, d3, …
  std::vector<ImdProduct> products;
  double imd_pct() const { return 100.0 * imd_ratio; }
  double imd_db() const;
};

// The shortest block whose window lobes keep apart every component the analysis sums: the
// tones and their products lie f1 apart (SMPTE) or f2 − f1 apart (CCIF).
std::size_t frames_resolving_imd(const ImdSignal& signal, double sample_rate_hz);

// max_order: SMPTE products up to this order (f2 ± (order-1)·f1); CCIF uses 2 and 3. Throws
// MeasurementError on a block too short to resolve the products (the length it needs said)
// and when either test tone is absent (noise has no IMD).
ImdResult analyze_imd(std::span<const double> samples, double sample_rate_hz,
                      const ImdSignal& signal, int max_order = 5);

}  // namespace ampbench::dsp
