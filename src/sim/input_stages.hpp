// sim: what reaches a DUT besides the interface's signal, and what a fault does to it: an
// external generator's sine, the unit's own gain offset (a low-gain fault, the line's
// unit-to-unit spread), mains hum, a DC offset at the output, and a dead channel's silence.
#pragma once

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

// Adds mains hum, √2·V·sin(2π·f·t) with t = n/fs from the chain's first sample.
class HumStage : public Stage {
 public:
  HumStage(double vrms, double frequency_hz) : vrms_(vrms), frequency_hz_(frequency_hz) {}
  void prepare(double sample_rate_hz) override { sample_rate_hz_ = sample_rate_hz; }
  void process_block(std::span<double> volts, const Block& block) override;

 private:
  double vrms_;
  double frequency_hz_;
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
