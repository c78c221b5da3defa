// sequence: who watches a run as it happens (the store commits each step as it ends, the
// CLI prints progress), and the options of one unit's run.
#pragma once

#include <atomic>
#include <string>

#include "record/record.hpp"

namespace ampbench::sequence {

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void run_started(record::RunRecord&) {}
  virtual void step_started(const record::RunRecord&, record::StepRecord&) {}
  virtual void progress(const record::StepRecord&, int /*point*/, int /*points*/) {}
  virtual void step_finished(const record::RunRecord&, const record::StepRecord&) {}
  virtual void run_finished(const record::RunRecord&) {}
};

// RunOptions::stop_signal of an Abort on the operator station's page (not a signal number).
inline constexpr int kStopByOperator = 1000;

struct RunOptions {
  std::string serial;
  std::string operator_name;
  // The signal that asked the run to stop after the current capture (SIGINT: Ctrl-C;
  // SIGTERM: a supervisor or shutdown; kStopByOperator: an Abort on the station's page); 0
  // while none has.
  const std::atomic<int>* stop_signal = nullptr;
  std::string slot;  // the station's slot the unit is in ("" on a one-slot station)
  // Every capture is also written here as a WAV (SERIAL-STEP-N.wav, float, the DUT's
  // channels), for offline analysis (`analyze`); "" writes none.
  std::string captures_dir;
};

}  // namespace ampbench::sequence
