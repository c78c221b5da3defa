// dsp: the images a sample-rate conversion leaves of a tone (an OS mixer, an SRC in a
// loopback that should be bit-for-bit): converting to a rate R and back folds a tone at f0
// into |k·R ± f0|, folded again into the capture's band; a path with no conversion has
// nothing there. A conversion to a lower rate also ends the band below R/2 — the self-test
// plays a tone near fs/2 for that (SPEC §15).
#pragma once

#include <optional>
#include <vector>

#include "dsp/spectrum.hpp"

namespace ampbench::dsp {

inline constexpr double kCommonSampleRatesHz[] = {8000.0,  11025.0, 16000.0,  22050.0,
                                                  24000.0, 32000.0, 44100.0,  48000.0,
                                                  88200.0, 96000.0, 176400.0, 192000.0};
// How far an image must stand above the median of its neighbourhood (white noise's largest
// bin stands 11–13 dB above it).
inline constexpr double kImagePresentDb = 25.0;
// and rise above this re the tone: below it lie a 24-bit word's own quantisation products,
// and converters good enough not to matter.
inline constexpr double kImageFloorDbc = -135.0;

struct ResamplingImages {
  // The common rates whose images these are (at one sample rate several rates' images can
  // coincide: 16 and 32 kHz at 48 kHz).
  std::vector<double> through_hz;
  std::vector<double> frequency_hz;  // where they stand
  std::vector<double> level_dbc;     // re the tone
};

struct ImageFrequency {
  int order = 1;  // k
  double frequency_hz = 0.0;
};
// Where a conversion through `through_hz` puts the images of a tone at `tone_hz` in a
// capture at `sample_rate_hz` (k = 1, 2; those on the tone's harmonics, below 20 Hz and on
// the tone itself left out).
std::vector<ImageFrequency> resampling_image_frequencies(double tone_hz, double through_hz,
                                                         double sample_rate_hz,
                                                         double bin_width_hz);

// The images of the first common rate other than the capture's with at least two of them
// standing kImagePresentDb out of the noise, one of the first order (a rate's submultiples
// share its images of higher order), and every other rate they fit; or none.
std::optional<ResamplingImages> find_resampling_images(const PowerSpectrum& spectrum,
                                                       double tone_hz);

}  // namespace ampbench::dsp
