#include "stats/limits_derive.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "stats/tolerance.hpp"

namespace ampbench::stats {
namespace {

std::string number(double v, int digits = 10) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*g", digits, v + 0.0);
  return text;
}

// Outwards: down for a lower bound, up for an upper one; 0.01 in dB (dBV, dBFS, …), else
// four significant figures (0.01 % of a distortion figure, 1 mΩ of an impedance at 10 Ω).
double rounded(double v, bool up, const std::string& unit) {
  double step = 0.01;
  if (unit.rfind("dB", 0) != 0 && v != 0.0)
    step = std::pow(10.0, std::floor(std::log10(std::abs(v))) - 3.0);
  const double q = v / step;
  // A bound already on the grid (to float noise) stays where it is.
  const double snapped =
      std::abs(q - std::round(q)) < 1e-9 ? std::round(q) : (up ? std::ceil(q) : std::floor(q));
  return snapped * step + 0.0;  // + 0.0: never "-0"
}

bool excluded(double hz, const std::vector<std::pair<double, double>>& bands) {
  return std::any_of(bands.begin(), bands.end(),
                     [&](const auto& b) { return hz >= b.first && hz <= b.second; });
}

// A measurement's place among the figures: none, or the one stimulus frequency it was made
// at; anything else (levels, loads, conditions) is not derived.
std::optional<std::optional<double>> place_of(const nlohmann::json& point) {
  if (point.empty()) return std::optional<double>{};
  if (point.size() == 1 && point.contains("stimulus.frequency_hz") &&
      point["stimulus.frequency_hz"].is_number())
    return std::optional<double>(point["stimulus.frequency_hz"].get<double>());
  return std::nullopt;
}

}  // namespace

bool LimitsDeriver::wanted(const std::string& step_id) const {
  return options_.steps.empty() || options_.steps.count(step_id);
}

LimitsDeriver::Figure* LimitsDeriver::figure_for(const std::string& step_id,
                                                 const std::string& name, const std::string& unit,
                                                 const nlohmann::json& point) {
  const auto place = place_of(point);
  if (!place) {
    skipped_[step_id].insert(name);
    return nullptr;
  }
  if (*place && excluded(**place, options_.exclude_hz)) return nullptr;
  Figure& f = measurements_[step_id][name][*place];
  f.unit = unit;
  return &f;
}

void LimitsDeriver::add(const record::RunRecord& run) {
  ++runs_;
  serials_.insert(run.serial);
  for (const auto& step : run.steps) {
    if (!wanted(step.step_id)) continue;
    for (const auto& m : step.measurements) {
      if (!std::isfinite(m.value)) continue;
      Figure* f = figure_for(step.step_id, m.name, m.unit, m.point);
      if (!f) continue;
      f->low = f->low || m.low.has_value();
      f->high = f->high || m.high.has_value();
      f->spread.add(m.value);
      ++values_;
    }
    for (const auto& c : step.curves) add_curve(step.step_id, c);
  }
}

void LimitsDeriver::add_population(std::size_t runs, std::size_t units) {
  runs_ += runs;
  units_ += units;
}

void LimitsDeriver::add(const store::FigureAggregate& a) {
  if (!wanted(a.step_id) || a.value.n == 0) return;
  Figure* f =
      figure_for(a.step_id, a.name, a.unit, nlohmann::json::parse(a.point_json, nullptr, false));
  if (!f) return;
  f->low = f->low || a.low;
  f->high = f->high || a.high;
  f->spread.merge(a.value);
  values_ += static_cast<std::size_t>(a.value.n);
}

void LimitsDeriver::add_curve(const std::string& step_id, const record::CurveRecord& c) {
  if (!wanted(step_id)) return;
  // A spectrum's bins are noise and spurs, not a product's figures: masked by hand.
  if (c.x_unit != "Hz" || !c.point.empty() || c.name.rfind("spectrum", 0) == 0) {
    skipped_[step_id].insert(c.name);
    return;
  }
  for (std::size_t i = 0; i < c.x.size() && i < c.y.size(); ++i) {
    if (!std::isfinite(c.y[i]) || excluded(c.x[i], options_.exclude_hz)) continue;
    Figure& f = curves_[step_id][c.name][c.x[i]];
    f.unit = c.y_unit;
    f.spread.add(c.y[i]);
    ++values_;
  }
}

double LimitsDeriver::figure_coverage() const {
  if (options_.per_figure || runs_ == 0 || values_ <= runs_) return options_.coverage;
  const double per_unit = static_cast<double>(values_) / static_cast<double>(runs_);
  return std::pow(options_.coverage, 1.0 / per_unit);
}

double LimitsDeriver::k_for(long n) const {
  const auto [at, added] = k_of_n_.try_emplace(n, 0.0);
  if (added)
    at->second = tolerance_factor(static_cast<int>(n), figure_coverage(), options_.confidence);
  return at->second;
}

