// audio: one multichannel interface shared by the runs of several test slots (SPEC §11),
// each run in its own thread with its own SlotPort — an AudioPort on the slot's channels.
// Transfers that the slots ask for at about the same time go out as one transfer of the
// whole interface: each slot's stimulus on its outputs, silence on the rest, each slot's
// capture cut from its inputs. A transfer waits until every slot taking part has either
// asked for one or stepped aside (waiting for an exclusive section, finished), so slots that
// run the same sequence stay in step — also through a burst's duty-cycle pause, which keeps
// its slot busy.
//
// Batch semantics: a step that needs a resource of the whole station (an operator prompt,
// the DMM, a non-overlapping burst) runs in an exclusive section — granted to one slot at
// a time, lowest slot first, while no other slot transfers.
//
// Independence: a slot whose input clips gets its InputClippedError alone; the other
// slots' stimuli of that transfer are played again without it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "audio/audio_port.hpp"

namespace ampbench::audio {

// A slot's interface channels: 0-based indices into the shared port's outputs and inputs.
struct SlotChannels {
  std::vector<int> outputs;
  std::vector<int> inputs;
};

class SharedPort {
 public:
  SharedPort(std::unique_ptr<AudioPort> port, std::vector<SlotChannels> slots);

  // The port slot `slot` (0-based, in the constructor's order) measures through: the slot
  // takes part in transfers from now until the port is destroyed, and may join again later
  // (a station serving units one by one). One port per slot at a time.
  std::unique_ptr<AudioPort> slot_port(std::size_t slot);

  // Held while a step needs the station to itself.
  class Exclusive {
   public:
    Exclusive(SharedPort& shared, std::size_t slot);
    ~Exclusive();
    Exclusive(const Exclusive&) = delete;
    Exclusive& operator=(const Exclusive&) = delete;

   private:
    SharedPort& shared_;
  };
  const AudioPort& port() const { return *port_; }
  // Transfers of the whole interface so far (each may carry several slots' stimuli).
  std::uint64_t shared_transfers() const;
  // Of those, the ones that lost audio (an xrun) and were played again.
  std::uint64_t xrun_transfers() const;

 private:
  friend class SlotPort;
  enum class State { busy, waiting, waiting_exclusive, done };
  struct Request {
    const AudioBuffer* stimulus = nullptr;
    std::optional<Capture> capture;
    std::exception_ptr error;
  };
  struct Participant {
    SlotChannels channels;
    State state = State::busy;
    Request* request = nullptr;
  };

  Capture transfer(std::size_t slot, const AudioBuffer& stimulus);
  void leave(std::size_t slot);
  // With the lock held: grants the exclusive section or launches a transfer when it is due.
  bool nobody_busy() const;
  void run_transfer(std::unique_lock<std::mutex>& lock);
  Capture combined_transfer(const std::vector<std::size_t>& slots);

  std::unique_ptr<AudioPort> port_;
  int xrun_retries_;  // the slots' (the interface itself plays no transfer again)
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Participant> slots_;
  std::optional<std::size_t> exclusive_;  // the slot holding the exclusive section
  bool transferring_ = false;
  std::uint64_t shared_transfers_ = 0;
  std::uint64_t xrun_transfers_ = 0;
};

}  // namespace ampbench::audio
