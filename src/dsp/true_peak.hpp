// dsp: a signal's true peak — the largest magnitude of the continuous waveform its samples
// stand for (what a DAC's reconstruction puts on an output), not of the samples themselves:
// a sine at fs/4 sampled 45° off its crests has samples 3 dB below its peak, a multitone
// peaks between samples by a few per cent. Read 8 times oversampled (ITU-R BS.1770's idea)
// around each local maximum of |x|, with a 96-tap Kaiser-windowed sinc (β = 10), the crest
// then found by a parabola through the three largest points: within 10⁻³ of the waveform's
// peak for content to 0.45·fs, far closer below (tests/test_dsp.cpp).
#pragma once

#include <span>

namespace ampbench::dsp {

inline constexpr int kTruePeakOversampling = 8;

// `periodic`: the block is one period of a repeating signal (its ends join). Otherwise the
// first and last 48 samples count by their sample values: an abrupt start or end rings in
// any reconstruction by what the cut holds, not by the waveform (stimuli fade in).
double true_peak(std::span<const double> samples, bool periodic = false);

}  // namespace ampbench::dsp
