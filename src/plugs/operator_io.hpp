// plugs: what a bench does that a person or a device may do — answer the operator's
// questions, switch loads, set the DUT's controls, place the DMM's probes. One interface
// per job; relay and manual implementations here, the simulated ones beside the
// simulator (src/sim/sim_plugs.hpp); sequence/bench.cpp picks them from the station file.
#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"

namespace ampbench::plugs {

// A prompt with more than a line of text: the answers to choose from and a picture.
struct Question {
  std::string message;
  std::string fallback;
  std::vector<std::string> choices;  // empty: any text
  std::string image_path;            // a file beside the sequence; "" for none
};

// The operator's terminal (or a stand-in when there is none).
class OperatorIo {
 public:
  virtual ~OperatorIo() = default;
  // Shows `message` and returns the answer; `fallback` when nobody can answer.
  virtual std::string ask(const std::string& message, const std::string& fallback) = 0;
  // A terminal lists the choices after the message and cannot show the picture; the
  // operator page shows a button per choice and the picture.
  virtual std::string ask_question(const Question& question) {
    std::string choices;
    for (const auto& c : question.choices) choices += (choices.empty() ? "" : "/") + c;
    return ask(question.message + (choices.empty() ? "" : " (" + choices + ")"), question.fallback);
  }
  // Whether a person can answer (a terminal); work only hands can do needs one.
  virtual bool present() const { return true; }
};

// Asks for work only hands can do: with nobody there, the step cannot go on as if it was
// done (a load nobody switched), so it ends ERROR naming what was needed.
inline void ask_hands(OperatorIo& io, const std::string& message) {
  if (!io.present()) throw MeasurementError("needs an operator (no terminal): " + message);
  io.ask(message, "");
}

}  // namespace ampbench::plugs
