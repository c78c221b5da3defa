#include "dsp/multitone_search.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "dsp/fft.hpp"
#include "dsp/window.hpp"

namespace ampbench::dsp {
namespace {

constexpr std::size_t kSmallestPeriod = 1024;
constexpr std::size_t kLargestPeriod = std::size_t{1} << 20;

// Amplitude per bin of the Hann spectrum of x's last n frames.
std::vector<double> last_period_amplitudes(std::span<const double> x, std::size_t n) {
  const auto fft = RealFft::for_size(n);
  const auto window = cached_window(WindowKind::hann, n);
  AlignedBuffer<double> block(n);
  AlignedBuffer<std::complex<double>> spectrum(fft->spectrum_size());
  const std::size_t start = x.size() - n;
  for (std::size_t i = 0; i < n; ++i) block[i] = x[start + i] * window->samples[i];
  fft->forward(block.data(), spectrum.data());
  std::vector<double> amplitude(fft->spectrum_size());
  for (std::size_t b = 0; b < amplitude.size(); ++b) amplitude[b] = std::abs(spectrum[b]);
  return amplitude;
}

struct Peak {
  std::size_t bin;
  double amplitude;
  bool centred_on_odd;
};

// Local maxima 40 dB (strong) or 30 dB above the median amplitude's level. A tone on a bin's
// centre leaves its Hann neighbours exactly half its amplitude; between bins, unequal ones.
std::vector<Peak> peaks_of(const std::vector<double>& a, double above_median_db) {
  std::vector<double> sorted(a.begin() + 1, a.end());
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(sorted.size() / 2),
                   sorted.end());
  const double floor = sorted[sorted.size() / 2] * std::pow(10.0, above_median_db / 20.0);
  std::vector<Peak> peaks;
  for (std::size_t b = 2; b + 1 < a.size(); ++b) {
    if (!(a[b] > floor && a[b] > a[b - 1] && a[b] >= a[b + 1])) continue;
    const double below = a[b - 1] / a[b], above = a[b + 1] / a[b];
    const bool centred = std::abs(below - 0.5) < 0.1 && std::abs(above - 0.5) < 0.1;
    peaks.push_back({b, a[b], centred && b % 2 == 1});
  }
  return peaks;
}

double mean_square_of_difference(std::span<const double> a, std::span<const double> b) {
  double ms = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) ms += (a[i] - b[i]) * (a[i] - b[i]);
  return ms / static_cast<double>(a.size());
}

}  // namespace

MultitoneDesign multitone_design_of_bins(double sample_rate_hz, std::size_t period_frames,
                                         std::vector<std::vector<std::size_t>> bins,
                                         double reference_hz) {
  MultitoneDesign d;
  d.sample_rate_hz = sample_rate_hz;
  d.period_frames = period_frames;
  d.bins = std::move(bins);
  for (auto& channel : d.bins) {
    std::sort(channel.begin(), channel.end());
    d.reference.push_back(channel.empty() ? 0 : nearest_tone(channel, d.bin_hz(), reference_hz));
    d.phases_rad.emplace_back();
    d.crest_factor.push_back(0.0);
  }
  return d;
}

MultitoneDesign find_multitone(const std::vector<std::span<const double>>& channels,
                               double sample_rate_hz, double reference_hz) {
  std::size_t frames = kLargestPeriod;
  for (const auto& x : channels) frames = std::min(frames, x.size());
  for (std::size_t n = kSmallestPeriod; n <= frames; n *= 2) {
    std::vector<std::vector<double>> amplitudes;
    std::size_t strong = 0;
    bool all_centred = true;
    for (const auto& x : channels) {
      amplitudes.push_back(last_period_amplitudes(x, n));
      for (const auto& peak : peaks_of(amplitudes.back(), 40.0)) {
        ++strong;
        all_centred = all_centred && peak.centred_on_odd;
      }
    }
    if (strong < 3 || !all_centred) continue;
    // Each centred peak to the channel that holds it strongest; the weak ones are crosstalk.
    double strongest = 0.0;
    std::vector<std::pair<std::size_t, std::size_t>> found;  // (bin, channel)
    for (std::size_t c = 0; c < channels.size(); ++c)
      for (const auto& peak : peaks_of(amplitudes[c], 30.0)) {
        if (!peak.centred_on_odd) continue;
        strongest = std::max(strongest, peak.amplitude);
        found.emplace_back(peak.bin, c);
      }
    std::vector<std::vector<std::size_t>> bins(channels.size());
    std::sort(found.begin(), found.end());
    for (std::size_t i = 0; i < found.size();) {
      const std::size_t bin = found[i].first;
      std::size_t owner = found[i].second;
      for (; i < found.size() && found[i].first == bin; ++i)
        if (amplitudes[found[i].second][bin] > amplitudes[owner][bin]) owner = found[i].second;
      if (amplitudes[owner][bin] >= strongest * std::pow(10.0, -45.0 / 20.0))
        bins[owner].push_back(bin);
    }
    return multitone_design_of_bins(sample_rate_hz, n, std::move(bins), reference_hz);
  }
  throw MeasurementError(
      "no designed multitone found: no power-of-two period from " +
      std::to_string(kSmallestPeriod) + " to " + std::to_string(frames) +
      " frames has three or more tones, every one centred on an odd bin (noise, a sine or "
      "another multitone); give the design with --design CSV");
}

std::size_t steady_periods(std::span<const double> x, std::size_t n) {
  const std::size_t count = x.size() / n;
  if (count <= 1) return count;
  const auto period = [&](std::size_t j) { return x.subspan(x.size() - (count - j) * n, n); };
  const auto last = period(count - 1);
  std::vector<double> differs(count - 1);
  for (std::size_t j = 0; j + 1 < count; ++j)
    differs[j] = mean_square_of_difference(period(j), last);
  const double least = *std::min_element(differs.begin(), differs.end());
  std::size_t steady = 1;
  for (std::size_t j = count - 1; j-- > 0 && differs[j] <= 4.0 * least + 1e-30;) ++steady;
  return steady;
}

}  // namespace ampbench::dsp
