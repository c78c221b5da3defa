// sim: FIR filters for analogue networks no low-order digital filter follows closely, applied
// to blocks of any length by FFT overlap-add (keeping their tail between calls). Two designs:
// - minimum_phase_taps: a prescribed magnitude (the RIAA curve: a bilinear design is 1.4 dB
//   off at 20 kHz at 96 kHz), by the real cepstrum on a grid four times the length; |H|
//   matches to well under 0.001 dB from DC to 20 kHz, the phase is that magnitude's minimum
//   phase, not the network's.
// - network_taps: a causal network's complex response H(f) itself (an output inductor, a
//   loudspeaker, an input capacitance), sampled on a fine grid and brought back to time:
//   magnitude and phase both match H at every frequency up to 0.45·fs. Band-limiting makes
//   the impulse response reach a little before t = 0, so the filter starts kNetworkLeadTaps
//   early and delays everything by that many samples (the chain takes them out of the
//   converter latency).
#pragma once

#include <complex>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "dsp/fft.hpp"

namespace ampbench::sim {

class Fir {
 public:
  Fir(std::vector<double> taps, double sample_rate_hz);
  void process(std::span<double> block);  // in place
  void reset() { tail_.assign(tail_.size(), 0.0); }
  const std::vector<double>& taps() const { return taps_; }
  // The filter's own response from its taps.
  std::complex<double> response(double frequency_hz) const;

 private:
  const std::vector<std::complex<double>>& spectrum(std::size_t fft_size);
  double sample_rate_hz_;
  std::vector<double> taps_;
  std::vector<double> tail_;
  std::map<std::size_t, std::vector<std::complex<double>>> spectra_;
  // Scratch for process(), grown to the largest block seen: no allocation per block.
  dsp::AlignedBuffer<double> block_;
  dsp::AlignedBuffer<std::complex<double>> block_spectrum_;
  std::vector<double> sum_;
};

// magnitude(f) for 0 ≤ f ≤ fs/2, positive.
std::vector<double> minimum_phase_taps(const std::function<double(double)>& magnitude,
                                       double sample_rate_hz, std::size_t taps);

inline constexpr std::size_t kNetworkLeadTaps = 64;
// response(f) for 0 ≤ f ≤ fs/2 of a stable, causal network. Its imaginary part is faded out
// over 0.45–0.5·fs so the spectrum is smooth across Nyquist (and the taps short); the taps
// end where the impulse response has decayed below 10⁻⁸ of its peak (at most 2^18).
std::vector<double> network_taps(const std::function<std::complex<double>(double)>& response,
                                 double sample_rate_hz);

}  // namespace ampbench::sim
