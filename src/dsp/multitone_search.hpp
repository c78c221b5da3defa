// dsp: a designed multitone read back from a capture alone (analyze --multitone): the design
// from the table `generate multitone --design` prints, or found in the capture (its period
// is the smallest power of two on whose odd bins every tone sits centred), and the whole
// periods at the capture's end that are steady.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "dsp/multitone.hpp"

namespace ampbench::dsp {

// A design of known bins (phases unknown: empty); each channel's reference tone is its
// nearest to reference_hz. Bins ascending per channel.
MultitoneDesign multitone_design_of_bins(double sample_rate_hz, std::size_t period_frames,
                                         std::vector<std::vector<std::size_t>> bins,
                                         double reference_hz = 1000.0);

// Finds the design from the captured outputs, one per channel of the design: the period is
// the smallest power of two from 1024 whose Hann spectrum of the capture's last period holds
// at least three peaks, 40 dB or more above the spectrum's median, every one centred on an
// odd bin (its neighbours both 6 dB down); the tones are the centred odd-bin peaks within
// 45 dB of the strongest, each given to the channel whose output holds it strongest.
// Throws MeasurementError when no period fits (noise, a sine, an undesigned multitone).
MultitoneDesign find_multitone(const std::vector<std::span<const double>>& channels,
                               double sample_rate_hz, double reference_hz = 1000.0);

// The whole periods at the end of x that repeat the last one: counted back from the end
// while a period differs from the last by at most 4 times the least any period does (a
// settling transient differs more; noise alone differs alike in every period).
std::size_t steady_periods(std::span<const double> x, std::size_t period_frames);

}  // namespace ampbench::dsp
