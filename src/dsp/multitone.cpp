#include "dsp/multitone.hpp"

#include <algorithm>
#include <cmath>
#include <future>
#include <numbers>
#include <set>
#include <span>
#include <stdexcept>
#include <string>

#include "dsp/fft.hpp"
#include "dsp/true_peak.hpp"
#include "dsp/window.hpp"

namespace ampbench::dsp {
namespace {

using Complex = std::complex<double>;

// One period of unit-amplitude tones at these bins and phases into `out` (the transform's
// length), with `spectrum` as the transform's workspace: the search below synthesises 150
// periods and allocates nothing while it does.
void synthesise_into(const std::vector<std::size_t>& bins, const std::vector<double>& phases,
                     const RealFft& fft, AlignedBuffer<Complex>& spectrum,
                     AlignedBuffer<double>& out) {
  std::fill(spectrum.data(), spectrum.data() + spectrum.size(), Complex{});
  // A·sin(θ + φ) holds −i·(N·A/2)·e^{iφ} at its bin; the inverse is unnormalised.
  for (std::size_t k = 0; k < bins.size(); ++k)
    spectrum[bins[k]] = Complex(0.0, -0.5) * std::polar(1.0, phases[k]);
  fft.inverse(spectrum.data(), out.data());
}

std::vector<double> synthesise(const std::vector<std::size_t>& bins,
                               const std::vector<double>& phases, std::size_t n) {
  const auto fft = RealFft::for_size(n);
  AlignedBuffer<Complex> spectrum(fft->spectrum_size());
  AlignedBuffer<double> out(n);
  synthesise_into(bins, phases, *fft, spectrum, out);
  return {out.data(), out.data() + n};
}

double crest_of(std::span<const double> x) {
  double peak = 0.0, ms = 0.0;
  for (double v : x) {
    peak = std::max(peak, std::abs(v));
    ms += v * v;
  }
  return peak / std::sqrt(ms / static_cast<double>(x.size()));
}

// Newman's phases, then clipping iterations (Van der Ouderaa): clip the period at 1.4 times
// its rms, keep the tones' phases of the clipped signal (their amplitudes stay equal). The
// lowest crest seen is kept. For 31 log-spaced tones Newman alone gives about 3.9 (the
// tones are sparse, not consecutive harmonics), random phases about 3.5, the iterations
// about 3.1 (9.8 dB).
std::vector<double> low_crest_phases(const std::vector<std::size_t>& bins, std::size_t n,
                                     double& crest) {
  const auto count = static_cast<double>(bins.size());
  std::vector<double> phases(bins.size());
  for (std::size_t k = 0; k < bins.size(); ++k)
    phases[k] = std::numbers::pi * static_cast<double>(k * k) / count;
  std::vector<double> best = phases;
  const auto fft = RealFft::for_size(n);
  AlignedBuffer<double> x(n), clipped(n);
  AlignedBuffer<Complex> spectrum(fft->spectrum_size());
  synthesise_into(bins, phases, *fft, spectrum, x);
  crest = crest_of({x.data(), n});
  for (int iteration = 0; iteration < 150; ++iteration) {
    double ms = 0.0;
    for (std::size_t i = 0; i < n; ++i) ms += x[i] * x[i];
    const double level = 1.4 * std::sqrt(ms / static_cast<double>(n));
    for (std::size_t i = 0; i < n; ++i) clipped[i] = std::clamp(x[i], -level, level);
    fft->forward(clipped.data(), spectrum.data());
    for (std::size_t k = 0; k < bins.size(); ++k)
      phases[k] = std::arg(spectrum[bins[k]] * Complex(0.0, 1.0));
    synthesise_into(bins, phases, *fft, spectrum, x);
    if (const double c = crest_of({x.data(), n}); c < crest) {
      crest = c;
      best = phases;
    }
  }
  return best;
}

}  // namespace

std::size_t nearest_tone(const std::vector<std::size_t>& bins, double bin_hz, double hz) {
  std::size_t nearest = 0;
  for (std::size_t k = 1; k < bins.size(); ++k)
    if (std::abs(std::log(static_cast<double>(bins[k]) * bin_hz / hz)) <
        std::abs(std::log(static_cast<double>(bins[nearest]) * bin_hz / hz)))
      nearest = k;
  return nearest;
}

std::size_t default_multitone_period(double sample_rate_hz) {
  return std::size_t{1} << static_cast<int>(std::lround(std::log2(sample_rate_hz / 3.0)));
}

int tones_for_octaves(double per_octave, double from_hz, double to_hz) {
  return static_cast<int>(std::ceil(per_octave * std::log2(to_hz / from_hz))) + 1;
}

MultitoneDesign multitone_layout(const MultitoneRequest& r) {
  const std::size_t n = r.period_frames;
  if (n < 1024 || (n & (n - 1)) != 0)
    throw std::invalid_argument("the multitone's length must be a power of two of 1024 or more");
  if (r.channels < 1 || r.tones_per_channel < 1)
    throw std::invalid_argument("a multitone needs at least one channel and one tone");
  if (!(r.from_hz > 0.0) || !(r.to_hz > r.from_hz) || r.to_hz >= r.sample_rate_hz / 2.0)
    throw std::invalid_argument("the multitone's band must lie between 0 Hz and half the rate");
  MultitoneDesign d;
  d.sample_rate_hz = r.sample_rate_hz;
  d.period_frames = n;
  d.bins.assign(r.channels, {});
  const double bin_hz = r.sample_rate_hz / static_cast<double>(n);
  const auto last_bin = static_cast<std::size_t>(std::floor(r.to_hz / bin_hz));
  const std::size_t targets = r.channels * static_cast<std::size_t>(r.tones_per_channel);
  // The highest target is the band's last odd bin, so rounding never pushes it out.
  const double top_hz = static_cast<double>(last_bin % 2 ? last_bin : last_bin - 1) * bin_hz;
  std::set<std::size_t> used, forbidden;
  std::size_t previous = 0;
  for (std::size_t j = 0; j < targets; ++j) {
    const double f =
        targets == 1
            ? r.from_hz
            : r.from_hz * std::pow(top_hz / r.from_hz,
                                   static_cast<double>(j) / static_cast<double>(targets - 1));
    auto bin = static_cast<std::size_t>(std::llround(f / bin_hz));
    bin = std::max({bin, previous + 1, std::size_t{3}});
    bin |= 1;  // odd: even-order products land between the tones
    while (used.count(bin) || forbidden.count(bin)) bin += 2;
    if (bin > last_bin)
      throw std::invalid_argument(std::to_string(targets) + " tones do not fit between " +
                                  std::to_string(r.from_hz) + " and " + std::to_string(r.to_hz) +
                                  " Hz on " + std::to_string(bin_hz) +
                                  " Hz bins: fewer tones, or a longer period");
    used.insert(bin);
    forbidden.insert({3 * bin, 5 * bin});
    d.bins[j % r.channels].push_back(bin);
    previous = bin;
  }
  for (std::size_t c = 0; c < r.channels; ++c)
    d.reference.push_back(nearest_tone(d.bins[c], bin_hz, r.reference_hz));
  return d;
}

MultitoneDesign design_multitone(const MultitoneRequest& r) {
  MultitoneDesign d = multitone_layout(r);
  const std::size_t n = r.period_frames;
  struct ChannelDesign {
    std::vector<double> phases_rad;
    double crest_factor = 0.0;
  };
  const auto design_channel = [n](const std::vector<std::size_t>& bins) {
    ChannelDesign channel;
    double crest = 0.0;
    channel.phases_rad = low_crest_phases(bins, n, crest);
    // The safety checks judge what the DAC reconstructs: the period's true peak, which lies a
    // few per cent above its samples' (the search above needs only to rank phases).
    const auto period = synthesise(bins, channel.phases_rad, n);
    double ms = 0.0;
    for (double v : period) ms += v * v;
    channel.crest_factor =
        true_peak(period, true) / std::sqrt(ms / static_cast<double>(period.size()));
    return channel;
  };
  // The channels' searches are independent and each costs tens of milliseconds: a process
  // that designs before its first step (validate, run) waits for the slowest, not the sum.
  std::vector<std::future<ChannelDesign>> channels;
  for (std::size_t c = 0; c < r.channels; ++c)
    channels.push_back(std::async(std::launch::async, design_channel, std::cref(d.bins[c])));
  for (auto& channel : channels) {
    auto designed = channel.get();
    d.phases_rad.push_back(std::move(designed.phases_rad));
    d.crest_factor.push_back(designed.crest_factor);
  }
  return d;
}

double multitone_tone_peak(const MultitoneDesign& design, std::size_t channel, double rms_fs) {
  return rms_fs * std::sqrt(2.0 / static_cast<double>(design.bins[channel].size()));
}

std::vector<double> multitone_period(const MultitoneDesign& design, std::size_t channel,
                                     double rms_fs) {
  auto x = synthesise(design.bins[channel], design.phases_rad[channel], design.period_frames);
  const double scale = multitone_tone_peak(design, channel, rms_fs);
  for (double& v : x) v *= scale;
  return x;
}

MultitoneSpectrum analyse_multitone(std::span<const double> periods,
                                    const MultitoneDesign& design) {
  const std::size_t n = design.period_frames;
  const std::size_t count = periods.size() / n;
  if (count == 0) throw std::invalid_argument("a multitone analysis needs one whole period");
  const auto fft = RealFft::for_size(n);
  const auto window = cached_window(WindowKind::hann, n);
  AlignedBuffer<double> block(n);
  AlignedBuffer<Complex> spectrum(fft->spectrum_size());
  MultitoneSpectrum out;
  out.power.assign(fft->spectrum_size(), 0.0);
  out.tones.resize(design.bins.size());
  for (std::size_t c = 0; c < design.bins.size(); ++c)
    out.tones[c].assign(design.bins[c].size(), Complex{});
  // A·sin(θ + φ) at bin b gives −i·A·e^{iφ}·Σw/2 there.
  const Complex to_phasor = Complex(0.0, 2.0) / window->sum;
  const double to_power = 2.0 / (static_cast<double>(n) * window->sum_of_squares);
  for (std::size_t p = 0; p < count; ++p) {
    double weighted = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      block[i] = periods[p * n + i] * window->samples[i];
      weighted += block[i];
    }
    out.dc_fs += weighted / window->sum / static_cast<double>(count);
    fft->forward(block.data(), spectrum.data());
    for (std::size_t b = 1; b < out.power.size(); ++b)
      out.power[b] += std::norm(spectrum[b]) * to_power / static_cast<double>(count);
    for (std::size_t c = 0; c < design.bins.size(); ++c)
      for (std::size_t k = 0; k < design.bins[c].size(); ++k)
        out.tones[c][k] += spectrum[design.bins[c][k]] * to_phasor / static_cast<double>(count);
  }
  return out;
}

