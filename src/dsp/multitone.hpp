// dsp: designed multitones and their analysis (docs/measurements.md, "Multitone"). A design
// puts each channel's tones on odd FFT bins of one period of N samples (so the signal
// repeats exactly every N samples and even-order products fall between tones), log-spaced
// over a band, interleaved between channels so every channel's set is its own, off the
// 3rd and 5th harmonics of lower tones, with phases chosen for a low crest factor. The
// analysis takes whole periods of a DUT's steady-state output through a Hann window: each
// tone is confined to its bin ±1, and a component that does not repeat with the period
// (mains hum) falls off 18 dB per octave instead of leaking over the band.
#pragma once

#include <complex>
#include <cstddef>
#include <limits>
#include <span>
#include <utility>
#include <vector>

namespace ampbench::dsp {

struct MultitoneRequest {
  double sample_rate_hz = 48000.0;
  std::size_t period_frames = 32768;  // N: the analysis length, a power of two
  double from_hz = 20.0;
  double to_hz = 20000.0;
  int tones_per_channel = 31;
  std::size_t channels = 1;
  double reference_hz = 1000.0;  // each channel's reference tone is its nearest to this
};

struct MultitoneDesign {
  double sample_rate_hz = 0.0;
  std::size_t period_frames = 0;
  std::vector<std::vector<std::size_t>> bins;   // per channel, ascending
  std::vector<std::vector<double>> phases_rad;  // per channel and tone: A·sin(2πbn/N + φ)
  std::vector<std::size_t> reference;           // per channel: the index of its reference tone
  std::vector<double> crest_factor;             // per channel: peak / rms of one period

  double bin_hz() const { return sample_rate_hz / static_cast<double>(period_frames); }
  double frequency_hz(std::size_t channel, std::size_t tone) const {
    return static_cast<double>(bins[channel][tone]) * bin_hz();
  }
};

// The index of the tone nearest `hz` (on a log scale) among ascending bins.
std::size_t nearest_tone(const std::vector<std::size_t>& bins, double bin_hz, double hz);

// The default period: the power of two nearest a third of a second (32768 at 96 kHz).
std::size_t default_multitone_period(double sample_rate_hz);

// Tones per channel for a density per octave over a band: one at each end and
// `per_octave` in every octave between.
int tones_for_octaves(double per_octave, double from_hz, double to_hz);

// Throws std::invalid_argument when the band cannot hold the tones at this length.
MultitoneDesign design_multitone(const MultitoneRequest& request);
// The same design's tones and reference tones alone (phases and crest factors empty): cheap,
// and the same for the same request, for a design whose phases were kept.
MultitoneDesign multitone_layout(const MultitoneRequest& request);

// One period of a channel's signal, every tone of equal amplitude, scaled to `rms_fs`.
std::vector<double> multitone_period(const MultitoneDesign& design, std::size_t channel,
                                     double rms_fs);
// The peak amplitude of each tone of that signal.
double multitone_tone_peak(const MultitoneDesign& design, std::size_t channel, double rms_fs);

// Whole periods of one captured channel, analysed.
struct MultitoneSpectrum {
  // Per design channel and tone: the captured component at that tone's bin as a peak
  // phasor A·e^{iφ} (for A·sin(2πbn/N + φ) from the block's first sample), averaged over
  // the periods.
  std::vector<std::vector<std::complex<double>>> tones;
  // Mean square per bin, 0..N/2, averaged over the periods: summing bins gives the mean
  // square of what they hold.
  std::vector<double> power;
  double dc_fs = 0.0;  // the window-weighted mean, Σw·x/Σw, averaged over the periods
};
MultitoneSpectrum analyse_multitone(std::span<const double> periods, const MultitoneDesign& design);

// The figures of a channel's output that need no calibration (ratios and bins).
struct MultitoneResidual {
  double total_ms = 0.0;     // mean square in the band
  double residual_ms = 0.0;  // in the band, outside every tone's bin ±1 (any channel's)
  double noise_ms = 0.0;     // the band's noise, from the bins far from tones and harmonics
  double noise_bin_ms = 0.0;
};
// Band in Hz; `averages` is the number of periods the power was averaged over (the noise
// estimate is a median, scaled by the median of its distribution).
MultitoneResidual multitone_residual(const MultitoneSpectrum& spectrum,
                                     const MultitoneDesign& design, double band_from_hz,
                                     double band_to_hz, std::size_t averages);

// The mean square of a channel's own tones in its output.
double multitone_own_mean_square(const MultitoneSpectrum& spectrum, std::size_t channel);
// The channel's tones stand above the noise of their bins (20 dB over all of them): there is
// a response to read.
bool multitone_present(const MultitoneSpectrum& spectrum, const MultitoneDesign& design,
                       std::size_t channel, const MultitoneResidual& residual);

// The other channels' tones in channel c's output, re the same tones in their own outputs
// (spectra: one per design channel, each its own output), and whether c's output carries
// its own set: 20 dB above the noise and 20 dB above every other set in it.
struct MultitoneCrosstalk {
  std::vector<std::pair<double, double>> points;  // (Hz, dB), ascending; tones driven above noise
  double worst_db = -std::numeric_limits<double>::infinity();
  bool worst_at_noise = false;  // the worst tone is within 10 dB of the noise: a bound
  bool map_ok = false;
};
MultitoneCrosstalk multitone_crosstalk(const std::vector<MultitoneSpectrum>& spectra,
                                       const MultitoneDesign& design, std::size_t channel,
                                       const MultitoneResidual& residual);

}  // namespace ampbench::dsp
