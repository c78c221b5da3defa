// Tests' helper: a sequence's text run in-process on a station, every prompt answered
// with its default.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <stdexcept>
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
  double stimulus_s = 0.0;  // what the port played, as `run --json` reports it
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
  r.record = sequence::run_sequence(*plan, station, bench, {serial, "test", nullptr, "", ""}, io,
                                    observer);
  r.bursts = bench.port->bursts();
  r.transfers = bench.port->transfer_count();
  r.stimulus_s = static_cast<double>(bench.port->frames_played()) / bench.port->sample_rate_hz();
  return r;
}

// A shipped station file (instruments/NAME) and sequence (sequences/NAME), loaded as `run`
// loads them; a sequence that does not load fails the test.
inline Station shipped_station(const std::string& name) {
  return sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/" + name);
}
inline auto shipped_sequence(const std::string& name) {
  std::vector<std::string> errors;
  auto plan =
      sequence::load_sequence(std::string(AMPBENCH_SOURCE_DIR) + "/sequences/" + name, {}, errors);
  EXPECT_TRUE(plan && errors.empty()) << (errors.empty() ? "" : errors[0]);
  return plan;
}

// A loaded plan run in-process, every prompt answered with its default.
inline record::RunRecord run_plan(const sequence::SequencePlan& plan, const Station& station,
                                  const std::string& serial) {
  SilentIo io;
  sequence::RunObserver observer;
  sequence::Bench bench = sequence::open_bench(station, serial, io);
  return sequence::run_sequence(plan, station, bench, {serial, "test", nullptr, "", ""}, io,
                                observer);
}

// sim-bench without noise, crosstalk, crossover or output network: a model whose response
// and phase tests can compute in closed form.
inline sequence::Station quiet_sim_bench() {
  auto s = sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml");
  s.sim->adc_noise_dbfs = -300.0;
  s.sim->crosstalk_db = -300.0;
  s.sim->preamp->noise_nv_per_rthz = 0.0;
  s.sim->power_amp->crossover_depth = 0.0;
  // A resistive output: the tests that want the coil and Zobel set their own.
  s.sim->power_amp->output_inductor_uh = 0.0;
  s.sim->power_amp->zobel_ohm = 0.0;
  return s;
}

// sim-preamp without noise or crosstalk.
inline sequence::Station quiet_sim_preamp() {
  auto s =
      sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-preamp.toml");
  s.sim->adc_noise_dbfs = -300.0;
  s.sim->crosstalk_db = -300.0;
  s.sim->preamp->noise_nv_per_rthz = 0.0;
  for (auto& [name, input] : s.sim->preamp->inputs) input.noise_nv_per_rthz = 0.0;
  return s;
}

inline const record::CurveRecord& curve(const record::RunRecord& run, const std::string& name,
                                        const std::string& channel) {
  for (const auto& step : run.steps)
    for (const auto& c : step.curves)
      if (c.name == name && c.channel == channel) return c;
  throw std::runtime_error("no curve " + name + " on " + channel);
}

inline double measured(const record::RunRecord& run, const std::string& step_id,
                       const std::string& name, const std::string& channel) {
  for (const auto& step : run.steps)
    if (step.step_id == step_id)
      for (const auto& m : step.measurements)
        if (m.name == name && m.channel == channel) return m.value;
  throw std::runtime_error("no " + name + " on " + channel);
}

inline double wrapped_deg(double deg) {
  return std::remainder(deg, 360.0);
}

}  // namespace ampbench::testing
