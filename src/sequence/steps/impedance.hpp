// sequence/steps: what the impedance kinds share — an impedance from the complex voltages
// of two captures of the same stimulus, and its curves over a frequency sweep.
#pragma once

#include <complex>
#include <string>

#include "sequence/step_context.hpp"

namespace ampbench::sequence {

// The tone's complex voltage at the DUT output (phase re the stimulus); throws
// MeasurementError when the phase is unknown (an external generator drove the DUT) or the
// tone does not stand 20 dB above the noise around it.
std::complex<double> output_phasor(const ChannelTone& tone, const std::string& channel);

// Throws MeasurementError when a and b differ by less than 10⁻⁴ of |a| (0.0009 dB and
// 0.006°): too close to resolve the impedance the step computes from their difference.
void require_resolvable(std::complex<double> a, std::complex<double> b, const std::string& channel,
                        const std::string& what);

// An impedance step kind's check: both captures must come from the interface's own output.
void check_interface_stimulus(StepChecks& checks);

// Over a frequency sweep, measurement `name` against frequency: a curve per channel and
// condition (an input, a load), as every family is.
void add_frequency_curve(StepContext& ctx, const std::vector<Point>& points,
                         const std::string& name);

}  // namespace ampbench::sequence
