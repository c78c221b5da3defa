#include "dsp/weighting.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "dsp/units.hpp"

namespace ampbench::dsp {
namespace {

double a_weighting_raw_db(double f) {
  constexpr double f1 = 20.598997, f2 = 107.65265, f3 = 737.86223, f4 = 12194.217;
  const double f2sq = f * f;
  const double ra =
      (f4 * f4 * f2sq * f2sq) /
      ((f2sq + f1 * f1) * std::sqrt((f2sq + f2 * f2) * (f2sq + f3 * f3)) * (f2sq + f4 * f4));
  return amplitude_ratio_to_db(ra);
}

// Closed form of the BS.468-4 network's response, used beyond the ends of the table.
double bs468_raw_db(double f) {
  const double f2 = f * f, f3 = f2 * f, f4 = f2 * f2, f5 = f4 * f, f6 = f3 * f3;
  const double h1 =
      -4.737338981378384e-24 * f6 + 2.043828333606125e-15 * f4 - 1.363894795463638e-7 * f2 + 1.0;
  const double h2 =
      1.306612257412824e-19 * f5 - 2.118150887518656e-11 * f3 + 5.559488023498642e-4 * f;
  const double r = 1.246332637532143e-4 * f / std::sqrt(h1 * h1 + h2 * h2);
  return amplitude_ratio_to_db(r);
}

// ITU-R BS.468-4 Table 1: the normative response. Between its points the curve is a natural
// cubic spline in log-frequency; the closed form above departs from this table by up to
// 0.09 dB (at 100 Hz), more than the table's own rounding.
struct Bs468Table {
  static constexpr std::array<double, 21> hz = {31.5, 63,    100,   200,   400,   800,   1000,
                                                2000, 3150,  4000,  5000,  6300,  7100,  8000,
                                                9000, 10000, 12500, 14000, 16000, 20000, 31500};
  static constexpr std::array<double, 21> db = {-29.9, -23.9, -19.8, -13.8, -7.8,  -1.9,  0.0,
                                                5.6,   9.0,   10.5,  11.7,  12.2,  12.0,  11.4,
                                                10.1,  8.1,   0.0,   -5.3,  -11.7, -22.2, -42.7};
  std::array<double, 21> x{};
  std::array<double, 21> second_derivative{};

  Bs468Table() {
    constexpr std::size_t n = hz.size();
    for (std::size_t i = 0; i < n; ++i) x[i] = std::log10(hz[i]);
    // Natural spline: tridiagonal system for the second derivatives (Thomas algorithm).
    std::array<double, n> c{}, d{};
    for (std::size_t i = 1; i + 1 < n; ++i) {
      const double h0 = x[i] - x[i - 1], h1 = x[i + 1] - x[i];
      const double a = h0 / 6.0, b = (h0 + h1) / 3.0, cc = h1 / 6.0;
      const double r = (db[i + 1] - db[i]) / h1 - (db[i] - db[i - 1]) / h0;
      const double m = b - a * c[i - 1];
      c[i] = cc / m;
      d[i] = (r - a * d[i - 1]) / m;
    }
    for (std::size_t i = n - 2; i >= 1; --i)
      second_derivative[i] = d[i] - c[i] * second_derivative[i + 1];
  }

  double at(double frequency_hz) const {
    const double u = std::log10(frequency_hz);
    const auto upper = std::upper_bound(x.begin(), x.end(), u);
    const std::size_t i =
        std::clamp<std::size_t>(static_cast<std::size_t>(upper - x.begin()), 1, x.size() - 1);
    const double h = x[i] - x[i - 1];
    const double a = (x[i] - u) / h, b = (u - x[i - 1]) / h;
    return a * db[i - 1] + b * db[i] +
           ((a * a * a - a) * second_derivative[i - 1] + (b * b * b - b) * second_derivative[i]) *
               h * h / 6.0;
  }
};

}  // namespace

double a_weighting_db(double frequency_hz) {
  static const double at_1k = a_weighting_raw_db(1000.0);
  if (frequency_hz <= 0.0) return -300.0;
  return a_weighting_raw_db(frequency_hz) - at_1k;
}

double bs468_weighting_db(double frequency_hz) {
  static const Bs468Table table;
  const double low = Bs468Table::hz.front(), high = Bs468Table::hz.back();
  if (frequency_hz <= 0.0) return -300.0;
  if (frequency_hz < low)
    return bs468_raw_db(frequency_hz) - bs468_raw_db(low) + Bs468Table::db.front();
  if (frequency_hz > high)
    return bs468_raw_db(frequency_hz) - bs468_raw_db(high) + Bs468Table::db.back();
  return table.at(frequency_hz);
}

double ccir_rms_weighting_db(double frequency_hz) {
  return bs468_weighting_db(frequency_hz) - 5.63;
}

double weighting_db(Weighting weighting, double frequency_hz) {
  switch (weighting) {
    case Weighting::none:
      return 0.0;
    case Weighting::a:
      return a_weighting_db(frequency_hz);
    case Weighting::ccir_rms:
      return ccir_rms_weighting_db(frequency_hz);
  }
  return 0.0;
}

double weighting_power_gain(Weighting weighting, double frequency_hz) {
  if (weighting == Weighting::none) return 1.0;
  return db_to_power_ratio(weighting_db(weighting, frequency_hz));
}

Weighting parse_weighting(std::string_view name) {
  if (name == "none" || name.empty()) return Weighting::none;
  if (name == "A" || name == "a") return Weighting::a;
  if (name == "ccir" || name == "CCIR" || name == "ccir-rms") return Weighting::ccir_rms;
  throw UsageError("unknown weighting '" + std::string(name) + "' (expected none, A or ccir)");
}

}  // namespace ampbench::dsp
