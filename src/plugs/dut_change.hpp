// plugs: a change to the DUT's own controls (a preamp's front panel); unset fields stay
// as they are.
#pragma once

#include <optional>
#include <string>

namespace ampbench::plugs {

struct DutChange {
  std::optional<std::string> input;
  std::optional<double> gain_db;
  std::optional<double> bass_db;
  std::optional<double> treble_db;
  std::optional<bool> phantom;
  bool empty() const { return !input && !gain_db && !bass_db && !treble_db && !phantom; }
  std::string describe() const;  // "input mic, gain 20 dB, phantom on"
  // The settings in effect once `later` is applied over these.
  void update(const DutChange& later);
};

}  // namespace ampbench::plugs
