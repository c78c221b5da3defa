// Where ampbench keeps what a machine can compute again but should not have to: FFTW
// wisdom, multitone designs. $XDG_CACHE_HOME/ampbench, else ~/.cache/ampbench; empty
// when neither is set (nothing is cached then).
#pragma once

#include <filesystem>

namespace ampbench {

std::filesystem::path user_cache_dir();

}  // namespace ampbench
