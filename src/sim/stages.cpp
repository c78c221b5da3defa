#include "sim/stages.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "dsp/units.hpp"

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

void DacStage::reset() {
  lowpass_.reset();
  std::fill(delay_.begin(), delay_.end(), 0.0);
  position_ = 0;
}

PreampStage::PreampStage(const PreampModel& model, double sample_rate_hz, std::uint64_t seed)
    : model_(model),
      sample_rate_hz_(sample_rate_hz),
      gain_(dsp::db_to_amplitude_ratio(model.gain_db)),
      // White noise of density e_n over 0..fs/2 has rms e_n·√(fs/2).
      noise_(model.noise_nv_per_rthz * 1e-9 * std::sqrt(sample_rate_hz / 2.0), seed) {
  if (model.highpass_hz > 0.0)
    highpass_ = Biquad(first_order_highpass(model.highpass_hz, sample_rate_hz));
  if (model.lowpass_hz > 0.0)
    lowpass_ = Biquad(second_order_lowpass(model.lowpass_hz, model.lowpass_q, sample_rate_hz));
}

double PreampStage::process(double v_in) {
  double v = v_in + noise_.next();
  if (model_.hum_vrms > 0.0) {
    const double t = static_cast<double>(sample_index_) / sample_rate_hz_;
    v += model_.hum_vrms * std::numbers::sqrt2 *
         std::sin(2.0 * std::numbers::pi * model_.hum_hz * t);
  }
  ++sample_index_;
  v *= gain_;
  v += model_.a2_per_volt * v * v + model_.a3_per_volt2 * v * v * v;
  if (model_.clip_vpeak > 0.0) v = std::clamp(v, -model_.clip_vpeak, model_.clip_vpeak);
  return lowpass_.process(highpass_.process(v));
}

void PreampStage::reset() {
  highpass_.reset();
  lowpass_.reset();
}

std::complex<double> PreampStage::linear_response(double frequency_hz) const {
  return gain_ * highpass_.coefficients().response(frequency_hz, sample_rate_hz_) *
         lowpass_.coefficients().response(frequency_hz, sample_rate_hz_);
}

PowerAmpStage::PowerAmpStage(const PowerAmpModel& model)
    : model_(model), gain_(dsp::db_to_amplitude_ratio(model.gain_db)) {
  set_load_ohm(std::numeric_limits<double>::infinity());
}

void PowerAmpStage::set_load_ohm(double load_ohm) {
  const double z = model_.output_impedance_ohm;
  if (std::isinf(load_ohm)) {
    e_max_ = model_.rail_v;
    divider_ = 1.0;
    return;
  }
  const double loop = load_ohm + z;
  e_max_ = std::min(model_.rail_v * loop / (loop + model_.rail_source_ohm),
                    model_.current_limit_a * loop);
  divider_ = load_ohm / loop;
}

double PowerAmpStage::process(double v_in) const {
  return std::clamp(gain_ * v_in, -e_max_, e_max_) * divider_;
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

}  // namespace ampbench::sim
