#include "dsp/tone_analysis.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <complex>
#include <cstdio>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "dsp/units.hpp"

namespace ampbench::dsp {
namespace {

struct BinRange {
  long first = 0;
  long last = -1;  // inclusive; empty when last < first
};

BinRange intersect(BinRange a, BinRange b) {
  return {std::max(a.first, b.first), std::min(a.last, b.last)};
}

BinRange band_bins(const PowerSpectrum& s, FrequencyBand band) {
  const long nyquist_bin = static_cast<long>(s.bin_mean_square.size()) - 1;
  const double width = s.bin_width_hz();
  const long first = static_cast<long>(std::ceil(band.low_hz / width - 1e-9));
  const double high = std::min(band.high_hz, s.sample_rate_hz / 2.0);
  const long last = static_cast<long>(std::floor(high / width + 1e-9));
  return {std::clamp(first, 0L, nyquist_bin), std::clamp(last, 0L, nyquist_bin)};
}

// Bins holding a tone at `bin` (fractional): the window's main lobe plus one bin of margin
// for a tone between bins.
BinRange lobe_bins(const PowerSpectrum& s, double bin) {
  const long centre = std::lround(bin);
  const long half = s.main_lobe_half_width_bins + 1;
  const long nyquist_bin = static_cast<long>(s.bin_mean_square.size()) - 1;
  return {std::max(centre - half, 0L), std::min(centre + half, nyquist_bin)};
}

// Four running sums break the add-latency chain; the result differs from a serial sum
// only in the last bits.
double sum_bins(const PowerSpectrum& s, BinRange r) {
  if (r.last < r.first) return 0.0;
  const double* p = s.bin_mean_square.data() + r.first;
  const std::size_t n = static_cast<std::size_t>(r.last - r.first + 1);
  double acc[4] = {0.0, 0.0, 0.0, 0.0};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    acc[0] += p[i];
    acc[1] += p[i + 1];
    acc[2] += p[i + 2];
    acc[3] += p[i + 3];
  }
  for (; i < n; ++i) acc[0] += p[i];
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// Peak bin within r, refined to a fraction of a bin by a parabola through the log powers
// of the peak and its neighbours (exact for a Gaussian lobe, within 1e-3 bin for BH7).
double refined_peak_bin(const PowerSpectrum& s, BinRange r) {
  long peak = r.first;
  for (long k = r.first; k <= r.last; ++k) {
    if (s.bin_mean_square[static_cast<std::size_t>(k)] >
        s.bin_mean_square[static_cast<std::size_t>(peak)])
      peak = k;
  }
  const long nyquist_bin = static_cast<long>(s.bin_mean_square.size()) - 1;
  if (peak <= 0 || peak >= nyquist_bin) return static_cast<double>(peak);
  const auto at = [&](long k) {
    return std::log(std::max(s.bin_mean_square[static_cast<std::size_t>(k)], 1e-300));
  };
  const double left = at(peak - 1), centre = at(peak), right = at(peak + 1);
  const double curvature = left - 2.0 * centre + right;
  if (curvature >= 0.0) return static_cast<double>(peak);
  const double offset = 0.5 * (left - right) / curvature;
  return static_cast<double>(peak) + std::clamp(offset, -0.5, 0.5);
}

// A searched fundamental must stand out of its neighbourhood (a third of an octave each
// side, at least eight lobe widths, its own lobe left out): noise's largest bin lies
// about 12 dB above the neighbours' median (the largest of thousands of exponential
// draws), a tone tens of dB above. Below 20 dB it is noise, and its "THD" would be a
// number about nothing. Local, so pink noise or hum far away does not count.
// How far the peak stands above that median, in dB: +inf over a silent neighbourhood,
// nullopt where the band leaves fewer than 16 neighbours to judge by.
std::optional<double> prominence_db(const PowerSpectrum& s, BinRange band, BinRange lobe,
                                    double peak_bin) {
  const long reach = std::max(8L * s.main_lobe_half_width_bins, std::lround(0.26 * peak_bin));
  std::vector<double> around;
  for (long k = std::max(band.first, std::lround(peak_bin) - reach);
       k <= std::min(band.last, std::lround(peak_bin) + reach); ++k)
    if (k < lobe.first || k > lobe.last)
      around.push_back(s.bin_mean_square[static_cast<std::size_t>(k)]);
  if (around.size() < 16) return std::nullopt;
  const auto middle = around.begin() + static_cast<long>(around.size() / 2);
  std::nth_element(around.begin(), middle, around.end());
  const double peak = s.bin_mean_square[static_cast<std::size_t>(std::lround(peak_bin))];
  if (!(*middle > 0.0)) return std::numeric_limits<double>::infinity();
  return power_ratio_to_db(peak / *middle);
}

// A searched fundamental is the band's largest peak; where a stronger tone stands outside the
// band (a 24 kHz tone measured in a 20 kHz band), the band's peak is not the tone meant — a
// spur of it perhaps, 170 dB down — and which tone is meant is the user's to say.
void require_the_strongest_in_band(const PowerSpectrum& s, BinRange band, double peak_bin) {
  const long dc_lobe_end = s.main_lobe_half_width_bins + 1;
  const long nyquist_bin = static_cast<long>(s.bin_mean_square.size()) - 1;
  const double in_band = s.bin_mean_square[static_cast<std::size_t>(std::lround(peak_bin))];
  std::optional<long> stronger;
  const BinRange own = lobe_bins(s, peak_bin);
  for (long k = dc_lobe_end + 1; k <= nyquist_bin; ++k) {
    if ((k >= band.first && k <= band.last) || (k >= own.first && k <= own.last)) continue;
    const double v = s.bin_mean_square[static_cast<std::size_t>(k)];
    if (v > in_band && (!stronger || v > s.bin_mean_square[static_cast<std::size_t>(*stronger)]))
      stronger = k;
  }
  if (!stronger) return;
  const double outside_bin = refined_peak_bin(s, {*stronger, *stronger});
  // Noise above the band (a DAC's shaped noise) is no tone.
  const auto outside_prominence =
      prominence_db(s, {dc_lobe_end + 1, nyquist_bin}, lobe_bins(s, outside_bin), outside_bin);
  if (outside_prominence && *outside_prominence < kTonePresentDb) return;
  const double outside_dbfs = mean_square_to_dbfs(sum_bins(s, lobe_bins(s, outside_bin)));
  char text[300];
  std::snprintf(
      text, sizeof text,
      "the strongest tone, at %.1f Hz (%.1f dBFS), lies outside the measurement band "
      "(%.0f to %.0f Hz); the band's largest peak, at %.1f Hz, is %.1f dB below it: "
      "widen the band or name the fundamental",
      outside_bin * s.bin_width_hz(), outside_dbfs, band.first * s.bin_width_hz(),
      band.last * s.bin_width_hz(), peak_bin * s.bin_width_hz(),
      power_ratio_to_db(s.bin_mean_square[static_cast<std::size_t>(*stronger)] / in_band));
  throw MeasurementError(text);
}

void require_a_tone(const PowerSpectrum& s, std::optional<double> prominence, double peak_bin) {
  if (!prominence || *prominence >= kTonePresentDb) return;
  char text[200];
  std::snprintf(text, sizeof text,
                "no tone found: the largest peak (%.1f Hz) stands %.1f dB above its "
                "neighbours, as noise does (a tone stands 20 dB or more above them)",
                peak_bin * s.bin_width_hz(), *prominence);
  throw MeasurementError(text);
}

}  // namespace

FrequencyBand parse_band(std::string_view text) {
  if (text == "full") return FrequencyBand::full();
  const auto colon = text.find(':');
  const auto bad = [&](const std::string& why) {
    return UsageError("--band '" + std::string(text) + "': " + why);
  };
  if (colon == std::string_view::npos) throw bad("expected LOW:HIGH in Hz, or full");
  const auto parse = [&](std::string_view part) {
    double value = 0.0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc() || ptr != part.data() + part.size() || !std::isfinite(value))
      throw bad("'" + std::string(part) + "' is not a number of Hz");
    return value;
  };
  FrequencyBand band{parse(text.substr(0, colon)), parse(text.substr(colon + 1))};
  if (band.low_hz < 0.0) throw bad("the low edge must not be negative");
  if (band.high_hz <= band.low_hz) throw bad("the high edge must be above the low edge");
  return band;
}

