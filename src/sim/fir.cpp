#include "sim/fir.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ampbench::sim {

Fir::Fir(std::vector<double> taps, double sample_rate_hz)
    : sample_rate_hz_(sample_rate_hz),
      taps_(std::move(taps)),
      tail_(taps_.empty() ? 0 : taps_.size() - 1, 0.0) {}

std::complex<double> Fir::response(double frequency_hz) const {
  std::complex<double> h = 0.0;
  const double w = 2.0 * std::numbers::pi * frequency_hz / sample_rate_hz_;
  for (std::size_t i = 0; i < taps_.size(); ++i)
    h += taps_[i] * std::polar(1.0, -w * static_cast<double>(i));
  return h;
}

const std::vector<std::complex<double>>& Fir::spectrum(std::size_t fft_size) {
  auto& s = spectra_[fft_size];
  if (!s.empty()) return s;
  const auto fft = dsp::RealFft::for_size(fft_size);
  dsp::AlignedBuffer<double> padded(fft_size);
  dsp::AlignedBuffer<std::complex<double>> out(fft->spectrum_size());
  for (std::size_t i = 0; i < fft_size; ++i) padded[i] = i < taps_.size() ? taps_[i] : 0.0;
  fft->forward(padded.data(), out.data());
  s.assign(out.data(), out.data() + fft->spectrum_size());
  return s;
}

void Fir::process(std::span<double> block) {
  const std::size_t n = block.size();
  if (n == 0 || taps_.empty()) return;
  std::size_t size = 1;
  while (size < n + taps_.size() - 1) size *= 2;
  const auto fft = dsp::RealFft::for_size(size);
  const auto& h = spectrum(size);
  block_.ensure_size(size);
  block_spectrum_.ensure_size(fft->spectrum_size());
  for (std::size_t i = 0; i < size; ++i) block_[i] = i < n ? block[i] : 0.0;
  fft->forward(block_.data(), block_spectrum_.data());
  for (std::size_t k = 0; k < fft->spectrum_size(); ++k) block_spectrum_[k] *= h[k];
  fft->inverse(block_spectrum_.data(), block_.data());
  // Overlap-add: this block's n + taps − 1 outputs plus the tail the last blocks left.
  const std::size_t produced = n + taps_.size() - 1;
  sum_.assign(produced, 0.0);
  for (std::size_t i = 0; i < produced; ++i) sum_[i] = block_[i] / static_cast<double>(size);
  for (std::size_t i = 0; i < tail_.size(); ++i) sum_[i] += tail_[i];
  std::copy_n(sum_.begin(), n, block.begin());
  std::copy(sum_.begin() + static_cast<long>(n), sum_.end(), tail_.begin());
}

std::vector<double> minimum_phase_taps(const std::function<double(double)>& magnitude,
                                       double sample_rate_hz, std::size_t taps) {
  const std::size_t n = 4 * taps;
  const auto fft = dsp::RealFft::for_size(n);
  dsp::AlignedBuffer<std::complex<double>> spectrum(fft->spectrum_size());
  dsp::AlignedBuffer<double> cepstrum(n);
  for (std::size_t k = 0; k < fft->spectrum_size(); ++k)
    spectrum[k] =
        std::log(magnitude(sample_rate_hz * static_cast<double>(k) / static_cast<double>(n)));
  fft->inverse(spectrum.data(), cepstrum.data());
  // Fold the real cepstrum onto positive quefrencies: the minimum-phase one.
  for (std::size_t i = 0; i < n; ++i) {
    const double w = (i == 0 || i == n / 2) ? 1.0 : i < n / 2 ? 2.0 : 0.0;
    cepstrum[i] *= w / static_cast<double>(n);
  }
  fft->forward(cepstrum.data(), spectrum.data());
  for (std::size_t k = 0; k < fft->spectrum_size(); ++k) spectrum[k] = std::exp(spectrum[k]);
  dsp::AlignedBuffer<double> impulse(n);
  fft->inverse(spectrum.data(), impulse.data());
  std::vector<double> out(taps);
  for (std::size_t i = 0; i < taps; ++i) out[i] = impulse[i] / static_cast<double>(n);
  return out;
}

std::vector<double> network_taps(const std::function<std::complex<double>(double)>& response,
                                 double sample_rate_hz) {
  constexpr std::size_t n = std::size_t{1} << 18;
  const auto fft = dsp::RealFft::for_size(n);
  dsp::AlignedBuffer<std::complex<double>> spectrum(fft->spectrum_size());
  for (std::size_t k = 0; k < fft->spectrum_size(); ++k) {
    const double fraction = static_cast<double>(k) / static_cast<double>(n);  // of fs
    std::complex<double> h = response(fraction * sample_rate_hz);
    if (fraction > 0.45) {
      const double fade = 0.5 + 0.5 * std::cos(std::numbers::pi * (fraction - 0.45) / 0.05);
      h = {h.real(), h.imag() * fade};
    }
    // Sampling the response on the grid puts time t at index t/T, t < 0 at the end: the
    // lead is taken from there.
    spectrum[k] = h;
  }
  dsp::AlignedBuffer<double> impulse(n);
  fft->inverse(spectrum.data(), impulse.data());
  const auto at = [&](long i) {
    return impulse[static_cast<std::size_t>((i + static_cast<long>(n)) % static_cast<long>(n))] /
           static_cast<double>(n);
  };
  double peak = 0.0;
  for (std::size_t i = 0; i < n; ++i) peak = std::max(peak, std::abs(impulse[i]));
  peak /= static_cast<double>(n);
  std::size_t length = 1;
  for (long i = static_cast<long>(n / 2); i > 0; --i)
    if (std::abs(at(i)) > 1e-8 * peak) {
      length = static_cast<std::size_t>(i) + 1;
      break;
    }
  const long lead = static_cast<long>(kNetworkLeadTaps);
  std::vector<double> taps(length + kNetworkLeadTaps);
  for (std::size_t i = 0; i < taps.size(); ++i) taps[i] = at(static_cast<long>(i) - lead);
  return taps;
}

}  // namespace ampbench::sim
