// sim: the simulated DUT of SPEC §8, per channel DAC → preamp → power amp → dummy load →
// attenuator → ADC, each stage a small documented model whose true response a test can
// compute independently (docs/simulation.md). Deterministic for a seed. SimPort
// (src/audio) drives it as an AudioPort backend.
#pragma once

#include "sim/biquad.hpp"
#include "sim/chain.hpp"
#include "sim/gaussian.hpp"
#include "sim/models.hpp"
#include "sim/stages.hpp"
