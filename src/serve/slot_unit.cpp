#include "serve/slot_unit.hpp"

#include <algorithm>
#include <chrono>

#include "common/error.hpp"
#include "record/point_words.hpp"
#include "report/html.hpp"
#include "sequence/runner.hpp"

namespace ampbench::serve {
namespace {

// Milliseconds since the epoch: the page's clock differs, so it compares durations only,
// and the latency test compares the two clocks of one machine.
std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t kLastUnits = 8;

}  // namespace

SlotUnit::SlotUnit(ServeBench& bench, LiveState& live, std::size_t index)
    : bench_(bench), live_(live), index_(index) {}

SlotUnit::~SlotUnit() {
  abort();
  join();
}

void SlotUnit::change(const std::function<void(nlohmann::json&)>& edit) {
  live_.update([&](nlohmann::json& state) { edit(state["slots"][index_]); });
}

void SlotUnit::start(const std::string& serial, const std::string& operator_name) {
  std::thread previous;
  {
    std::lock_guard lock(mutex_);
    const std::string name = bench_.slots()[index_].name;
    if (running_)
      throw UsageError((name.empty() ? "the station" : "slot " + name) +
                       " is testing a unit: wait for its verdict, or abort it");
    running_ = true;
    previous = std::move(thread_);
  }
  // The unit before has its verdict; its thread is letting go of the slot's bench.
  if (previous.joinable()) previous.join();
  const auto last_run = bench_.last_run_of(serial);
  std::lock_guard lock(mutex_);
  stop_.store(0);
  answer_.reset();
  prompt_id_ = 0;
  step_s_.clear();
  change([&](nlohmann::json& slot) {
    slot["state"] = "running";
    slot["serial"] = serial;
    slot["retest_of"] = last_run;
    slot["operator"] = operator_name;
    slot["verdict"] = nullptr;
    slot["failures"] = nlohmann::json::array();
    slot["notices"] = nlohmann::json::array();
    slot["message"] = "";
    slot["prompt"] = nullptr;
    slot["current"] = nullptr;
    slot["run_id"] = nullptr;
    slot["started_ms"] = now_ms();
    for (std::size_t i = 0; i < slot["steps"].size(); ++i) {
      slot["steps"][i]["verdict"] = nullptr;
      slot["steps"][i]["seconds"] = nullptr;
    }
  });
  thread_ = std::thread([this, serial, operator_name] { test(serial, operator_name); });
}

void SlotUnit::test(std::string serial, std::string operator_name) {
  // A bench that will not open is an ERROR run in the store like any other; a store that
  // fails while recording keeps the finished steps, and the run is marked ERROR if it can.
  std::string error;
  try {
    const sequence::RunOptions options{serial, operator_name, &stop_, bench_.slots()[index_].name,
                                       ""};
    error = session::test_unit(
                bench_.plan(), bench_.slot_station(index_),
                [&] { return bench_.bench_for(index_, serial, *this); }, options, *this, *this,
                bench_.unit_store())
                .store_error;
  } catch (const std::exception& e) {
    error = std::string("internal error: ") + e.what();
  }
  if (error.empty()) return;
  std::lock_guard lock(mutex_);
  running_ = false;
  change([&](nlohmann::json& slot) {
    slot["state"] = "finished";
    slot["verdict"] = "ERROR";
    slot["message"] = error;
    slot["prompt"] = nullptr;
  });
}

bool SlotUnit::abort(int why) {
  std::lock_guard lock(mutex_);
  if (!running_) return false;
  stop_.store(why);
  answered_.notify_all();  // a prompt waiting ends ABORTED
  return true;
}

void SlotUnit::answer(std::uint64_t prompt_id, const std::string& text) {
  {
    std::lock_guard lock(mutex_);
    if (prompt_id_ == 0 || prompt_id != prompt_id_)
      throw UsageError("no such prompt is waiting (answered already, or the unit moved on)");
    answer_ = text;
  }
  answered_.notify_all();
}

void SlotUnit::join() {
  std::thread finished;
  {
    std::lock_guard lock(mutex_);
    finished = std::move(thread_);
  }
  if (finished.joinable()) finished.join();
}

void SlotUnit::run_started(record::RunRecord& run) {
  change([&](nlohmann::json& slot) {
    slot["run_id"] = run.id;
    slot["run_uuid"] = run.uuid;
  });
}

void SlotUnit::step_started(const record::RunRecord&, record::StepRecord& step) {
  change([&](nlohmann::json& slot) {
    slot["current"] = {{"ordinal", step.ordinal},
                       {"step_id", step.step_id},
                       {"point", 0},
                       {"points", 1},
                       {"started_ms", now_ms()}};
  });
}

void SlotUnit::progress(const record::StepRecord& step, int point, int points) {
  change([&](nlohmann::json& slot) {
    if (slot["current"].is_null()) return;
    slot["current"]["point"] = point;
    slot["current"]["points"] = points;
    slot["current"]["ordinal"] = step.ordinal;
  });
}

void SlotUnit::step_finished(const record::RunRecord&, const record::StepRecord& step) {
  const double seconds = record::seconds_between(step.started_at, step.finished_at);
  step_s_.push_back(seconds);
  std::vector<std::string> failures;
  for (const auto& m : step.measurements)
    if (m.verdict == record::Verdict::fail)
      failures.push_back(step.step_id + ": " + report::failure_in_words(m));
  change([&](nlohmann::json& slot) {
    // A step of no sequence (`bench`: it would not open) says its reason in the slot.
    if (step.verdict != record::Verdict::pass &&
        std::none_of(slot["steps"].begin(), slot["steps"].end(),
                     [&](const nlohmann::json& s) { return s["id"] == step.step_id; }))
      slot["message"] = step.message;
    for (auto& s : slot["steps"])
      if (s["id"] == step.step_id) {
        s["verdict"] = record::verdict_name(step.verdict);
        s["seconds"] = seconds;
        s["message"] = step.message;
        s["finished_ms"] = now_ms();
      }
    for (const auto& f : failures) slot["failures"].push_back(f);
    slot["current"] = nullptr;
  });
}

void SlotUnit::run_finished(const record::RunRecord& run) {
  // The next unit's ETA comes from this one's step times (a shorter run, stopped early,
  // keeps the expectations of the steps it did not reach).
  if (expected_step_s_.size() < step_s_.size()) expected_step_s_.resize(step_s_.size());
  for (std::size_t i = 0; i < step_s_.size(); ++i) expected_step_s_[i] = step_s_[i];
  const std::string verdict(record::verdict_name(run.verdict));
  const auto counts = bench_.unit_counts();
  // The verdict is in: the next unit may start (this thread only lets go of the bench).
  std::lock_guard lock(mutex_);
  running_ = false;
  live_.update([&](nlohmann::json& state) {
    auto& slot = state["slots"][index_];
    slot["state"] = "finished";
    slot["verdict"] = verdict;
    slot["prompt"] = nullptr;
    slot["finished_ms"] = now_ms();
    slot["expected_step_s"] = expected_step_s_;
    auto& last = slot["last_units"];
    const nlohmann::json unit = {
        {"serial", run.serial},
        {"verdict", verdict},
        {"run_id", run.id},
        {"finished_at", run.finished_at},
        {"unit_s", run.bench_time ? nlohmann::json(run.bench_time->unit_s) : nlohmann::json()}};
    last.insert(last.begin(), unit);
    if (last.size() > kLastUnits) last.erase(last.end() - 1);
    // The day's and the shift's counts: the page shows them beside the slots.
    state["today"] = counts;
  });
}

std::string SlotUnit::ask(const std::string& message, const std::string& fallback) {
  return ask_question({message, fallback, {}, ""});
}

std::string SlotUnit::ask_question(const plugs::Question& question) {
  static std::atomic<std::uint64_t> next_id{1};
  std::unique_lock lock(mutex_);
  // Once the unit is stopping only cleanup steps run: their messages ("switch the amplifier
  // off before unplugging it") stay on the slot's verdict panel rather than wait for an
  // answer nobody is asked for.
  if (stop_.load() != 0) {
    change([&](nlohmann::json& slot) { slot["notices"].push_back(question.message); });
    return question.fallback;
  }
  prompt_id_ = next_id++;
  answer_.reset();
  const bool has_image = !question.image_path.empty();
  change([&](nlohmann::json& slot) {
    slot["prompt"] = {{"id", prompt_id_},
                      {"message", question.message},
                      {"default", question.fallback},
                      {"choices", question.choices},
                      {"image", has_image}};
  });
  prompt_image_ = question.image_path;
  answered_.wait(lock, [&] { return answer_.has_value() || stop_.load() != 0; });
  prompt_id_ = 0;
  prompt_image_.clear();
  change([&](nlohmann::json& slot) { slot["prompt"] = nullptr; });
  if (!answer_) throw AbortedError("aborted by the operator at the prompt");
  return *answer_;
}

std::string SlotUnit::prompt_image() {
  std::lock_guard lock(mutex_);
  return prompt_image_;
}

}  // namespace ampbench::serve
