// The run filters `results` and `stats` share (sequence, station, line, slot, serial pattern,
// dates): one set of options, one help text, one translation to store::RunFilter.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "store/results_reader.hpp"

namespace ampbench::cli {

struct RunFilterOptions {
  std::string sequence, station, line, slot, serial, since, until;

  void add_to(CLI::App* app);
  // Empty options filter nothing; verdict and limit are the caller's.
  store::RunFilter filter() const;
};

}  // namespace ampbench::cli
