// The runner: executes a SequencePlan for one unit on a station's devices and fills a
// RunRecord. Observers see the run as it happens (the store commits each step as it
// ends, the CLI prints progress). Plan, runner state and record stay apart.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audio/audio_port.hpp"
#include "instruments/drivers.hpp"
#include "record/record.hpp"
#include "sequence/plan.hpp"
#include "sequence/station.hpp"

namespace ampbench::sequence {

// The operator's terminal (or a stand-in when there is none).
class OperatorIo {
 public:
  virtual ~OperatorIo() = default;
  // Shows `message` and returns the answer; `fallback` when nobody can answer.
  virtual std::string ask(const std::string& message, const std::string& fallback) = 0;
};

// Selects a dummy load: a relay instrument, the simulated load, or the operator by hand.
class LoadSwitch {
 public:
  virtual ~LoadSwitch() = default;
  virtual void select(double load_ohm) = 0;
};

// The DUT's own controls (a preamp's input, gain, tone, phantom power), the resistance in
// series with the source, and probing the DUT's input pins: the simulated DUT does these
// itself; on a bench without automation the operator does, when asked.
class DutControl {
 public:
  virtual ~DutControl() = default;
  virtual void apply(const DutChange& change) = 0;
  // 0: the source drives the input directly.
  virtual void set_series_ohm(double ohm) = 0;
  // Puts the DMM's probes on this channel's input pins (1-based).
  virtual void probe_input_pins(int channel) = 0;
};

// The simulated DUT's own control for a sim port; else the station's [dut_switch] relays
// (and the operator for the rest); else the operator.
std::unique_ptr<DutControl> make_dut_control(const Station& station, audio::AudioPort* port,
                                             OperatorIo& io);

struct Bench {
  std::unique_ptr<audio::AudioPort> port;
  std::unique_ptr<LoadSwitch> loads;
  std::unique_ptr<DutControl> dut;
  std::unique_ptr<instruments::Dmm> dmm;                      // the station's [dmm]
  std::unique_ptr<instruments::FunctionGenerator> generator;  // the station's [generator]
};
// The station's devices for one unit; throws MeasurementError when they cannot be opened.
Bench open_bench(const Station& station, const std::string& serial, OperatorIo& io);

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void run_started(record::RunRecord&) {}
  virtual void step_started(const record::RunRecord&, record::StepRecord&) {}
  virtual void progress(const record::StepRecord&, int /*point*/, int /*points*/) {}
  virtual void step_finished(const record::RunRecord&, const record::StepRecord&) {}
  virtual void run_finished(const record::RunRecord&) {}
};

// Everything a run checks before it touches hardware (validate runs the same checks):
// channels, loads, stimulus levels against max_output_vrms, frequencies against the
// sample rate, capture lengths. Each error names file, line and field.
std::vector<std::string> check_plan(const SequencePlan& plan, const Station& station);

struct RunOptions {
  std::string serial;
  std::string operator_name;
  const std::atomic<bool>* abort_requested = nullptr;  // Ctrl-C: stop after the current capture
};

record::RunRecord run_sequence(const SequencePlan& plan, const Station& station, Bench& bench,
                               const RunOptions& options, OperatorIo& io, RunObserver& observer);

}  // namespace ampbench::sequence
