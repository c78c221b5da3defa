// Tests' helper: a sequence's text run in-process on a station, every prompt answered
// with its default.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "run_binary.hpp"
#include "sequence/bench.hpp"
#include "sequence/plan.hpp"
#include "sequence/runner.hpp"
#include "sequence/station.hpp"

namespace ampbench::testing {

using plugs::OperatorIo;
using sequence::Station;

class SilentIo : public OperatorIo {
 public:
  std::string ask(const std::string&, const std::string& fallback) override { return fallback; }
};

struct SequenceRun {
  record::RunRecord record;
  std::vector<audio::BurstRecord> bursts;
  std::uint64_t transfers = 0;
};

inline SequenceRun run_text(const std::string& sequence_text, Station station,
                            const std::string& serial = "GOOD") {
  ampbench::testing::TempDir dir;
  const auto path = dir / "s.toml";
  std::ofstream(path) << sequence_text;
  std::vector<std::string> errors;
  auto plan = sequence::load_sequence(path, {}, errors);
  EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors[0]);
  if (!plan) return {};
  const auto problems = sequence::check_plan(*plan, station);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : problems[0]);
  SilentIo io;
  sequence::RunObserver observer;
  sequence::Bench bench = sequence::open_bench(station, serial, io);
  SequenceRun r;
  r.record = sequence::run_sequence(*plan, station, bench, {serial, "test", nullptr}, io, observer);
  r.bursts = bench.port->bursts();
  r.transfers = bench.port->transfer_count();
  return r;
}

}  // namespace ampbench::testing
