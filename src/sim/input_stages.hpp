// sim: what reaches a DUT besides the interface's signal, and what a fault does to it: an
// external generator's sine, the unit's own gain offset (a low-gain fault, the line's
// unit-to-unit spread), mains hum, a DC offset at the output, and a dead channel's silence.
#pragma once

#include <vector>

#include "sim/stage.hpp"
#include "sim/wiring.hpp"

namespace ampbench::sim {

// Adds the generator's sine, v += √2·V·sin(φ + 2π·f·n/fs), its phase carried across blocks.
class GeneratorInputStage : public Stage {
 public:
  void prepare(double sample_rate_hz) override { sample_rate_hz_ = sample_rate_hz; }
  void process_block(std::span<double> volts, const Block& block) override;
  // Off, or a new sine from phase 0 at the next block.
  void set_output(const GeneratorOutput& output);

 private:
  double sample_rate_hz_ = 48000.0;
  GeneratorOutput output_;
  double phase_ = 0.0;  // radians
};

// v ·= gain.
class GainStage : public Stage {
 public:
  explicit GainStage(double gain) : gain_(gain) {}
  void process_block(std::span<double> volts, const Block& block) override;

 private:
  double gain_;
};

// Mains hum and its harmonics: √2·V·[sin(2π·f·t) + Σ 10^(h_k/20)·sin(2π·k·f·t)], k = 2, 3, …
// for the levels h_k in dB re the fundamental.
struct Hum {
  double vrms = 0.0;
  double frequency_hz = 50.0;
  std::vector<double> harmonics_db;
  double volts_at(double t_s) const;
};

// Adds hum, t = n/fs from the chain's first sample.
class HumStage : public Stage {
 public:
  explicit HumStage(Hum hum) : hum_(std::move(hum)) {}
  void prepare(double sample_rate_hz) override { sample_rate_hz_ = sample_rate_hz; }
  void process_block(std::span<double> volts, const Block& block) override;

 private:
  Hum hum_;
  double sample_rate_hz_ = 48000.0;
};

// Adds a DC offset at the DUT output: v += V_dc.
class DcOffsetStage : public Stage {
 public:
  explicit DcOffsetStage(double volts) : volts_(volts) {}
  void process_block(std::span<double> volts, const Block& block) override;

 private:
  double volts_;
};

// A dead channel: nothing comes out.
class MuteStage : public Stage {
 public:
  void process_block(std::span<double> volts, const Block& block) override;
};

}  // namespace ampbench::sim
