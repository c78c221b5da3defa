// audio: who may touch a real-time capture's buffers — the caller or the audio callback,
// never both. The caller fills the buffers and arms; each callback takes them for one
// period (enter/leave); the caller takes them back when the capture is finished or
// abandoned (reclaim), waiting out a callback that is still inside. Buffers may be
// reallocated only while the caller holds them, so a late callback can never write into
// freed memory, whatever the stream does.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

namespace ampbench::audio {

class BufferHandoff {
 public:
  // Caller: the buffers are ready; the callback may take them.
  void arm() { state_.store(armed, std::memory_order_release); }
  // Callback: takes the buffers for this period; false when they are not its to touch.
  bool enter() {
    int expected = armed;
    return state_.compare_exchange_strong(expected, in_callback, std::memory_order_acq_rel);
  }
  // Callback: gives them back, the capture finished or not — to the caller for good if it
  // has asked for them meanwhile.
  void leave(bool finished) {
    int expected = in_callback;
    if (!state_.compare_exchange_strong(expected, finished ? done : armed,
                                        std::memory_order_acq_rel))
      state_.store(finished ? done : idle, std::memory_order_release);
  }
  // Caller: whether the callback has finished the capture (the buffers are the caller's).
  bool finished() const { return state_.load(std::memory_order_acquire) == done; }
  // Caller: takes the buffers back, finished or not. A callback inside is waited for (it
  // runs one period) and none enters after it, however soon the next period comes; false
  // if it is still inside after `patience`, and the buffers then stay the callback's.
  bool reclaim(std::chrono::milliseconds patience) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
      int expected = state_.load(std::memory_order_acquire);
      if (expected == in_callback) {
        state_.compare_exchange_strong(expected, in_callback_revoked, std::memory_order_acq_rel);
      } else if (expected != in_callback_revoked &&
                 state_.compare_exchange_strong(expected, idle, std::memory_order_acq_rel)) {
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }

 private:
  // in_callback_revoked: a callback is inside and the caller has asked for the buffers.
  enum State : int { idle, armed, in_callback, in_callback_revoked, done };
  std::atomic<int> state_{idle};
};

}  // namespace ampbench::audio