ThdnMethod parse_thdn_method(std::string_view name) {
  if (name == "fft") return ThdnMethod::fft;
  if (name == "notch") return ThdnMethod::notch;
  throw UsageError("unknown THD+N method '" + std::string(name) + "' (expected fft or notch)");
}

double ToneAnalysis::thd_db() const {
  return amplitude_ratio_to_db(thd_ratio);
}
double ToneAnalysis::thdn_db() const {
  return amplitude_ratio_to_db(thdn_ratio);
}

double notch_power_gain(double frequency_hz, double notch_hz, double q) {
  const double d = notch_hz * notch_hz - frequency_hz * frequency_hz;
  const double damping = frequency_hz * notch_hz / q;
  const double denominator = d * d + damping * damping;
  return denominator > 0.0 ? d * d / denominator : 0.0;
}

double dynamic_range_db(const ToneAnalysis& analysis, double max_re_level_db) {
  return max_re_level_db - analysis.thdn_db();
}

double tone_mean_square_at(const PowerSpectrum& s, double frequency_hz) {
  return sum_bins(s, lobe_bins(s, frequency_hz / s.bin_width_hz()));
}

std::optional<double> tone_prominence_db(const PowerSpectrum& s, double frequency_hz) {
  const BinRange lobe = lobe_bins(s, frequency_hz / s.bin_width_hz());
  const double peak = refined_peak_bin(s, lobe);
  const BinRange everything = {1, static_cast<long>(s.bin_mean_square.size()) - 1};
  return prominence_db(s, everything, lobe_bins(s, peak), peak);
}

