// cli: who watches `run` as it happens (the store is the unit session's, session/) — the
// progress printer, and for a round of slots (SPEC §11) the wrappers that let each slot's
// thread print and ask in turn.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "plugs/operator_io.hpp"
#include "record/point_words.hpp"
#include "report/html.hpp"
#include "sequence/observer.hpp"

namespace ampbench::cli {

// "42 s", "3 min 5 s", "1 h 2 min".
inline std::string duration_in_words(double seconds) {
  const long s = std::lround(std::max(seconds, 0.0));
  char text[32];
  if (s < 60)
    std::snprintf(text, sizeof text, "%ld s", s);
  else if (s < 3600)
    std::snprintf(text, sizeof text, "%ld min %ld s", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ld h %ld min", s / 3600, (s % 3600) / 60);
  return text;
}

// Step, point and ETA (the step's; from the second unit on, the unit's and the batch's,
// from the units done so far) on a terminal; one plain line per step otherwise, and always
// for a slot's unit (`slot`: its lines begin with the slot's name).
class ProgressPrinter : public sequence::RunObserver {
 public:
  ProgressPrinter(bool quiet, std::size_t steps, std::size_t units, std::string slot = "")
      : quiet_(quiet),
        steps_(steps),
        units_(units),
        tty_(slot.empty() && ::isatty(STDERR_FILENO)),
        slot_(slot.empty() ? "" : slot + " ") {}
  void run_started(record::RunRecord& run) override {
    unit_start_ = std::chrono::steady_clock::now();
    ++unit_;
    if (!quiet_)
      std::fprintf(
          stderr, "%s%s: %s on %s%s\n", slot_.c_str(), run.serial.c_str(),
          run.sequence_name.c_str(), run.station_name.c_str(),
          units_ > 1
              ? (" (unit " + std::to_string(unit_) + " of " + std::to_string(units_) + ")").c_str()
              : "");
  }
  void step_started(const record::RunRecord&, record::StepRecord& step) override {
    step_start_ = std::chrono::steady_clock::now();
    if (!quiet_ && tty_)
      std::fprintf(stderr, "\r  [%d/%zu] %-28s", step.ordinal, steps_, step.step_id.c_str());
  }
  void progress(const record::StepRecord& step, int point, int points) override {
    if (quiet_ || !tty_ || points <= 1) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start_).count();
    const double eta = point > 0 ? elapsed / point * (points - point) : 0.0;
    std::string more;
    if (units_done_ > 0) {
      const double unit_s = units_seconds_ / units_done_;
      const double in_unit =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - unit_start_).count();
      const double unit_left = std::max(unit_s - in_unit, eta);
      more = "  unit " + duration_in_words(unit_left);
      if (unit_ < units_)
        more += "  batch " + duration_in_words(unit_left + unit_s * double(units_ - unit_));
    }
    std::fprintf(stderr, "\r\033[K  [%d/%zu] %-28s point %d/%d  ETA %s%s", step.ordinal, steps_,
                 step.step_id.c_str(), point + 1, points, duration_in_words(eta).c_str(),
                 more.c_str());
  }
  void step_finished(const record::RunRecord&, const record::StepRecord& step) override {
    if (quiet_) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - step_start_).count();
    // On a terminal the progress line is erased first: a shorter line leaves no remnants.
    std::fprintf(stderr, "%s%s  [%d/%zu] %-28s %-7s %6.2f s%s%s\n", tty_ ? "\r\033[K" : "",
                 slot_.c_str(), step.ordinal, steps_, step.step_id.c_str(),
                 std::string(record::verdict_name(step.verdict)).c_str(), elapsed,
                 step.message.empty() ? "" : "  ", step.message.c_str());
    for (const auto& m : step.measurements) {
      if (m.verdict != record::Verdict::fail) continue;
      std::fprintf(stderr, "%s        FAIL %s\n", slot_.c_str(),
                   report::failure_in_words(m).c_str());
    }
  }
  void run_finished(const record::RunRecord& run) override {
    units_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - unit_start_).count();
    ++units_done_;
    if (quiet_) return;
    // What the line's takt is made of: the time the unit held the bench (on a simulated
    // bench, the time real hardware would take), beside the stimulus it played.
    char held[96] = "";
    if (run.bench_time)
      std::snprintf(held, sizeof held, " (%.1f s on the bench, %.1f s of stimulus)",
                    run.bench_time->unit_s, run.bench_time->stimulus_s);
    std::fprintf(stderr, "%s%s: %s%s\n", slot_.c_str(), run.serial.c_str(),
                 std::string(record::verdict_name(run.verdict)).c_str(), held);
  }

 private:
  bool quiet_;
  std::size_t steps_;
  std::size_t units_;
  bool tty_;
  std::string slot_;
  std::chrono::steady_clock::time_point step_start_;
  std::chrono::steady_clock::time_point unit_start_;
  std::size_t unit_ = 0;        // this one, from 1
  std::size_t units_done_ = 0;  // and how long they took together
  double units_seconds_ = 0.0;
};

// Calls one observer at a time, whichever slot's thread calls (the store's connection and
// the terminal are shared by the round).
class SerialisedObserver : public sequence::RunObserver {
 public:
  SerialisedObserver(sequence::RunObserver& inner, std::mutex& mutex)
      : inner_(inner), mutex_(mutex) {}
  void run_started(record::RunRecord& r) override {
    std::lock_guard lock(mutex_);
    inner_.run_started(r);
  }
  void step_started(const record::RunRecord& r, record::StepRecord& s) override {
    std::lock_guard lock(mutex_);
    inner_.step_started(r, s);
  }
  void progress(const record::StepRecord& s, int p, int n) override {
    std::lock_guard lock(mutex_);
    inner_.progress(s, p, n);
  }
  void step_finished(const record::RunRecord& r, const record::StepRecord& s) override {
    std::lock_guard lock(mutex_);
    inner_.step_finished(r, s);
  }
  void run_finished(const record::RunRecord& r) override {
    std::lock_guard lock(mutex_);
    inner_.run_finished(r);
  }

 private:
  sequence::RunObserver& inner_;
  std::mutex& mutex_;
};

// The operator's terminal for one slot: its questions name the slot, one at a time.
class SlotIo : public plugs::OperatorIo {
 public:
  SlotIo(plugs::OperatorIo& terminal, std::mutex& mutex, std::string slot)
      : terminal_(terminal), mutex_(mutex), slot_(std::move(slot)) {}
  std::string ask(const std::string& message, const std::string& fallback) override {
    std::lock_guard lock(mutex_);
    return terminal_.ask(slot_ + ": " + message, fallback);
  }
  bool present() const override { return terminal_.present(); }

 private:
  plugs::OperatorIo& terminal_;
  std::mutex& mutex_;
  std::string slot_;
};

}  // namespace ampbench::cli
