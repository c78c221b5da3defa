// sequence: --set KEY=VALUE applied to a sequence's TOML before it is parsed.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "sequence/plan.hpp"

namespace ampbench::sequence {

// Sets the override's value in `root`: in [sequence] or [defaults], in the step whose id
// is its first part, or in every step that has the field (a one-part key: every step whose
// kind takes it). Problems are added to `errors`, naming `path`.
void apply_override(toml::table& root, const Override& o, std::vector<std::string>& errors,
                    const std::string& path);

}  // namespace ampbench::sequence