MultitoneResidual multitone_residual(const MultitoneSpectrum& s, const MultitoneDesign& design,
                                     double band_from_hz, double band_to_hz, std::size_t averages) {
  const double bin_hz = design.bin_hz();
  const std::size_t top = s.power.size() - 1;
  const auto first =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(band_from_hz / bin_hz)));
  const auto last = std::min(top, static_cast<std::size_t>(std::floor(band_to_hz / bin_hz)));
  std::vector<char> tone(s.power.size() + 2, 0), near(s.power.size() + 3, 0);
  for (const auto& bins : design.bins)
    for (std::size_t b : bins) {
      for (std::size_t k = b - 1; k <= b + 1 && k <= top; ++k) tone[k] = 1;
      // Noise bins keep clear of tones and of their harmonics 2 to 5 (±2 bins).
      for (std::size_t h = 1; h <= 5; ++h)
        for (std::size_t k = h * b - 2; k <= h * b + 2 && k <= top; ++k) near[k] = 1;
    }
  MultitoneResidual r;
  std::vector<double> quiet;
  // A tone at the band's edge brings its whole lobe.
  if (first > 1 && tone[first - 1]) r.total_ms += s.power[first - 1];
  if (last < top && tone[last + 1]) r.total_ms += s.power[last + 1];
  for (std::size_t b = first; b <= last; ++b) {
    r.total_ms += s.power[b];
    if (!tone[b]) r.residual_ms += s.power[b];
    if (!near[b]) quiet.push_back(s.power[b]);
  }
  if (!quiet.empty()) {
    // A bin's power averaged over K periods is Gamma(K)-distributed about its mean; its
    // median is ln 2 of the mean for K = 1, and K − 1/3 + 0.0199/K over K beyond.
    const auto k = static_cast<double>(std::max<std::size_t>(averages, 1));
    const double median_over_mean = k == 1.0 ? std::log(2.0) : (k - 1.0 / 3.0 + 0.0199 / k) / k;
    std::nth_element(quiet.begin(), quiet.begin() + static_cast<long>(quiet.size() / 2),
                     quiet.end());
    r.noise_bin_ms = quiet[quiet.size() / 2] / median_over_mean;
    r.noise_ms = r.noise_bin_ms * static_cast<double>(last - first + 1);
  }
  return r;
}

