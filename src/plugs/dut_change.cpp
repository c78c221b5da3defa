#include "plugs/dut_change.hpp"

#include <cstdio>

namespace ampbench::plugs {

std::string DutChange::describe() const {
  std::string out;
  const auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  char number[32];
  const auto db = [&](double v) {
    std::snprintf(number, sizeof number, "%+g dB", v);
    return std::string(number);
  };
  if (input) add("input " + *input);
  if (gain_db) add("gain " + db(*gain_db));
  if (bass_db) add("bass " + db(*bass_db));
  if (treble_db) add("treble " + db(*treble_db));
  if (phantom) add(std::string("phantom ") + (*phantom ? "on" : "off"));
  return out;
}

void DutChange::update(const DutChange& later) {
  if (later.input) input = later.input;
  if (later.gain_db) gain_db = later.gain_db;
  if (later.bass_db) bass_db = later.bass_db;
  if (later.treble_db) treble_db = later.treble_db;
  if (later.phantom) phantom = later.phantom;
}

}  // namespace ampbench::plugs
