// dsp: how far a captured tone's frequency lies from the frequency it was played at — the
// DAC's clock against the ADC's, in ppm, when a loopback carries it (SPEC §15, selftest). The
// phase at the nominal frequency is taken segment by segment; its drift over the block is the
// frequency error (a least-squares line through the unwrapped phases).
#pragma once

#include <span>

namespace ampbench::dsp {

// The tone's frequency over `nominal_hz`, less 1, in ppm. Segments of 0.1 s (at least
// kMinimumAnalysisFrames): the offset must stay below fs/(2·segment) Hz (±5 Hz at 48 kHz),
// and the block must hold at least four segments. Throws MeasurementError otherwise, or when
// there is no tone at the nominal frequency.
double tone_frequency_offset_ppm(std::span<const double> samples, double nominal_hz,
                                 double sample_rate_hz);

}  // namespace ampbench::dsp
