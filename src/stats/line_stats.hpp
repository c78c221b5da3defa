// stats: a production line's statistics over stored results — yield per station and per
// day, and per measurement and station: count, yield, mean and σ, Cp/Cpk against the
// limits, and an EWMA drift check over the last units. Quantities in dB (gain, THD+N in
// dB, noise in dBV…) are ratios: their mean and σ are taken of the linear amplitude ratio
// and shown in dB, never the mean of dB values. Pure functions over store rows.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/results_reader.hpp"

namespace ampbench::stats {

// dB-family units (dB, dBV, dBu, dBFS, dBr…): amplitude ratios, averaged linearly.
using store::is_level_unit;
using store::to_linear;
double from_linear(double value, std::string_view unit);

// EWMA chart (Montgomery): z_i = λ·x_i + (1 − λ)·z_{i−1} from z_0 = μ0, out of control
// when |z_i − μ0| > L·σ0·√(λ/(2 − λ)·(1 − (1 − λ)^2i)). μ0 and σ0 come from the units
// before the last `window`; the chart runs over the last `window` units. λ = 0.2 and
// L = 3.5 flag a 2σ step 30 units back every time in simulation and a stable series of
// 200 units about 3 % of the time (L = 3 would be 12 %: σ0 is itself an estimate).
struct DriftOptions {
  int window = 50;
  double lambda = 0.2;
  double limit_sigmas = 3.5;
  int min_baseline = 20;
};

struct DriftCheck {
  bool evaluated = false;  // false: too few units for a baseline and a window
  int units_needed = 0;    // min_baseline + window: what `evaluated` needs
  bool drifting = false;
  int first_out = -1;  // index among all the measurement's units of the first out of control
  std::string first_out_serial;
  std::vector<double> ewma;         // one per unit of the window (display units)
  double baseline_mean = 0.0;       // μ0 (display units)
  double upper = 0.0, lower = 0.0;  // asymptotic control limits (display units)
};

// Series in linear units (to_linear); the check works there.
DriftCheck ewma_drift(const std::vector<double>& linear, std::string_view unit,
                      const DriftOptions& options);
// The same from the baseline units' moments and the last `window` units (linear, in run
// order) alone: what a store's summary keeps.
DriftCheck ewma_drift(const store::Moments& baseline, const std::vector<double>& window,
                      std::string_view unit, const DriftOptions& options);

struct Capability {
  int count = 0;
  int passed = 0;
  double yield = 0.0;  // passed / count
  double mean = 0.0;   // display units: dB of the linear mean for level units
  // Display units: for level units the dB width of one σ above the mean,
  // 20·log10((μ + σ)/μ), with μ and σ linear.
  double sigma = 0.0;
  double mean_linear = 0.0, sigma_linear = 0.0;  // sample σ (n − 1)
  double min = 0.0, max = 0.0;
  std::optional<double> low, high;  // the limits (display units)
  std::optional<double> cp, cpk;    // computed with μ, σ and the limits in linear units
};

Capability capability(const std::vector<double>& values, const std::vector<bool>& passed,
                      std::string_view unit, std::optional<double> low, std::optional<double> high);
// The same from a store's aggregate of the values.
Capability capability(const store::FigureAggregate& figure, std::optional<double> low,
                      std::optional<double> high);

struct MeasurementKey {
  std::string step_id, channel, name, unit;
  std::string point;  // the sweep coordinates as compact JSON, "" when none
  auto operator<=>(const MeasurementKey&) const = default;
  std::string label() const;  // "gain_1k L gain_db", with " @ 6.6 kHz, 4 Ω" for a sweep point
};

struct UnitValue {
  double value = 0.0;
  bool passed = false;
  std::string serial;
  std::string started_at;
};

struct MeasurementStats {
  MeasurementKey key;
  std::string station;  // "" for the whole line
  Capability capability;
  DriftCheck drift;  // over the units within limits
  // Units in run order: every one from the rows (line_stats over rows); from a store the
  // newest it was asked for, `series_from` units after the first.
  std::vector<UnitValue> series;
  std::int64_t series_from = 0;
};

struct StationYield {
  std::string station;  // "" for the whole line
  int runs = 0;
  int passed_runs = 0;
  int units = 0;  // distinct serial numbers
  double run_yield = 0.0;
  double first_pass_yield = 0.0;  // units whose first run passed
  double final_yield = 0.0;       // units whose last run passed
};

struct DayYield {
  std::string day;  // UTC, YYYY-MM-DD
  std::string station;
  int runs = 0;
  int passed_runs = 0;
  double yield = 0.0;
};

struct LineStats {
  std::vector<StationYield> stations;  // each station, then the line when there are several
  std::vector<DayYield> days;
  // By step, channel, measurement and unit, then sweep point by its numbers (200 Hz before
  // 1 kHz); each station, then the line.
  std::vector<MeasurementStats> measurements;
};

// Puts `measurements` in LineStats' order, keeping each key's stations in theirs.
void order_by_key(std::vector<MeasurementStats>& measurements);

// `runs`: the finished runs (any order); `rows`: their measurements in run order.
LineStats line_stats(const std::vector<record::RunRecord>& runs,
                     const std::vector<store::MeasurementRow>& rows, const DriftOptions& options);
// The same figures from a store's aggregates (line_stats_store.cpp), in memory bounded by
// the number of figures: the runs' values are never all held; each figure's `series` keeps
// its newest `newest_units` (for charts; none by default).
LineStats line_stats(const store::ResultsReader& store, const store::RunFilter& filter,
                     const DriftOptions& options, std::size_t newest_units = 0);

}  // namespace ampbench::stats
