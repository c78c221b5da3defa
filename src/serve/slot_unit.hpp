// serve: one slot of the operator station. Starts a unit (serial, operator) in its own
// thread on the slot's bench and follows it into the live state: its steps with their
// verdicts as they come, the point, the step's start (the page counts the ETA down from the
// durations of the unit before), the verdict and the failing measurements in words. Its
// prompts wait in the page for an answer; Abort stops it after the current capture and runs
// its cleanup steps. One unit per slot at a time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sequence/observer.hpp"
#include "serve/live_state.hpp"
#include "serve/serve_bench.hpp"

namespace ampbench::serve {

class SlotUnit : public sequence::RunObserver, public plugs::OperatorIo {
 public:
  SlotUnit(ServeBench& bench, LiveState& live, std::size_t index);
  ~SlotUnit() override;
  SlotUnit(const SlotUnit&) = delete;
  SlotUnit& operator=(const SlotUnit&) = delete;

  // Throws UsageError when a unit is being tested in this slot.
  void start(const std::string& serial, const std::string& operator_name);
  // Stops the unit after its current capture (its cleanup steps still run), for `why` (a
  // signal number, or the operator's Abort); false when no unit is being tested.
  bool abort(int why = sequence::kStopByOperator);
  // Answers the prompt `prompt_id`; throws UsageError when no such prompt waits.
  void answer(std::uint64_t prompt_id, const std::string& text);
  // Waits for the unit being tested, if any, to finish.
  void join();
  // The picture of the prompt waiting, or "".
  std::string prompt_image();

  void run_started(record::RunRecord& run) override;
  void step_started(const record::RunRecord& run, record::StepRecord& step) override;
  void progress(const record::StepRecord& step, int point, int points) override;
  void step_finished(const record::RunRecord& run, const record::StepRecord& step) override;
  void run_finished(const record::RunRecord& run) override;

  std::string ask(const std::string& message, const std::string& fallback) override;
  std::string ask_question(const plugs::Question& question) override;

 private:
  void test(std::string serial, std::string operator_name);
  void change(const std::function<void(nlohmann::json&)>& edit);

  ServeBench& bench_;
  LiveState& live_;
  std::size_t index_;
  std::atomic<int> stop_{0};
  std::mutex mutex_;  // running_, thread_, the prompt
  std::condition_variable answered_;
  bool running_ = false;
  std::thread thread_;
  std::uint64_t prompt_id_ = 0;  // the prompt waiting, or 0
  std::optional<std::string> answer_;
  std::string prompt_image_;
  std::vector<double> expected_step_s_;  // per step, from the unit before
  std::vector<double> step_s_;           // this unit's so far
};

}  // namespace ampbench::serve
