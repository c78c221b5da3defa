#include "audio/shared_port.hpp"

#include <algorithm>

namespace ampbench::audio {

// The port one slot's run measures through: its channels of the shared interface.
class SlotPort : public AudioPort {
 public:
  SlotPort(SharedPort& shared, std::size_t slot)
      : AudioPort(shared.port_->safety(), shared.port_->calibration()),
        shared_(shared),
        slot_(slot),
        outputs_(static_cast<int>(shared.slots_[slot].channels.outputs.size())),
        inputs_(static_cast<int>(shared.slots_[slot].channels.inputs.size())) {
    set_xrun_retries(shared.xrun_retries_);
  }
  ~SlotPort() override { shared_.leave(slot_); }

  double sample_rate_hz() const override { return shared_.port_->sample_rate_hz(); }
  int output_count() const override { return outputs_; }
  int input_count() const override { return inputs_; }
  std::string describe() const override {
    return "slot " + std::to_string(slot_ + 1) + " of " + shared_.port_->describe();
  }
  bool plays_in_real_time() const override { return shared_.port_->plays_in_real_time(); }

 protected:
  Capture transfer(const AudioBuffer& stimulus, double) override {
    return shared_.transfer(slot_, stimulus);
  }
  // The slot stays busy through the pause: the others wait rather than fall out of step.
  void idle(double seconds) override { shared_.port_->wait_silent(seconds); }