double band_rms_fs(const PowerSpectrum& s, FrequencyBand band, Weighting weighting) {
  const BinRange r = band_bins(s, band);
  double sum = 0.0;
  for (long k = r.first; k <= r.last; ++k) {
    const auto i = static_cast<std::size_t>(k);
    sum += s.bin_mean_square[i] * weighting_power_gain(weighting, s.bin_frequency_hz(i));
  }
  return std::sqrt(sum);
}

double tone_phase_rad(std::span<const double> samples, double frequency_hz, double sample_rate_hz) {
  if (samples.size() < kMinimumAnalysisFrames)
    throw MeasurementError("block of " + std::to_string(samples.size()) +
                           " samples is too short for a phase");
  const auto cached = cached_window(WindowKind::blackman_harris_7, samples.size());
  const std::vector<double>& window = cached->samples;
  double mean = 0.0;
  for (std::size_t n = 0; n < samples.size(); ++n) mean += window[n] * samples[n];
  mean /= cached->sum;
  // x = A·sin(ωn + φ) = A·cos φ·sin ωn + A·sin φ·cos ωn: the two projections are in the
  // ratio cos φ : sin φ. The rotating phasor is re-seeded every block, as in generate_tones.
  const double cycles_per_sample = frequency_hz / sample_rate_hz;
  const std::complex<double> step = std::polar(1.0, 2.0 * std::numbers::pi * cycles_per_sample);
  std::complex<double> sum = 0.0;
  std::complex<double> z = 1.0;
  for (std::size_t n = 0; n < samples.size(); ++n) {
    if (n % 1024 == 0) {
      const double cycles = cycles_per_sample * static_cast<double>(n);
      z = std::polar(1.0, 2.0 * std::numbers::pi * (cycles - std::floor(cycles)));
    }
    sum += window[n] * (samples[n] - mean) * z;  // z = cos ωn + j·sin ωn
    z *= step;
  }
  if (!(std::abs(sum) > 0.0)) throw MeasurementError("no signal at the tone's frequency");
  return std::atan2(sum.real(), sum.imag());
}

