// Analysis of a captured sine: fundamental, harmonics, THD (re fundamental and re total),
// THD+N (AES17, by FFT bins or a Q-notch response), SINAD and SNR, all within a frequency
// band and optionally weighted. Definitions: docs/measurements.md.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dsp/spectrum.hpp"
#include "dsp/weighting.hpp"
#include "dsp/window.hpp"

namespace ampbench::dsp {

// A measurement band; high_hz above fs/2 is clamped to fs/2, so full() means DC to Nyquist.
struct FrequencyBand {
  double low_hz = 20.0;
  double high_hz = 20000.0;
  static FrequencyBand audio() { return {20.0, 20000.0}; }
  static FrequencyBand full() { return {0.0, 1e300}; }
  bool operator==(const FrequencyBand&) const = default;
};
// "LOW:HIGH" in Hz, or "full"; throws UsageError naming the problem.
FrequencyBand parse_band(std::string_view text);

enum class ThdnMethod { fft, notch };
ThdnMethod parse_thdn_method(std::string_view name);

// White noise's largest bin stands 11–13 dB above its neighbours' median; a tone, 20 dB or
// more.
inline constexpr double kTonePresentDb = 20.0;
// The deepest residual an analysis resolves, re its fundamental: BH7's sidelobes lie at
// −180 dB.
inline constexpr double kAnalysisFloorDb = 180.0;

struct ToneAnalysisOptions {
  std::optional<double> fundamental_hz;  // search the band's largest peak when empty
  FrequencyBand band = FrequencyBand::audio();
  ThdnMethod thdn_method = ThdnMethod::fft;
  double notch_q = 2.0;
  Weighting weighting = Weighting::none;  // applied to the residual (noise + distortion)
  int max_harmonic_order = 10;
  int snr_excluded_harmonic_order = 6;  // SNR leaves out harmonics 2..this (MATLAB's snr)
  WindowKind window = WindowKind::blackman_harris_7;
};

struct HarmonicLevel {
  int order = 0;
  double frequency_hz = 0.0;
  double level_dbc = 0.0;
  double mean_square_fs = 0.0;
};

struct ToneAnalysis {
  double frequency_hz = 0.0;
  double level_dbfs = 0.0;
  double fundamental_mean_square_fs = 0.0;
  // In band: every bin from the band's low edge to its high edge, and the whole lobe of each
  // harmonic whose centre lies in it (docs/measurements.md, "The band").
  double total_mean_square_fs = 0.0;  // fundamental + residual, unweighted, as measured
  // Everything but the fundamental, weighted, with the noise under the fundamental's lobe
  // estimated from the density of the noise around it.
  double residual_mean_square_fs = 0.0;
  double noise_mean_square_fs = 0.0;  // residual without harmonics 2..6 (their noise estimated)
  double thd_ratio = 0.0;             // THD_F, re fundamental
  double thd_r_ratio = 0.0;           // THD_R, re total of fundamental and harmonics
  double thdn_ratio = 0.0;            // re total (AES17)
  double sinad_db = 0.0;
  double snr_db = 0.0;
  double dc_fs = 0.0;  // the block's DC level, left out of everything above
  // How far the fundamental's peak bin stands above the median of its neighbourhood (a
  // third of an octave each side, its lobe left out), in dB; none where the band leaves
  // too few neighbours. Below kTonePresentDb there is no tone, only noise.
  std::optional<double> prominence_db;
  // Why the distortion figures (THD, THD+N, SINAD, SNR: NaN then) cannot be told here: the
  // 2nd harmonic's window lobe overlaps the fundamental's in so short a block. Empty when
  // every harmonic in band has a lobe of its own.
  std::string unresolved;
  // Why THD is NaN though the rest stands: no harmonic of the fundamental lies in the band.
  std::string no_harmonic;
  // The residual lies below what the analysis itself can see (the window's sidelobes, the
  // arithmetic): SINAD and SNR are then capped at kAnalysisFloorDb and THD+N at its
  // negative, as bounds, never a 3000 dB figure of rounding errors.
  bool at_floor = false;
  bool tone_present() const { return !prominence_db || *prominence_db >= kTonePresentDb; }
  std::vector<HarmonicLevel> harmonics;

  double thd_pct() const { return 100.0 * thd_ratio; }
  double thd_db() const;
  double thdn_pct() const { return 100.0 * thdn_ratio; }
  double thdn_db() const;
};

// Throws MeasurementError when no tone can be found or the block is too short.
ToneAnalysis analyze_tone(std::span<const double> samples, double sample_rate_hz,
                          const ToneAnalysisOptions& options = {});
ToneAnalysis analyze_tone_spectrum(const PowerSpectrum& spectrum,
                                   const ToneAnalysisOptions& options = {});

// Response of an analogue notch (s² + ω0²)/(s² + s·ω0/Q + ω0²), as a power gain.
double notch_power_gain(double frequency_hz, double notch_hz, double q);

// AES17 dynamic range: full scale (or any maximum) re the weighted noise and distortion
// measured with a tone about 60 dB below it: 20·lg(max/level) − THD+N(dB). `max_re_level_db`
// is how far the maximum lies above the analysed tone (60 for the AES17 signal).
double dynamic_range_db(const ToneAnalysis& analysis, double max_re_level_db);

// Phase φ (radians, −π..π) of the sine A·sin(2π·f·n/fs + φ) in the block, n from its first
// sample: the block's DC removed, then projected on the window-weighted sine and cosine at f
// (7-term Blackman-Harris: other tones, DC and the image at −f leak in below −180 dB once
// f is five bins from DC). Needs f where the tone is; throws MeasurementError on a block
// too short or with no energy at f.
double tone_phase_rad(std::span<const double> samples, double frequency_hz, double sample_rate_hz);

// Polarity from a phase re the stimulus: +1 within ±60° of 0°, −1 within ±60° of 180°;
// nothing in between, where a reactive DUT's phase shift makes the question meaningless.
std::optional<int> polarity_of_phase_deg(double phase_deg);

// The fewest frames whose spectrum (this window) gives a tone at `frequency_hz` and each
// of its harmonics lobes of their own: the fundamental's bin must lie beyond two lobe
// half-widths (with the one-bin margin each), (2·(h + 1) + 1)·fs/f.
std::size_t frames_resolving_harmonics(double frequency_hz, double sample_rate_hz,
                                       WindowKind window = WindowKind::blackman_harris_7);

// Mean square of a tone at `frequency_hz`: the sum of its main-lobe bins (in FS²).
double tone_mean_square_at(const PowerSpectrum& spectrum, double frequency_hz);
// How far the peak at `frequency_hz` (within its window lobe) stands above the median of its
// neighbourhood, in dB, as ToneAnalysis::prominence_db; none where too few neighbours.
std::optional<double> tone_prominence_db(const PowerSpectrum& spectrum, double frequency_hz);

// Band-limited, weighted rms of everything in a block (for noise measurements), in FS.
double band_rms_fs(const PowerSpectrum& spectrum, FrequencyBand band, Weighting weighting);

inline constexpr std::size_t kMinimumAnalysisFrames = 4096;

}  // namespace ampbench::dsp