double multitone_own_mean_square(const MultitoneSpectrum& s, std::size_t channel) {
  double ms = 0.0;
  for (const auto& tone : s.tones[channel]) ms += std::norm(tone) / 2.0;
  return ms;
}

bool multitone_present(const MultitoneSpectrum& s, const MultitoneDesign& design,
                       std::size_t channel, const MultitoneResidual& r) {
  return multitone_own_mean_square(s, channel) >
         100.0 * r.noise_bin_ms * static_cast<double>(design.bins[channel].size());
}

MultitoneCrosstalk multitone_crosstalk(const std::vector<MultitoneSpectrum>& spectra,
                                       const MultitoneDesign& d, std::size_t c,
                                       const MultitoneResidual& r) {
  MultitoneCrosstalk x;
  const double own_ms = multitone_own_mean_square(spectra[c], c);
  x.map_ok = multitone_present(spectra[c], d, c, r);
  for (std::size_t other = 0; other < spectra.size(); ++other) {
    if (other == c) continue;
    double leaked_ms = 0.0;
    for (std::size_t k = 0; k < d.bins[other].size(); ++k) {
      const double here = std::norm(spectra[c].tones[other][k]) / 2.0;
      const double there = std::norm(spectra[other].tones[other][k]) / 2.0;
      leaked_ms += here;
      if (!(there > 100.0 * r.noise_bin_ms)) continue;  // nothing in the driving output
      const double db = 10.0 * std::log10(here / there);
      x.points.emplace_back(d.frequency_hz(other, k), db);
      if (db > x.worst_db) {
        x.worst_db = db;
        x.worst_at_noise = here < 10.0 * r.noise_bin_ms;
      }
    }
    if (!(own_ms > 100.0 * leaked_ms)) x.map_ok = false;
  }
  std::sort(x.points.begin(), x.points.end());
  return x;
}

}  // namespace ampbench::dsp
