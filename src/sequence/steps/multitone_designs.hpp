// The multitone designs steps use: the phase search costs tens of milliseconds a channel,
// so each design is made once per process (kept by its request) and once per machine,
// kept in the user's cache (common/cache_dir.hpp) as multitone/KEY.json — the phases and
// crest factors, doubles in shortest round-trip text. A cached file that does not match
// its request, or cannot be read, is designed again; one that cannot be written is not
// kept, and nothing else changes.
#pragma once

#include "dsp/multitone.hpp"

namespace ampbench::sequence {

// Throws std::invalid_argument as dsp::design_multitone does.
const dsp::MultitoneDesign& multitone_design_for(const dsp::MultitoneRequest& request);

}  // namespace ampbench::sequence