// "min = …, max = …" of one figure, by the method; a curve's points are limited both ways.
std::string LimitsDeriver::bounds(const Figure& f, bool curve) const {
  const store::Moments& s = f.spread;
  double lo = s.mean, hi = s.mean;
  switch (options_.method) {
    case LimitMethod::tolerance: {
      const double k = s.n >= 2 ? k_for(s.n) : 0.0;
      lo -= k * s.sd();
      hi += k * s.sd();
      break;
    }
    case LimitMethod::envelope:
      lo = s.min - options_.offset;
      hi = s.max + options_.offset;
      break;
    case LimitMethod::offset:
      lo -= options_.offset;
      hi += options_.offset;
      break;
  }
  const bool both = curve || f.low == f.high;
  std::string out;
  if (both || f.low) out += "min = " + number(rounded(lo, false, f.unit));
  if (both || f.high)
    out += std::string(out.empty() ? "" : ", ") + "max = " + number(rounded(hi, true, f.unit));
  return out;
}

std::string LimitsDeriver::limits_file(const std::string& source) const {
  std::string method;
  switch (options_.method) {
    case LimitMethod::tolerance:
      method = "tolerance: mean ± k·s, k for each figure's n (ISO 16269-6, two-sided), coverage " +
               number(options_.coverage) +
               (options_.per_figure || figure_coverage() == options_.coverage
                    ? std::string(" per value")
                    : " of units over their " +
                          number(static_cast<double>(values_) / static_cast<double>(runs_), 4) +
                          " values each (each value " + number(figure_coverage(), 6) + ")") +
               ", confidence " + number(options_.confidence);
      break;
    case LimitMethod::envelope:
      method = "envelope: [min − " + number(options_.offset) + ", max + " +
               number(options_.offset) + "]";
      break;
    case LimitMethod::offset:
      method = "offset: mean ± " + number(options_.offset);
      break;
  }
  std::string out = "# Limits derived by `ampbench limits derive` from " + source + ": " +
                    std::to_string(runs_) + " runs of " + std::to_string(units()) +
                    " units.\n# Method " + method +
                    ".\n# Every channel's value is one of n; "
                    "use with `ampbench run SEQUENCE --limits THIS_FILE`.\n";
  const auto statistics = [&](const Figure& f) {
    const store::Moments& s = f.spread;
    std::string line =
        "n " + std::to_string(s.n) + ", mean " + number(s.mean, 6) + ", s " + number(s.sd(), 3);
    if (options_.method == LimitMethod::tolerance && s.n >= 2)
      line += ", k " + number(k_for(s.n), 4);
    return line;
  };
  std::set<std::string> steps;
  for (const auto& [step, _] : measurements_) steps.insert(step);
  for (const auto& [step, _] : curves_) steps.insert(step);
  for (const auto& step : steps) {
    out += "\n[limits." + step + "]\n";
    if (const auto at = measurements_.find(step); at != measurements_.end()) {
      for (const auto& [name, places] : at->second) {
        if (places.size() == 1 && !places.begin()->first) {
          const Figure& f = places.begin()->second;
          out += name + " = { " + bounds(f, false) + " }  # " + statistics(f) + "\n";
          continue;
        }
        out += name + " = [\n";
        for (const auto& [hz, f] : places) {
          if (!hz) continue;
          out += "  { " + bounds(f, false) + ", from_hz = " + number(*hz) +
                 ", to_hz = " + number(*hz) + " },  # " + statistics(f) + "\n";
        }
        out += "]\n";
      }
    }
    if (const auto at = curves_.find(step); at != curves_.end()) {
      const auto measured = measurements_.find(step);
      for (const auto& [name, points] : at->second) {
        // One limit serves a measurement and a curve of the same name: the measurement's.
        if (measured != measurements_.end() && measured->second.count(name)) continue;
        out += name + " = [\n";
        for (auto at_point = points.begin(); at_point != points.end(); ++at_point) {
          // Each point's segment reaches halfway (on a log axis) to its neighbours; those
          // boundaries need no more than 6 digits, the ends are the points themselves.
          const double hz = *at_point->first;
          const bool first = at_point == points.begin();
          const bool last = std::next(at_point) == points.end();
          const double from = first ? hz : std::sqrt(*std::prev(at_point)->first * hz);
          const double to = last ? hz : std::sqrt(hz * *std::next(at_point)->first);
          out += "  { " + bounds(at_point->second, true) +
                 ", from_hz = " + number(from, first ? 10 : 6) +
                 ", to_hz = " + number(to, last ? 10 : 6) + " },  # " +
                 statistics(at_point->second) + "\n";
        }
        out += "]\n";
      }
    }
    if (const auto at = skipped_.find(step); at != skipped_.end()) {
      std::string names;
      for (const auto& name : at->second) names += (names.empty() ? "" : ", ") + name;
      out += "# not derived (swept in level, load or condition; spectra): " + names + "\n";
    }
  }
  return out;
}

}  // namespace ampbench::stats
