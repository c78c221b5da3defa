// sim: a minimum-phase FIR with a prescribed magnitude response, for analogue networks no
// low-order digital filter follows closely (the RIAA curve: a bilinear design is 1.4 dB
// off at 20 kHz at 96 kHz). Designed by the real cepstrum on a grid four times the length,
// so |H| matches the analogue magnitude to well under 0.001 dB from DC to 20 kHz; the
// phase is the minimum phase of that magnitude, not the analogue network's. Applied to
// blocks of any length by FFT overlap-add, keeping its tail between calls.
#pragma once

#include <complex>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "dsp/fft.hpp"

namespace ampbench::sim {

class MinimumPhaseFir {
 public:
  // magnitude(f) for 0 ≤ f ≤ fs/2, positive.
  MinimumPhaseFir(const std::function<double(double)>& magnitude, double sample_rate_hz,
                  std::size_t taps);
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

}  // namespace ampbench::sim
