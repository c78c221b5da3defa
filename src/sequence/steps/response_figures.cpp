#include "sequence/steps/response_figures.hpp"

#include <cmath>

namespace ampbench::sequence {

std::optional<double> corner_hz(const ResponseData& d, double reference_hz, int direction) {
  const auto& f = d.frequency_hz;
  std::size_t i = 0;
  while (i + 1 < f.size() && f[i + 1] <= reference_hz) ++i;
  while (true) {
    if ((direction < 0 && i == 0) || (direction > 0 && i + 1 >= f.size())) return std::nullopt;
    const std::size_t j = direction > 0 ? i + 1 : i - 1;
    const double a = d.gain_db[i] - d.reference_gain_db + 3.0,
                 b = d.gain_db[j] - d.reference_gain_db + 3.0;
    if (a >= 0.0 && b < 0.0) {
      const double u = a / (a - b);
      return std::exp(std::log(f[i]) + u * (std::log(f[j]) - std::log(f[i])));
    }
    i = j;
  }
}

std::optional<double> gain_re_reference_db(const ResponseData& d, double hz) {
  const auto& f = d.frequency_hz;
  if (hz < f.front() * (1 - 1e-9) || hz > f.back() * (1 + 1e-9)) return std::nullopt;
  std::size_t i = 1;
  while (i + 1 < f.size() && f[i] < hz) ++i;
  const double u = std::log(hz / f[i - 1]) / std::log(f[i] / f[i - 1]);
  return d.gain_db[i - 1] + u * (d.gain_db[i] - d.gain_db[i - 1]) - d.reference_gain_db;
}

std::optional<double> shelf_turnover_hz(const ResponseData& d, bool low) {
  const auto& f = d.frequency_hz;
  const double edge = (low ? d.gain_db.front() : d.gain_db.back()) - d.reference_gain_db;
  if (std::abs(edge) < 1.0) return std::nullopt;  // no shelf to speak of
  const double half = edge / 2.0;
  for (std::size_t k = 1; k < f.size(); ++k) {
    const std::size_t i = low ? k - 1 : f.size() - k, j = low ? k : f.size() - k - 1;
    const double a = d.gain_db[i] - d.reference_gain_db - half,
                 b = d.gain_db[j] - d.reference_gain_db - half;
    if ((a >= 0.0) != (b >= 0.0)) {
      const double u = a / (a - b);
      return std::exp(std::log(f[i]) + u * (std::log(f[j]) - std::log(f[i])));
    }
  }
  return std::nullopt;
}

}  // namespace ampbench::sequence
