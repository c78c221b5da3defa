#include "sim/impedance.hpp"

#include <numbers>

namespace ampbench::sim {
namespace {

constexpr std::complex<double> kJ(0.0, 1.0);

double omega(double frequency_hz) {
  return 2.0 * std::numbers::pi * frequency_hz;
}

std::complex<double> parallel(std::complex<double> a, std::complex<double> b) {
  return a * b / (a + b);
}

// The Zobel's impedance, or none (none at DC either: its capacitor is open there).
std::optional<std::complex<double>> zobel(const OutputNetwork& n, double frequency_hz) {
  if (!(n.zobel_ohm > 0.0 && n.zobel_nf > 0.0) || frequency_hz == 0.0) return std::nullopt;
  return n.zobel_ohm + 1.0 / (kJ * omega(frequency_hz) * n.zobel_nf * 1e-9);
}

}  // namespace

std::complex<double> loudspeaker_impedance(const LoudspeakerModel& s, double frequency_hz) {
  const double w = omega(frequency_hz);
  const double ws = omega(s.fs_hz);
  const double r_es = s.re_ohm * s.qms / s.qes;
  const double c_mes = s.qes / (ws * s.re_ohm);
  const double l_ces = 1.0 / (ws * ws * c_mes);
  if (w == 0.0) return s.re_ohm;  // the motional branch is shorted by L_ces at DC
  const std::complex<double> motional =
      1.0 / (1.0 / r_es + 1.0 / (kJ * w * l_ces) + kJ * w * c_mes);
  return s.re_ohm + kJ * w * s.le_mh * 1e-3 + motional;
}

std::complex<double> parallel_rc(double ohm, double capacitance_pf, double frequency_hz) {
  if (!(capacitance_pf > 0.0) || frequency_hz == 0.0) return ohm;
  return parallel(ohm, 1.0 / (kJ * omega(frequency_hz) * capacitance_pf * 1e-12));
}

std::complex<double> output_impedance(const OutputNetwork& n, double frequency_hz) {
  std::complex<double> z = n.output_ohm;
  if (const auto zz = zobel(n, frequency_hz)) z = n.output_ohm == 0.0 ? 0.0 : parallel(z, *zz);
  if (n.inductor_uh > 0.0 && frequency_hz > 0.0) {
    const std::complex<double> l = kJ * omega(frequency_hz) * n.inductor_uh * 1e-6;
    z += n.damping_ohm > 0.0 ? parallel(l, n.damping_ohm) : l;
  }
  return z;
}

std::complex<double> output_transfer(const OutputNetwork& n,
                                     std::optional<std::complex<double>> load_ohm,
                                     double frequency_hz) {
  std::complex<double> open = 1.0;
  if (const auto zz = zobel(n, frequency_hz)) open = *zz / (n.output_ohm + *zz);
  if (!load_ohm) return open;
  return open * *load_ohm / (*load_ohm + output_impedance(n, frequency_hz));
}

}  // namespace ampbench::sim