std::size_t frames_resolving_harmonics(double frequency_hz, double sample_rate_hz,
                                       WindowKind window) {
  const double lobe_half = main_lobe_half_width_bins(window) + 1;
  return static_cast<std::size_t>(
      std::ceil((2.0 * lobe_half + 1.0) * sample_rate_hz / frequency_hz));
}

std::optional<int> polarity_of_phase_deg(double phase_deg) {
  const double c = std::cos(phase_deg * std::numbers::pi / 180.0);
  if (c >= 0.5) return 1;
  if (c <= -0.5) return -1;
  return std::nullopt;
}

ToneAnalysis analyze_tone(std::span<const double> samples, double sample_rate_hz,
                          const ToneAnalysisOptions& options) {
  if (samples.size() < kMinimumAnalysisFrames) {
    throw MeasurementError("block of " + std::to_string(samples.size()) +
                           " samples is too short: tone analysis needs at least " +
                           std::to_string(kMinimumAnalysisFrames));
  }
  thread_local PowerSpectrum spectrum;
  compute_power_spectrum(samples, sample_rate_hz, options.window, spectrum, DcLevel::remove);
  return analyze_tone_spectrum(spectrum, options);
}

ToneAnalysis analyze_tone_spectrum(const PowerSpectrum& s, const ToneAnalysisOptions& options) {
  // NaN or infinity anywhere in the block spreads over every bin; nothing can be measured.
  if (!std::isfinite(sum_bins(s, {0, static_cast<long>(s.bin_mean_square.size()) - 1})))
    throw MeasurementError("the signal holds non-finite samples (NaN or infinity)");
  const BinRange band = band_bins(s, options.band);
  const double bin_hz = s.bin_width_hz();
  const long dc_lobe_end = s.main_lobe_half_width_bins + 1;

  // A lobe's width beyond the band each side: a tone on the band's edge is found at its own
  // bin, and one just beyond it is said to be outside (below), not read from its skirt.
  const long nyquist_bin = static_cast<long>(s.bin_mean_square.size()) - 1;
  BinRange search =
      intersect({band.first - s.main_lobe_half_width_bins, band.last + s.main_lobe_half_width_bins},
                {dc_lobe_end + 1, nyquist_bin});
  if (options.fundamental_hz) {
    const double expected = *options.fundamental_hz / bin_hz;
    const long reach = s.main_lobe_half_width_bins;
    search = intersect({std::lround(expected) - reach, std::lround(expected) + reach},
                       {0, static_cast<long>(s.bin_mean_square.size()) - 1});
  }
  if (search.last < search.first) {
    throw MeasurementError("no bins to search for the fundamental in the band");
  }
  const double fundamental_bin = refined_peak_bin(s, search);
  const BinRange fundamental = lobe_bins(s, fundamental_bin);
  const auto prominence = prominence_db(s, band, fundamental, fundamental_bin);
  if (!options.fundamental_hz) {
    require_a_tone(s, prominence, fundamental_bin);
    require_the_strongest_in_band(s, band, fundamental_bin);
  }

  ToneAnalysis result;
  result.prominence_db = prominence;
  result.dc_fs = s.dc_fs;
  result.frequency_hz = fundamental_bin * bin_hz;
  result.fundamental_mean_square_fs = sum_bins(s, fundamental);
  if (!(result.fundamental_mean_square_fs > 0.0)) {
    if (s.dc_fs != 0.0) {
      char text[120];
      std::snprintf(text, sizeof text, "no tone found: the signal holds only DC (%.4g FS)",
                    s.dc_fs);
      throw MeasurementError(text);
    }
    throw MeasurementError("no tone found: the signal is silent");
  }
  const double tolerance_hz = 0.5 * bin_hz;
  if (result.frequency_hz < options.band.low_hz - tolerance_hz ||
      result.frequency_hz > std::min(options.band.high_hz, s.sample_rate_hz / 2.0) + tolerance_hz) {
    char text[200];
    std::snprintf(text, sizeof text,
                  "the tone at %.1f Hz lies outside the measurement band (%g to %g Hz): widen "
                  "the band",
                  result.frequency_hz, options.band.low_hz,
                  std::min(options.band.high_hz, s.sample_rate_hz / 2.0));
    throw MeasurementError(text);
  }
  result.level_dbfs = mean_square_to_dbfs(result.fundamental_mean_square_fs);

  const bool notch = options.thdn_method == ThdnMethod::notch;
  const auto residual_gain = [&](std::size_t k) {
    const double f = s.bin_frequency_hz(k);
    double gain = weighting_power_gain(options.weighting, f);
    if (notch) gain *= notch_power_gain(f, result.frequency_hz, options.notch_q);
    return gain;
  };
  const bool weighted = notch || options.weighting != Weighting::none;
  const auto residual_sum = [&](BinRange r, double& unweighted) {
    const double plain = sum_bins(s, r);
    unweighted += plain;
    if (!weighted) return plain;
    double sum = 0.0;
    for (long k = r.first; k <= r.last; ++k) {
      const auto i = static_cast<std::size_t>(k);
      sum += s.bin_mean_square[i] * residual_gain(i);
    }
    return sum;
  };

  const double nyquist_hz = s.sample_rate_hz / 2.0;
  const double band_high_hz = std::min(options.band.high_hz, nyquist_hz);
  const long lobe_half = s.main_lobe_half_width_bins + 1;
  if (options.max_harmonic_order >= 2 && 2.0 * result.frequency_hz <= band_high_hz &&
      fundamental_bin <= 2.0 * lobe_half) {
    // H2's lobe overlaps the fundamental's (and each harmonic its neighbour's): a harmonic
    // would be dropped or counted twice, and THD+N would miss what the fundamental's lobe
    // hides. Nothing is reported rather than a figure that is quietly too low.
    const double frames = static_cast<double>(2 * (s.bin_mean_square.size() - 1));
    char text[240];
    std::snprintf(text, sizeof text,
                  "H2 at %.4g Hz falls inside the %.4g Hz fundamental's window lobe in a %.3g s "
                  "block: telling them apart needs %.3g s",
                  2.0 * result.frequency_hz, result.frequency_hz, frames / s.sample_rate_hz,
                  static_cast<double>(
                      frames_resolving_harmonics(result.frequency_hz, s.sample_rate_hz, s.window)) /
                      s.sample_rate_hz);
    result.unresolved = text;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    result.thd_ratio = result.thd_r_ratio = result.thdn_ratio = nan;
    result.sinad_db = result.snr_db = nan;
    result.noise_mean_square_fs = nan;
    double unweighted = 0.0;
    result.residual_mean_square_fs =
        residual_sum(intersect(band, {band.first, fundamental.first - 1}), unweighted) +
        residual_sum(intersect(band, {fundamental.last + 1, band.last}), unweighted);
    result.total_mean_square_fs = result.fundamental_mean_square_fs + unweighted;
    return result;
  }

  // One band for THD, THD+N, SINAD and SNR: a harmonic whose centre lies in it counts whole —
  // its entire window lobe, even where the lobe straddles the band's edge — in THD, in the
  // THD+N and SINAD residual, and is left out of SNR's noise whole; one whose centre lies
  // above the edge counts in none of them. So THD+N ≥ THD by construction.
  double harmonic_sum = 0.0;
  BinRange residual_bins = band;
  std::vector<BinRange> harmonic_lobes;
  for (int order = 2; order <= options.max_harmonic_order; ++order) {
    const double harmonic_bin = fundamental_bin * order;
    const double harmonic_hz = harmonic_bin * bin_hz;
    if (harmonic_hz > band_high_hz) break;
    const BinRange lobe = lobe_bins(s, harmonic_bin);
    const double power = sum_bins(s, lobe);
    result.harmonics.push_back(
        {order, harmonic_hz, power_ratio_to_db(power / result.fundamental_mean_square_fs), power});
    harmonic_sum += power;
    residual_bins.last = std::max(residual_bins.last, lobe.last);
    if (order <= options.snr_excluded_harmonic_order) harmonic_lobes.push_back(lobe);
  }

  // Summed directly (not as total minus fundamental) so a -150 dB residual keeps its digits.
  double unweighted_residual = 0.0;
  const BinRange below = intersect(residual_bins, {residual_bins.first, fundamental.first - 1});
  const BinRange above = intersect(residual_bins, {fundamental.last + 1, residual_bins.last});
  const double measured_residual =
      residual_sum(below, unweighted_residual) + residual_sum(above, unweighted_residual);
  // SNR's noise: the residual less the excluded harmonics' lobes.
  double noise = measured_residual, unweighted_noise = unweighted_residual;
  long noise_bins = (below.last - below.first + 1) + (above.last - above.first + 1);
  for (const auto& lobe : harmonic_lobes) {  // each lies within residual_bins
    double plain = 0.0;
    noise -= residual_sum(lobe, plain);
    unweighted_noise -= plain;
    noise_bins -= lobe.last - lobe.first + 1;
  }
  noise = std::max(noise, 0.0);
  // The noise under the excluded lobes (the fundamental's, the harmonics') is not lost: it is
  // estimated from the mean density of the bins left (as MATLAB's snr does), or every short
  // capture would read too little noise. Weighting's gain at each lobe is applied to its bins.
  // THD+N and SINAD miss the noise under the fundamental's lobe; SNR also under the harmonics'.
  double under_fundamental = 0.0, under_harmonics = 0.0;
  if (noise_bins > 0) {
    const double density = std::max(unweighted_noise, 0.0) / static_cast<double>(noise_bins);
    const auto under = [&](BinRange lobe) {
      double sum = 0.0;
      for (long k = lobe.first; k <= lobe.last; ++k)
        sum += density * (weighted ? residual_gain(static_cast<std::size_t>(k)) : 1.0);
      return sum;
    };
    under_fundamental = under(intersect(residual_bins, fundamental));
    for (const auto& lobe : harmonic_lobes) under_harmonics += under(lobe);
  }
  result.residual_mean_square_fs = measured_residual + under_fundamental;
  result.total_mean_square_fs = result.fundamental_mean_square_fs + unweighted_residual;

  if (result.harmonics.empty()) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "no harmonic of %.4g Hz lies in the band (up to %.4g Hz): THD does not exist "
                  "here",
                  result.frequency_hz, band_high_hz);
    result.no_harmonic = text;
  }
  result.thd_ratio = result.harmonics.empty()
                         ? std::numeric_limits<double>::quiet_NaN()
                         : std::sqrt(harmonic_sum / result.fundamental_mean_square_fs);
  result.thd_r_ratio = std::sqrt(harmonic_sum / (harmonic_sum + result.fundamental_mean_square_fs));
  result.thdn_ratio = std::sqrt(result.residual_mean_square_fs / result.total_mean_square_fs);
  result.sinad_db = power_ratio_to_db(result.fundamental_mean_square_fs /
                                      std::max(result.residual_mean_square_fs, 1e-300));
  result.noise_mean_square_fs = noise + under_fundamental + under_harmonics;
  result.snr_db = power_ratio_to_db(result.fundamental_mean_square_fs /
                                    std::max(result.noise_mean_square_fs, 1e-300));
  if (result.sinad_db > kAnalysisFloorDb || result.snr_db > kAnalysisFloorDb) {
    result.at_floor = true;
    result.sinad_db = std::min(result.sinad_db, kAnalysisFloorDb);
    result.snr_db = std::min(result.snr_db, kAnalysisFloorDb);
    result.thdn_ratio = std::max(result.thdn_ratio, db_to_amplitude_ratio(-kAnalysisFloorDb));
  }
  return result;
}

}  // namespace ampbench::dsp
