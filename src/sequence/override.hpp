// sequence: --set KEY=VALUE applied to a sequence's TOML before it is parsed.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <vector>

#include "common/toml_reader.hpp"
#include "sequence/plan.hpp"

namespace ampbench::sequence {

// Sets the override's value in `root`: in [sequence] or [defaults], in the step whose id
// is its first part, or in every step that has the field (a one-part key: every step whose
// kind takes it). Problems are added to `errors`, naming `path`.
void apply_override(toml::table& root, const Override& o, std::vector<std::string>& errors,
                    const std::string& path);

// Layers a limits file (`[limits.STEP_ID]` tables of `NAME = limit`, the sequence's own
// limit syntax: SPEC §16) on the sequence's root: each replaces the step's limit of that
// name. A step the sequence does not have, or anything else in the file, is an error naming
// the limits file, its line and field; the limits' own values are checked as the sequence's.
void apply_limits_file(toml::table& root, const TomlReader& limits,
                       std::vector<std::string>& errors);

}  // namespace ampbench::sequence
