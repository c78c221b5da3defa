// dsp: pure signal-processing functions for ampbench — signal generation, windows, FFT
// spectra (FFTW plans cached per size), tone analysis (THD, THD+N, SINAD, SNR), noise
// weighting, synchronised swept-sine responses, IMD. No I/O here; every function takes samples in
// full-scale units (a 0 dBFS sine has peak 1.0) and a sample rate in Hz. Definitions follow
// docs/measurements.md.
#pragma once

#include "dsp/edge.hpp"
#include "dsp/fft.hpp"
#include "dsp/imd.hpp"
#include "dsp/latency.hpp"
#include "dsp/multitone.hpp"
#include "dsp/multitone_search.hpp"
#include "dsp/signal.hpp"
#include "dsp/spectrum.hpp"
#include "dsp/sweep.hpp"
#include "dsp/tone_analysis.hpp"
#include "dsp/true_peak.hpp"
#include "dsp/units.hpp"
#include "dsp/weighting.hpp"
#include "dsp/window.hpp"
