#include "sequence/steps/response_figures.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"
#include "sequence/step_context.hpp"

namespace ampbench::sequence {

TargetCurve parse_target(const TomlReader& r, const toml::node* target, const std::string& q) {
  TargetCurve curve;
  if (target->is_string()) {
    const std::string name = target->as_string()->get();
    if (name != "riaa" && name != "riaa-iec" && name != "riaa-50khz" && name != "riaa-iec-50khz")
      r.fail(target, q,
             "unknown target '" + name +
                 "' (expected riaa, riaa-iec, riaa-50khz, riaa-iec-50khz or a table "
                 "of [Hz, dB] pairs)");
    curve.name = name;
    curve.riaa.iec_subsonic = name.find("iec") != std::string::npos;
    curve.riaa.pole_50khz = name.find("50khz") != std::string::npos;
  } else if (target->is_array()) {
    curve.name = "table";
    double previous = 0.0;
    for (const auto& row : *target->as_array()) {
      const toml::array* pair = row.as_array();
      if (!pair || pair->size() != 2 || !(*pair)[0].is_number() || !(*pair)[1].is_number())
        r.fail(&row, q, "each row is [frequency_hz, dB]");
      const double f = (*pair)[0].value<double>().value_or(0.0);
      if (!(f > previous)) r.fail(&row, q, "frequencies must be positive and rising");
      previous = f;
      curve.table.emplace_back(f, (*pair)[1].value<double>().value_or(0.0));
    }
    if (curve.table.empty()) r.fail(target, q, "must not be empty");
  } else {
    r.fail(target, q, "must be \"riaa\" (or a variant) or a table of [Hz, dB] pairs");
  }
  return curve;
}

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

DeviationRange deviation_range(const std::vector<double>& f, const std::vector<double>& deviation,
                               const Limit* mask) {
  DeviationRange range;
  double low_margin = INFINITY, high_margin = INFINITY;
  for (std::size_t i = 0; i < f.size(); ++i) {
    std::optional<Bounds> bounds;
    if (mask) {
      bounds = mask->at(LimitCoordinates::at_frequency(f[i]));
      if (!bounds) continue;
    }
    // Without a bound on a side, the extreme value is the one nearest "its" edge.
    const double to_low = bounds && bounds->low ? deviation[i] - *bounds->low : deviation[i];
    const double to_high = bounds && bounds->high ? *bounds->high - deviation[i] : -deviation[i];
    if (to_low < low_margin) {
      low_margin = to_low;
      range.min_db = deviation[i];
      range.min_limit_db = bounds ? bounds->low : std::nullopt;
    }
    if (to_high < high_margin) {
      high_margin = to_high;
      range.max_db = deviation[i];
      range.max_limit_db = bounds ? bounds->high : std::nullopt;
    }
  }
  return range;
}

void add_shelf_figures(StepContext& ctx, const ResponseData& d, const std::string& ch,
                       const nlohmann::json& point) {
  if (d.frequency_hz.size() < 3) return;
  if (const auto g = gain_re_reference_db(d, 100.0)) ctx.add(ch, "gain_100hz_db", *g, point);
  if (const auto g = gain_re_reference_db(d, 10000.0)) ctx.add(ch, "gain_10khz_db", *g, point);
  if (const auto t = shelf_turnover_hz(d, true)) ctx.add(ch, "bass_turnover_hz", *t, point);
  if (const auto t = shelf_turnover_hz(d, false)) ctx.add(ch, "treble_turnover_hz", *t, point);
}

std::vector<double> group_delay_ms(const std::vector<double>& frequency_hz,
                                   const std::vector<double>& phase_deg) {
  const std::size_t n = std::min(frequency_hz.size(), phase_deg.size());
  if (n < 3) return {};
  std::vector<double> phase(phase_deg.begin(), phase_deg.begin() + static_cast<long>(n));
  for (std::size_t i = 1; i < n; ++i)
    phase[i] -= 360.0 * std::round((phase[i] - phase[i - 1]) / 360.0);
  std::vector<double> delay(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t a = i == 0 ? 0 : i - 1, b = i + 1 == n ? i : i + 1;
    // −dφ/dω with φ in degrees: −Δφ/(360·Δf) seconds.
    delay[i] = -(phase[b] - phase[a]) / (360.0 * (frequency_hz[b] - frequency_hz[a])) * 1e3;
  }
  return delay;
}

}  // namespace ampbench::sequence
