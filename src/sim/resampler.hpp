// sim: reading a sampled signal at positions between its samples, through a Kaiser-windowed
// sinc — the simulated interface's own faults (SPEC §15): a DAC whose clock runs fast or
// slow against the ADC's (`[sim] clock_ppm`), and an operating system's mixer converting the
// stream to another rate and back (`[sim] resampler_hz`). Whole buffers: the simulator has
// the stimulus before it plays, so the kernels are centred and add no latency.
#pragma once

#include <span>
#include <vector>

namespace ampbench::sim {

// h(d) = 2·fc·sinc(2·fc·d)·w(d): a low-pass at fc (cycles per input sample) that interpolates,
// tabulated finely enough (512 points a sample) to stay 120 dB clean between table points.
class SincKernel {
 public:
  // zero_crossings: the kernel's half-length in its own zero crossings (units of 1/(2·fc));
  // beta: the Kaiser window's β (7 ≈ 70 dB stopband, 10 ≈ 100 dB).
  SincKernel(double cutoff, double zero_crossings, double beta);
  double half_width() const { return half_width_; }  // in input samples
  double operator()(double distance) const;

 private:
  double half_width_;
  std::vector<double> table_;
};

// y[m] = Σₖ x[k]·h(m·step − k) for m = 0 … frames − 1 (x is zero outside itself).
std::vector<double> read_at_steps(std::span<const double> x, const SincKernel& kernel, double step,
                                  std::size_t frames);

// A DAC running `ppm` fast against the ADC: the ADC's sample m hears the stimulus at
// (1 + ppm·10⁻⁶)·m, so a tone comes back that much higher; a DAC that runs fast finishes
// early, and the capture's end hears silence. Transparent to 0.47·fs (100 dB kernel).
std::vector<double> with_clock_offset(std::span<const double> x, double ppm);

// The stream converted from `sample_rate_hz` to `through_hz` and back, by a mixer of middling
// quality (24 zero crossings, β = 7, pass band to 91 % of the lower rate's Nyquist, as
// common desktop resamplers): whatever lies above that is gone, and each tone has images
// about 70 dB down where the two rates fold it.
std::vector<double> through_rate(std::span<const double> x, double sample_rate_hz,
                                 double through_hz);

}  // namespace ampbench::sim
