// sequence: a distortion criterion — THD+N or THD reaching a percentage — as max_power's
// `criterion` and a level sweep's `stop_when` write it: `{ thdn_pct = 1 }` or `{ thd_pct = … }`.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "common/toml_reader.hpp"

namespace ampbench::sequence {

struct DistortionCriterion {
  bool thd_only = false;  // THD (harmonics only) instead of THD+N
  double pct = 1.0;
  const char* name() const { return thd_only ? "THD" : "THD+N"; }
  std::string in_words() const;  // "THD+N 1 %"

};

// The table at `field`; fails on its line unless it holds exactly one of the two, above 0
// and at most 30 %.
DistortionCriterion parse_distortion_criterion(const TomlReader& reader, const toml::table& table,
                                               const std::string& field);

}  // namespace ampbench::sequence
