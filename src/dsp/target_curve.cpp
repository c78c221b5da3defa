#include "dsp/target_curve.hpp"

#include <cmath>
#include <numbers>

namespace ampbench::dsp {

std::complex<double> riaa_playback_response(double frequency_hz, const RiaaOptions& o) {
  const std::complex<double> s(0.0, 2.0 * std::numbers::pi * frequency_hz);
  std::complex<double> h =
      (1.0 + s * o.t2_us * 1e-6) / ((1.0 + s * o.t1_us * 1e-6) * (1.0 + s * o.t3_us * 1e-6));
  if (o.iec_subsonic) h *= s * 7950e-6 / (1.0 + s * 7950e-6);
  if (o.pole_50khz) h /= 1.0 + s * 3.18e-6;
  return h;
}

double riaa_playback_db(double frequency_hz, const RiaaOptions& options) {
  return 20.0 * std::log10(std::abs(riaa_playback_response(frequency_hz, options)) /
                           std::abs(riaa_playback_response(1000.0, options)));
}

double target_table_db(const TargetTable& table, double frequency_hz) {
  if (table.empty()) return 0.0;
  if (frequency_hz <= table.front().first) return table.front().second;
  if (frequency_hz >= table.back().first) return table.back().second;
  std::size_t i = 1;
  while (table[i].first < frequency_hz) ++i;
  const auto [f0, d0] = table[i - 1];
  const auto [f1, d1] = table[i];
  const double t = std::log(frequency_hz / f0) / std::log(f1 / f0);
  return d0 + t * (d1 - d0);
}

}  // namespace ampbench::dsp
