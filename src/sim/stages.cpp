#include "sim/stages.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <stdexcept>

#include "dsp/target_curve.hpp"
#include "dsp/units.hpp"
#include "sim/crossover.hpp"
#include "sim/fir.hpp"
#include "sim/input_stages.hpp"

namespace ampbench::sim {

DacStage::DacStage(double vrms_at_0dbfs, int latency_samples, double lowpass_hz,
                   double sample_rate_hz)
    : volts_per_fs_(vrms_at_0dbfs * std::numbers::sqrt2),
      delay_(static_cast<std::size_t>(std::max(latency_samples, 0)), 0.0) {
  if (lowpass_hz > 0.0)
    lowpass_ = Biquad(second_order_lowpass(lowpass_hz, std::numbers::sqrt2 / 2.0, sample_rate_hz));
}

double DacStage::process(double sample_fs) {
  const double v = lowpass_.process(sample_fs * volts_per_fs_);
  if (delay_.empty()) return v;
  const double out = delay_[position_];
  delay_[position_] = v;
  position_ = (position_ + 1) % delay_.size();
  return out;
}

void DacStage::process_block(std::span<double> samples, const Block&) {
  for (double& v : samples) v = process(v);
}

void DacStage::reset() {
  lowpass_.reset();
  std::fill(delay_.begin(), delay_.end(), 0.0);
  position_ = 0;
}

struct PreampStage::Filters {
  double input_gain = 1.0;  // input stage × gain control × gain_db
  double divider_ohm = std::numeric_limits<double>::infinity();
  double noise_density = 0.0;  // V/√Hz, input-referred
  bool dead = false;
  std::optional<Fir> riaa;
  double riaa_t2_us = 0.0;  // the curve riaa was designed for
  // A reactive input's divider Z_in/(Z_in + R_s), for the source resistance it was made for.
  std::optional<Fir> input_network;
  double input_network_source_ohm = -1.0;
  std::map<std::pair<std::string, double>, std::vector<double>> input_network_taps;
  Biquad bass, treble, highpass, lowpass;
};

PreampStage::PreampStage(const PreampModel& model, double sample_rate_hz, std::uint64_t seed,
                         Fault fault)
    : model_(model),
      sample_rate_hz_(sample_rate_hz),
      fault_(fault),
      noise_(seed),
      filters_(std::make_unique<Filters>()),
      networked_(lead_samples(model) > 0) {
  settings_.input = model_.default_input;
  if (model_.gain_control)
    settings_.gain_db = std::clamp(0.0, model_.gain_control->min_db, model_.gain_control->max_db);
  configure();
}

PreampStage::PreampStage(PreampStage&&) noexcept = default;
PreampStage& PreampStage::operator=(PreampStage&&) noexcept = default;
PreampStage::~PreampStage() = default;

const PreampInputModel& PreampStage::input() const {
  static const PreampInputModel kLine = [] {
    PreampInputModel line;
    line.impedance_ohm = std::numeric_limits<double>::infinity();
    return line;
  }();
  const auto it = model_.inputs.find(settings_.input);
  return it == model_.inputs.end() ? kLine : it->second;
}

double PreampStage::input_impedance_ohm() const {
  return input().impedance_ohm;
}

double PreampStage::phantom_v() const {
  return settings_.phantom ? input().phantom_v : 0.0;
}

void PreampStage::apply(const DutSettings& settings) {
  if (!model_.inputs.empty() && !model_.inputs.count(settings.input)) {
    std::string names;
    for (const auto& [name, in] : model_.inputs) names += (names.empty() ? "" : ", ") + name;
    throw std::invalid_argument("input '" + settings.input + "' is not one of this preamp's (" +
                                names + ")");
  }
  if (model_.inputs.empty() && !settings.input.empty())
    throw std::invalid_argument("this preamp has no input selector");
  if (model_.gain_control) {
    const auto& g = *model_.gain_control;
    if (settings.gain_db < g.min_db - 1e-9 || settings.gain_db > g.max_db + 1e-9)
      throw std::invalid_argument("gain " + std::to_string(settings.gain_db) +
                                  " dB is outside the control's range");
  } else if (settings.gain_db != 0.0) {
    throw std::invalid_argument("this preamp has no gain control");
  }
  const double range = model_.tone ? model_.tone->range_db : 0.0;
  if (std::abs(settings.bass_db) > range + 1e-9 || std::abs(settings.treble_db) > range + 1e-9)
    throw std::invalid_argument(model_.tone ? "tone controls go from -" + std::to_string(range) +
                                                  " to +" + std::to_string(range) + " dB"
                                            : "this preamp has no tone controls");
  const auto chosen = model_.inputs.find(settings.input);
  if (settings.phantom && (chosen == model_.inputs.end() || chosen->second.phantom_v <= 0.0))
    throw std::invalid_argument("input '" + settings.input + "' has no phantom power");
  settings_ = settings;
  configure();
}

void PreampStage::configure() {
  const PreampInputModel& in = input();
  Filters& f = *filters_;
  double control_db = settings_.gain_db;
  if (model_.gain_control && model_.gain_control->step_db > 0.0)
    control_db =
        model_.gain_control->min_db +
        std::round((control_db - model_.gain_control->min_db) / model_.gain_control->step_db) *
            model_.gain_control->step_db;
  f.input_gain = dsp::db_to_amplitude_ratio(model_.gain_db + in.gain_db + control_db);
  f.divider_ohm = in.impedance_ohm;
  f.noise_density =
      (model_.inputs.empty() ? model_.noise_nv_per_rthz : in.noise_nv_per_rthz) * 1e-9;
  f.dead = in.dead || (fault_ == Fault::dead_mic && settings_.input == "mic");
  f.input_network.reset();  // the selected input may have changed
  const double t2_us = fault_ == Fault::riaa_error ? kRiaaErrorT2Us : in.riaa_t2_us;
  // Designing the FIR takes FFTs of four times its length: keep it while its curve holds
  // (a gain or tone change on the phono input).
  if (!in.riaa) {
    f.riaa.reset();
  } else if (!f.riaa || f.riaa_t2_us != t2_us) {
    dsp::RiaaOptions riaa;
    riaa.t2_us = t2_us;
    f.riaa_t2_us = t2_us;
    const double at_1k = std::abs(dsp::riaa_playback_response(1000.0, riaa));
    // Taps for 40 ms: the 3180 µs pole has decayed by e^-12 by then.
    std::size_t taps = 4096;
    while (static_cast<double>(taps) < 0.04 * sample_rate_hz_) taps *= 2;
    f.riaa.emplace(
        minimum_phase_taps(
            [&](double hz) { return std::abs(dsp::riaa_playback_response(hz, riaa)) / at_1k; },
            sample_rate_hz_, taps),
        sample_rate_hz_);
  }
  f.bass = model_.tone ? Biquad(low_shelf(model_.tone->bass_hz, settings_.bass_db, sample_rate_hz_))
                       : Biquad();
  f.treble = model_.tone
                 ? Biquad(high_shelf(model_.tone->treble_hz, settings_.treble_db, sample_rate_hz_))
                 : Biquad();
  if (model_.highpass_hz > 0.0)
    f.highpass = Biquad(first_order_highpass(model_.highpass_hz, sample_rate_hz_));
  if (model_.lowpass_hz > 0.0)
    f.lowpass = Biquad(second_order_lowpass(model_.lowpass_hz, model_.lowpass_q, sample_rate_hz_));
}

int PreampStage::lead_samples(const PreampModel& model) {
  for (const auto& [name, in] : model.inputs)
    if (in.reactive()) return static_cast<int>(kNetworkLeadTaps);
  return 0;
}

std::complex<double> PreampStage::input_impedance(double frequency_hz) const {
  const PreampInputModel& in = input();
  if (in.loudspeaker) return loudspeaker_impedance(*in.loudspeaker, frequency_hz);
  return parallel_rc(in.impedance_ohm, in.capacitance_pf, frequency_hz);
}

void PreampStage::apply_input_network(std::span<double> block, double source_ohm) {
  Filters& f = *filters_;
  if (!f.input_network || f.input_network_source_ohm != source_ohm) {
    auto& taps = f.input_network_taps[{settings_.input, source_ohm}];
    if (taps.empty())
      taps = network_taps(
          [&](double hz) {
            const auto z = input_impedance(hz);
            return std::isinf(z.real()) ? std::complex<double>(1.0) : z / (z + source_ohm);
          },
          sample_rate_hz_);
    f.input_network.emplace(taps, sample_rate_hz_);
    f.input_network_source_ohm = source_ohm;
  }
  f.input_network->process(block);
}

void PreampStage::process_block(std::span<double> block, double source_ohm) {
  Filters& f = *filters_;
  if (networked_) apply_input_network(block, source_ohm);
  // The divider for the source's thermal noise (and the signal, without a network).
  const double divider =
      std::isinf(f.divider_ohm) ? 1.0 : f.divider_ohm / (f.divider_ohm + source_ohm);
  // White noise of density e over 0..fs/2 has rms e·√(fs/2); the source's thermal noise
  // reaches the input through the same divider as its signal.
  const double thermal = std::sqrt(4.0 * kBoltzmann * kNoiseTemperatureK * source_ohm);
  const double noise_rms =
      std::hypot(f.noise_density, thermal * divider) * std::sqrt(sample_rate_hz_ / 2.0);
  const Hum hum{model_.hum_vrms, model_.hum_hz, model_.hum_harmonics_db};
  for (double& v : block) {
    if (!networked_) v *= divider;
    if (noise_rms > 0.0) v += noise_rms * noise_.next();
    if (hum.vrms > 0.0) v += hum.volts_at(static_cast<double>(sample_index_) / sample_rate_hz_);
    ++sample_index_;
    if (f.dead) v = 0.0;
  }
  if (f.riaa) f.riaa->process(block);
  for (double& v : block) {
    v = f.treble.process(f.bass.process(v * f.input_gain));
    v += model_.a2_per_volt * v * v + model_.a3_per_volt2 * v * v * v;
    if (model_.clip_vpeak > 0.0) v = std::clamp(v, -model_.clip_vpeak, model_.clip_vpeak);
    v = f.lowpass.process(f.highpass.process(v));
  }
}

double PreampStage::process(double v_in, double source_ohm) {
  process_block(std::span(&v_in, 1), source_ohm);
  return v_in;
}

void PreampStage::reset() {
  Filters& f = *filters_;
  f.bass.reset();
  f.treble.reset();
  f.highpass.reset();
  f.lowpass.reset();
  if (f.riaa) f.riaa->reset();
  if (f.input_network) f.input_network->reset();
}

std::complex<double> PreampStage::linear_response(double frequency_hz, double source_ohm) const {
  const Filters& f = *filters_;
  if (f.dead) return 0.0;
  const auto z_in = input_impedance(frequency_hz);
  const std::complex<double> divider = std::isinf(z_in.real()) ? 1.0 : z_in / (z_in + source_ohm);
  std::complex<double> h = divider * f.input_gain *
                           f.bass.coefficients().response(frequency_hz, sample_rate_hz_) *
                           f.treble.coefficients().response(frequency_hz, sample_rate_hz_) *
                           f.highpass.coefficients().response(frequency_hz, sample_rate_hz_) *
                           f.lowpass.coefficients().response(frequency_hz, sample_rate_hz_);
  if (f.riaa) h *= f.riaa->response(frequency_hz);
  return h;
}

PowerAmpStage::PowerAmpStage(const PowerAmpModel& model, double sample_rate_hz,
                             std::optional<LoudspeakerModel> loudspeaker)
    : model_(model),
      loudspeaker_(std::move(loudspeaker)),
      sample_rate_hz_(sample_rate_hz),
      gain_(dsp::db_to_amplitude_ratio(model.gain_db)),
      slew_(model.slew_v_per_us, sample_rate_hz),
      oversampler_(sample_rate_hz),
      slew_high_(model.slew_v_per_us, sample_rate_hz * oversampler_.factor()) {
  set_load_ohm(std::numeric_limits<double>::infinity());
}

int PowerAmpStage::lead_samples(const PowerAmpModel& model,
                                const std::optional<LoudspeakerModel>& loudspeaker,
                                double sample_rate_hz) {
  return (model.network().reactive() || loudspeaker ? static_cast<int>(kNetworkLeadTaps) : 0) +
         Oversampler::delay_samples(sample_rate_hz);
}

void PowerAmpStage::prepare(double sample_rate_hz) {
  if (sample_rate_hz != sample_rate_hz_) {
    network_taps_.clear();
    network_.reset();
  }
  sample_rate_hz_ = sample_rate_hz;
  slew_ = SlewLimiter(model_.slew_v_per_us, sample_rate_hz);
  oversampler_ = Oversampler(sample_rate_hz);
  slew_high_ = SlewLimiter(model_.slew_v_per_us, sample_rate_hz * oversampler_.factor());
  design_network();
}

void PowerAmpStage::reset() {
  slew_.reset();
  slew_high_.reset();
  oversampler_.reset();
  if (network_) network_->reset();
}

bool PowerAmpStage::connects_loudspeaker(double load_ohm) const {
  return loudspeaker_ && std::abs(load_ohm - loudspeaker_->nominal_ohm) < 1e-9 * load_ohm;
}

void PowerAmpStage::set_load_ohm(double load_ohm) {
  load_ohm_ = load_ohm;
  const double resistance = connects_loudspeaker(load_ohm) ? loudspeaker_->re_ohm : load_ohm;
  const double z = model_.output_impedance_ohm;
  if (std::isinf(resistance)) {
    e_max_ = model_.rail_v;
    divider_ = 1.0;
  } else {
    const double loop = resistance + z;
    e_max_ = std::min(model_.rail_v * loop / (loop + model_.rail_source_ohm),
                      model_.current_limit_a * loop);
    divider_ = resistance / loop;
  }
  design_network();
}

void PowerAmpStage::design_network() {
  if (!networked()) return;
  // A load is switched in between captures: the network starts from rest. The same load
  // again keeps its filter (and the transforms it made of its taps).
  if (network_ && network_load_ohm_ == load_ohm_) {
    network_->reset();
    return;
  }
  auto& taps = network_taps_[load_ohm_];
  if (taps.empty()) {
    const auto network = model_.network();
    const bool speaker = connects_loudspeaker(load_ohm_);
    taps = network_taps(
        [&](double hz) -> std::complex<double> {
          if (std::isinf(load_ohm_)) return output_transfer(network, std::nullopt, hz);
          if (speaker)
            return output_transfer(network, loudspeaker_impedance(*loudspeaker_, hz), hz);
          return output_transfer(network, load_ohm_, hz);
        },
        sample_rate_hz_);
  }
  network_.emplace(taps, sample_rate_hz_);
  network_load_ohm_ = load_ohm_;
}

double PowerAmpStage::internal_volts(double v_in, SlewLimiter& slew) const {
  const double e =
      slew.process(crossover(gain_ * v_in, model_.crossover_v, model_.crossover_depth));
  return std::clamp(e, -e_max_, e_max_);
}

double PowerAmpStage::process(double v_in) {
  return internal_volts(v_in, slew_) * divider_;
}

void PowerAmpStage::process_block(std::span<double> v, const Block&) {
  oversampler_.process(v, [&](double x) { return internal_volts(x, slew_high_); });
  if (network_)
    network_->process(v);
  else
    for (double& x : v) x *= divider_;
}

double PowerAmpStage::clip_peak_v(double load_ohm) const {
  PowerAmpStage probe(model_);
  probe.set_load_ohm(load_ohm);
  return probe.e_max_ * probe.divider_;
}

AdcStage::AdcStage(double vrms_at_0dbfs, double attenuator_gain_db, double noise_dbfs,
                   std::uint64_t seed)
    : fs_per_volt_(dsp::db_to_amplitude_ratio(attenuator_gain_db) /
                   (vrms_at_0dbfs * std::numbers::sqrt2)),
      noise_(
          noise_dbfs <= -300.0 ? 0.0 : dsp::db_to_amplitude_ratio(noise_dbfs) / std::numbers::sqrt2,
          seed) {}

double AdcStage::process(double v_dut_out) {
  return std::clamp(v_dut_out * fs_per_volt_ + noise_.next(), -1.0, 1.0);
}

void AdcStage::process_block(std::span<double> samples, const Block&) {
  for (double& v : samples) v = process(v);
}

}  // namespace ampbench::sim
