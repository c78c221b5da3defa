#include "sim/chain.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "dsp/units.hpp"
#include "sim/common_mode.hpp"
#include "sim/gaussian.hpp"
#include "sim/supply_ripple.hpp"

namespace ampbench::sim {
namespace {

Fault resolve_fault(const SimConfig& config, int channel, const std::string& serial) {
  Fault fault = Fault::none;
  if (auto it = config.channel_faults.find(channel); it != config.channel_faults.end())
    fault = it->second;
  if (auto s = config.serial_faults.find(serial); s != config.serial_faults.end()) {
    if (auto all = s->second.find(0); all != s->second.end()) fault = all->second;
    if (auto one = s->second.find(channel); one != s->second.end()) fault = one->second;
  }
  return fault;
}

std::uint64_t channel_seed(std::uint64_t seed, const std::string& serial, int channel, int stage) {
  // splitmix64 finaliser over the inputs: distinct, reproducible streams per channel and stage.
  std::uint64_t z = seed ^ (std::hash<std::string>{}(serial)*0x9E3779B97F4A7C15ULL) ^
                    (static_cast<std::uint64_t>(channel) << 32) ^ static_cast<std::uint64_t>(stage);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Stream numbers of a channel's draws (0–2 are its noise sources).
enum SpreadDraw : int { gain_draw = 3, highpass_draw, lowpass_draw, distortion_draw, noise_draw };

double spread_draw(const SimConfig& config, const std::string& serial, int channel,
                   SpreadDraw draw) {
  return GaussianSource(channel_seed(config.seed, serial, channel, draw)).next();
}

double spread_factor(double sigma_pct, const SimConfig& config, const std::string& serial,
                     int channel, SpreadDraw draw) {
  if (sigma_pct <= 0.0) return 1.0;
  return std::max(0.05, 1.0 + sigma_pct / 100.0 * spread_draw(config, serial, channel, draw));
}

// This serial's own preamp: its corners, distortion and noise drawn around the model's.
PreampModel spread_preamp(PreampModel model, const SimConfig& config, const std::string& serial,
                          int channel) {
  const UnitSpread& spread = config.unit_spread;
  model.highpass_hz *= spread_factor(spread.highpass_pct, config, serial, channel, highpass_draw);
  model.lowpass_hz *= spread_factor(spread.lowpass_pct, config, serial, channel, lowpass_draw);
  const double distortion =
      spread_factor(spread.distortion_pct, config, serial, channel, distortion_draw);
  model.a2_per_volt *= distortion;
  model.a3_per_volt2 *= distortion;
  if (spread.noise_db > 0.0)
    model.noise_nv_per_rthz *= dsp::db_to_amplitude_ratio(
        spread.noise_db * spread_draw(config, serial, channel, noise_draw));
  return model;
}

}  // namespace

template <typename S>
S* SimChain::append(Channel& channel, std::unique_ptr<S> stage, double sample_rate_hz) {
  S* raw = stage.get();
  raw->prepare(sample_rate_hz);
  channel.to_dut_output.push_back(std::move(stage));
  return raw;
}

SimChain::SimChain(const SimConfig& config, const ConverterCalibration& calibration,
                   double sample_rate_hz, int channels, const std::string& serial,
                   bool loopback_reference)
    : sample_rate_hz_(sample_rate_hz),
      latency_samples_(config.latency_samples),
      crosstalk_(config.crosstalk_db <= -300.0 ? 0.0
                                               : dsp::db_to_amplitude_ratio(config.crosstalk_db)),
      load_ohm_(config.load_ohm),
      source_ohm_(config.source_ohm) {
  // Network FIRs delay their channel; the DAC's delay line makes up the rest, so every
  // channel (and the loopback reference) comes back after the same latency.
  const int lead = (config.preamp ? PreampStage::lead_samples(*config.preamp) : 0) +
                   (config.power_amp ? PowerAmpStage::lead_samples(
                                           *config.power_amp, config.loudspeaker, sample_rate_hz)
                                     : 0);
  latency_samples_ = std::max(config.latency_samples, lead);
  const auto dac = [&](int own_lead, std::size_t channel) {
    return std::make_unique<DacStage>(calibration.output_vrms(channel), latency_samples_ - own_lead,
                                      config.converter_lowpass_hz, sample_rate_hz);
  };
  for (int c = 1; c <= channels; ++c) {
    const Fault fault = resolve_fault(config, c, serial);
    Channel ch{fault,
               false,
               {},
               AdcStage(calibration.input_vrms(static_cast<std::size_t>(c - 1)),
                        calibration.attenuator_gain_db, config.adc_noise_dbfs,
                        channel_seed(config.seed, serial, c, 2))};
    append(ch, dac(lead, static_cast<std::size_t>(c - 1)), sample_rate_hz);
    ch.generator = append(ch, std::make_unique<GeneratorInputStage>(), sample_rate_hz);
    double input_gain_db = fault == Fault::low_gain ? kLowGainFaultDb : 0.0;
    if (auto own = config.channel_gain_db.find(c); own != config.channel_gain_db.end())
      input_gain_db += own->second;
    if (config.unit_spread.gain_db > 0.0)
      input_gain_db += config.unit_spread.gain_db * spread_draw(config, serial, c, gain_draw);
    append(ch, std::make_unique<GainStage>(dsp::db_to_amplitude_ratio(input_gain_db)),
           sample_rate_hz);
    if (config.preamp) {
      PreampModel model = *config.preamp;
      if (fault == Fault::poor_cmrr)
        model.cmrr_mismatch_pct = std::max(model.cmrr_mismatch_pct, kPoorCmrrMismatchPct);
      append(ch, std::make_unique<CommonModeStage>(model), sample_rate_hz);
    }
    if (fault == Fault::hum)
      append(ch,
             std::make_unique<HumStage>(
                 Hum{kHumFaultVrms,
                     config.preamp ? config.preamp->hum_hz : 50.0,
                     {std::begin(kHumFaultHarmonicsDb), std::end(kHumFaultHarmonicsDb)}}),
             sample_rate_hz);
    if (config.preamp) {
      PreampModel model = spread_preamp(*config.preamp, config, serial, c);
      if (fault == Fault::early_clip && model.clip_vpeak > 0.0)
        model.clip_vpeak *= kEarlyClipFactor;
      ch.preamp = append(ch,
                         std::make_unique<PreampStage>(
                             model, sample_rate_hz, channel_seed(config.seed, serial, c, 1), fault),
                         sample_rate_hz);
    }
    if (config.power_amp) {
      PowerAmpModel model = *config.power_amp;
      model.crossover_depth *=
          spread_factor(config.unit_spread.distortion_pct, config, serial, c, distortion_draw);
      if (fault == Fault::early_clip) model.rail_v *= kEarlyClipFactor;
      if (fault == Fault::crossover) {
        model.crossover_v = std::max(model.crossover_v, kCrossoverFaultV);
        model.crossover_depth = std::max(model.crossover_depth, kCrossoverFaultDepth);
      }
      if (fault == Fault::low_efficiency) model.quiescent_a += kLowEfficiencyFaultA;
      if (fault == Fault::slew)
        model.slew_v_per_us = model.slew_v_per_us > 0.0
                                  ? std::min(model.slew_v_per_us, kSlewFaultVPerUs)
                                  : kSlewFaultVPerUs;
      if (fault == Fault::supply_coupling) {
        model.psrr_db = std::min(model.psrr_db, kSupplyCouplingFaultDb);
        model.psrr_corner_hz = 0.0;
      }
      ch.power_amp =
          append(ch, std::make_unique<PowerAmpStage>(model, sample_rate_hz, config.loudspeaker),
                 sample_rate_hz);
      ch.supply_ripple = append(ch, std::make_unique<SupplyRippleStage>(model), sample_rate_hz);
    }
    if (fault == Fault::inverted) append(ch, std::make_unique<GainStage>(-1.0), sample_rate_hz);
    if (fault == Fault::dc_offset)
      append(ch, std::make_unique<DcOffsetStage>(kDcOffsetFaultV), sample_rate_hz);
    if (fault == Fault::dead_channel) append(ch, std::make_unique<MuteStage>(), sample_rate_hz);
    channels_.push_back(std::move(ch));
  }
  if (loopback_reference) {
    Channel ch{Fault::none,
               true,
               {},
               AdcStage(calibration.input_vrms(static_cast<std::size_t>(channels)), 0.0,
                        config.adc_noise_dbfs, channel_seed(config.seed, serial, channels + 1, 2))};
    append(ch, dac(0, static_cast<std::size_t>(channels)), sample_rate_hz);
    if (config.loopback_gain_db != 0.0)
      append(ch, std::make_unique<GainStage>(dsp::db_to_amplitude_ratio(config.loopback_gain_db)),
             sample_rate_hz);
    channels_.push_back(std::move(ch));
  }
  dut_out_.assign(channels_.size(), {});
  set_load_ohm(load_ohm_);
}

void SimChain::set_load_ohm(double load_ohm) {
  load_ohm_ = load_ohm;
  for (auto& ch : channels_)
    if (ch.power_amp) ch.power_amp->set_load_ohm(load_ohm);
}

void SimChain::set_dut(const DutSettings& settings) {
  bool any = false;
  for (auto& ch : channels_) {
    if (!ch.preamp) continue;
    ch.preamp->apply(settings);
    any = true;
  }
  if (!any) throw std::invalid_argument("the simulated DUT has no preamp to set");
}

DutSettings SimChain::dut_settings() const {
  for (const auto& ch : channels_)
    if (ch.preamp) return ch.preamp->settings();
  return {};
}

double SimChain::phantom_v(int channel) const {
  const auto& ch = channels_.at(static_cast<std::size_t>(channel - 1));
  return ch.preamp ? ch.preamp->phantom_v() : 0.0;
}

void SimChain::set_generator(const std::optional<GeneratorOutput>& output) {
  for (auto& ch : channels_)
    if (ch.generator) ch.generator->set_output(output && output->on ? *output : GeneratorOutput{});
}

void SimChain::set_supply_ripple(const std::optional<GeneratorOutput>& ripple) {
  for (auto& ch : channels_)
    if (ch.supply_ripple)
      ch.supply_ripple->set_ripple(ripple && ripple->on ? *ripple : GeneratorOutput{});
}

void SimChain::set_common_mode(bool on, double imbalance_ohm) {
  if (on && std::none_of(channels_.begin(), channels_.end(),
                         [](const Channel& ch) { return ch.preamp != nullptr; }))
    throw std::invalid_argument("the simulated DUT has no balanced input (no [sim.preamp])");
  common_mode_ = on;
  imbalance_ohm_ = on ? imbalance_ohm : 0.0;
}

// Each leg of the selected input sees half its impedance to ground; the imbalance divides the
// legs' common-mode voltages differently by ΔR/(Z_leg + R_s + ΔR).
double SimChain::source_mismatch() const {
  if (!common_mode_ || !(imbalance_ohm_ > 0.0)) return 0.0;
  for (const auto& ch : channels_) {
    if (!ch.preamp) continue;
    const double leg_ohm = ch.preamp->input_impedance_ohm() / 2.0;
    return std::isinf(leg_ohm) ? 0.0 : imbalance_ohm_ / (leg_ohm + source_ohm() + imbalance_ohm_);
  }
  return 0.0;
}

void SimChain::reset() {
  for (auto& ch : channels_)
    for (auto& stage : ch.to_dut_output) stage->reset();
}

void SimChain::watch_supply(std::size_t from_frame, std::size_t to_frame) {
  supply_ = {from_frame,
             to_frame,
             0,
             0,
             std::vector<double>(channels_.size(), 0.0),
             std::vector<double>(channels_.size(), 0.0)};
}

std::optional<double> SimChain::supply_current_a() const {
  if (supply_.frames == 0) return std::nullopt;
  const double n = static_cast<double>(supply_.frames);
  std::optional<double> amps;
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    if (!channels_[c].power_amp) continue;
    const PowerAmpModel& m = channels_[c].power_amp->model();
    const double conductance = std::isinf(load_ohm_) ? 0.0 : 1.0 / load_ohm_;
    const double drawn =
        m.supply_class == PowerAmpModel::SupplyClass::ab
            ? supply_.abs_sum[c] / n * conductance / 2.0
            : supply_.square_sum[c] / n * conductance / (m.class_d_efficiency * m.supply_volts());
    amps = amps.value_or(0.0) + m.quiescent_a + drawn;
  }
  return amps;
}

void SimChain::process(const std::vector<const double*>& in, const std::vector<double*>& out,
                       std::size_t frames) {
  const Block block{samples_processed_, source_ohm(), common_mode_, source_mismatch()};
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    auto& dut = dut_out_[c];
    dut.assign(in[c], in[c] + frames);
    for (auto& stage : channels_[c].to_dut_output)
      if (!stage->bypassed()) stage->process_block(std::span(dut.data(), frames), block);
  }
  samples_processed_ += frames;
  const std::size_t watch_begin = std::clamp(supply_.from, supply_.at, supply_.at + frames);
  const std::size_t watch_end = std::clamp(supply_.to, supply_.at, supply_.at + frames);
  if (watch_end > watch_begin) {
    for (std::size_t c = 0; c < channels_.size(); ++c)
      for (std::size_t i = watch_begin - supply_.at; i < watch_end - supply_.at; ++i) {
        supply_.abs_sum[c] += std::abs(dut_out_[c][i]);
        supply_.square_sum[c] += dut_out_[c][i] * dut_out_[c][i];
      }
    supply_.frames += watch_end - watch_begin;
  }
  supply_.at += frames;
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    for (std::size_t i = 0; i < frames; ++i) {
      double v = dut_out_[c][i];
      if (crosstalk_ > 0.0 && !channels_[c].reference) {
        for (std::size_t other = 0; other < channels_.size(); ++other)
          if (other != c && !channels_[other].reference) v += crosstalk_ * dut_out_[other][i];
      }
      out[c][i] = v;
    }
    channels_[c].adc.process_block(std::span(out[c], frames), block);
  }
}

}  // namespace ampbench::sim
