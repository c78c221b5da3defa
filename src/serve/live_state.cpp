#include "serve/live_state.hpp"

namespace ampbench::serve {

void LiveState::update(const std::function<void(nlohmann::json&)>& change) {
  {
    std::lock_guard lock(mutex_);
    change(state_);
    ++version_;
  }
  changed_.notify_all();
}

nlohmann::json LiveState::snapshot() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::optional<LiveState::Seen> LiveState::wait_newer(std::uint64_t version,
                                                     std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, timeout, [&] { return closed_ || version_ > version; }) || closed_)
    return std::nullopt;
  return Seen{version_, state_};
}

void LiveState::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

}  // namespace ampbench::serve