 private:
  SharedPort& shared_;
  std::size_t slot_;
  int outputs_;
  int inputs_;
};

SharedPort::SharedPort(std::unique_ptr<AudioPort> port, std::vector<SlotChannels> slots)
    : port_(std::move(port)), xrun_retries_(port_->xrun_retries()) {
  // Each slot plays its part again after an xrun, so that a burst waits its duty pause.
  port_->set_xrun_retries(0);
  for (auto& channels : slots) slots_.push_back({std::move(channels), State::done, nullptr});
}

std::unique_ptr<AudioPort> SharedPort::slot_port(std::size_t slot) {
  std::lock_guard lock(mutex_);
  if (slots_.at(slot).state != State::done)
    throw MeasurementError("slot " + std::to_string(slot + 1) + " is already measuring");
  slots_[slot].state = State::busy;
  return std::make_unique<SlotPort>(*this, slot);
}

std::uint64_t SharedPort::shared_transfers() const {
  std::lock_guard lock(mutex_);
  return shared_transfers_;
}

std::uint64_t SharedPort::xrun_transfers() const {
  std::lock_guard lock(mutex_);
  return xrun_transfers_;
}

bool SharedPort::nobody_busy() const {
  return std::none_of(slots_.begin(), slots_.end(),
                      [](const Participant& p) { return p.state == State::busy; });
}

Capture SharedPort::transfer(std::size_t slot, const AudioBuffer& stimulus) {
  std::unique_lock lock(mutex_);
  Request request{&stimulus, std::nullopt, nullptr};
  Participant& me = slots_[slot];
  me.request = &request;
  me.state = State::waiting;
  changed_.notify_all();
  while (!request.capture && !request.error) {
    const bool exclusive_waiting =
        std::any_of(slots_.begin(), slots_.end(),
                    [](const Participant& p) { return p.state == State::waiting_exclusive; });
    // The holder of the exclusive section transfers alone; otherwise every slot that will
    // transfer soon is waited for, and exclusive sections are granted before transfers.
    const bool due = !transferring_ && (exclusive_ ? slots_[*exclusive_].state == State::waiting
                                                   : nobody_busy() && !exclusive_waiting);
    if (due)
      run_transfer(lock);
    else
      changed_.wait(lock);
  }
  if (request.error) std::rethrow_exception(request.error);
  return std::move(*request.capture);
}

void SharedPort::run_transfer(std::unique_lock<std::mutex>& lock) {
  std::vector<std::size_t> who;
  if (exclusive_) {
    who.push_back(*exclusive_);
  } else {
    for (std::size_t s = 0; s < slots_.size(); ++s)
      if (slots_[s].state == State::waiting) who.push_back(s);
  }
  transferring_ = true;
  lock.unlock();
  Capture combined;
  std::exception_ptr failure;
  std::optional<int> clipped_input;  // 0-based, of the interface
  double clipped_peak_dbfs = 0.0;
  bool lost_audio = false;  // an xrun: each slot plays its part again
  try {
    combined = combined_transfer(who);
  } catch (const InputClippedError& e) {
    clipped_input = e.input() - 1;
    clipped_peak_dbfs = e.peak_dbfs();
  } catch (const XrunError&) {
    failure = std::current_exception();
    lost_audio = true;
  } catch (...) {
    failure = std::current_exception();
  }
  lock.lock();
  transferring_ = false;
  ++shared_transfers_;
  if (lost_audio) ++xrun_transfers_;
  const auto done = [&](std::size_t s) {
    slots_[s].request = nullptr;
    slots_[s].state = State::busy;
  };
  const auto serve = [&](std::size_t s, Capture&& capture) {
    slots_[s].request->capture.emplace(std::move(capture));
    done(s);
  };
  const auto fail = [&](std::size_t s, std::exception_ptr error) {
    slots_[s].request->error = error;
    done(s);
  };
  if (clipped_input) {
    // Only the slot whose input clipped hears of it; the others play again without it.
    bool owned = false;
    for (std::size_t s : who) {
      const auto& inputs = slots_[s].channels.inputs;
      const auto at = std::find(inputs.begin(), inputs.end(), *clipped_input);
      if (at == inputs.end()) continue;
      owned = true;
      Capture capture;
      capture.peak_dbfs.assign(inputs.size(), clipped_peak_dbfs);
      capture.clipped_input = static_cast<int>(at - inputs.begin()) + 1;
      serve(s, std::move(capture));
    }
    if (!owned) {
      const auto error = std::make_exception_ptr(
          MeasurementError("interface input " + std::to_string(*clipped_input + 1) +
                           ", of no slot in this transfer, clipped: stimulus stopped"));
      for (std::size_t s : who) fail(s, error);
    }
  } else if (failure) {
    for (std::size_t s : who) fail(s, failure);
  } else {
    for (std::size_t s : who) {
      const std::size_t frames = slots_[s].request->stimulus->frames();
      Capture capture;
      capture.latency_samples = combined.latency_samples;
      capture.held_s = combined.held_s;
      capture.latency_certain = combined.latency_certain;
      capture.audio.sample_rate_hz = combined.audio.sample_rate_hz;
      for (int input : slots_[s].channels.inputs) {
        const auto& all = combined.audio.channels.at(static_cast<std::size_t>(input));
        capture.audio.channels.emplace_back(
            all.begin(), all.begin() + static_cast<long>(std::min(frames, all.size())));
        capture.peak_dbfs.push_back(combined.peak_dbfs.at(static_cast<std::size_t>(input)));
      }
      serve(s, std::move(capture));
    }
  }
  changed_.notify_all();
}

Capture SharedPort::combined_transfer(const std::vector<std::size_t>& who) {
  std::size_t frames = 0;
  for (std::size_t s : who) frames = std::max(frames, slots_[s].request->stimulus->frames());
  AudioBuffer all;
  all.sample_rate_hz = port_->sample_rate_hz();
  all.channels.assign(static_cast<std::size_t>(port_->output_count()),
                      std::vector<double>(frames, 0.0));
  for (std::size_t s : who) {
    const AudioBuffer& own = *slots_[s].request->stimulus;
    const auto& outputs = slots_[s].channels.outputs;
    for (std::size_t c = 0; c < outputs.size(); ++c)
      std::copy(own.channels[c].begin(), own.channels[c].end(),
                all.channels[static_cast<std::size_t>(outputs[c])].begin());
  }
  return port_->play_and_capture(all);
}

void SharedPort::leave(std::size_t slot) {
  std::lock_guard lock(mutex_);
  slots_[slot].state = State::done;
  changed_.notify_all();
}

SharedPort::Exclusive::Exclusive(SharedPort& shared, std::size_t slot) : shared_(shared) {
  std::unique_lock lock(shared.mutex_);
  auto& slots = shared.slots_;
  slots[slot].state = State::waiting_exclusive;
  shared.changed_.notify_all();
  shared.changed_.wait(lock, [&] {
    const auto first = std::find_if(slots.begin(), slots.end(), [](const Participant& p) {
      return p.state == State::waiting_exclusive;
    });
    return !shared.exclusive_ && !shared.transferring_ && shared.nobody_busy() &&
           first - slots.begin() == static_cast<long>(slot);
  });
  shared.exclusive_ = slot;
  slots[slot].state = State::busy;
}

SharedPort::Exclusive::~Exclusive() {
  std::lock_guard lock(shared_.mutex_);
  shared_.exclusive_.reset();
  shared_.changed_.notify_all();
}

}  // namespace ampbench::audio
