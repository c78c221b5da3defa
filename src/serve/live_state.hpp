// serve: what the operator station's pages show, as one JSON document with a version that
// changes with it. Writers change it under its lock; each page's event stream waits for the
// next version (Server-Sent Events: no polling), so a reload or a second browser gets the
// same state at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

namespace ampbench::serve {

class LiveState {
 public:
  explicit LiveState(nlohmann::json initial) : state_(std::move(initial)) {}

  // Applies `change` to the document and wakes every listener.
  void update(const std::function<void(nlohmann::json&)>& change);
  nlohmann::json snapshot() const;

  struct Seen {
    std::uint64_t version = 0;
    nlohmann::json state;
  };
  // The document once its version is above `version`, or nullopt after `timeout` (a
  // keep-alive is due) or when the server closes.
  std::optional<Seen> wait_newer(std::uint64_t version, std::chrono::milliseconds timeout) const;
  // Ends every wait (the server is stopping).
  void close();

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  nlohmann::json state_;
  std::uint64_t version_ = 1;
  bool closed_ = false;
};

}  // namespace ampbench::serve
