// stats/limits_derive: limits from the runs of good units (SPEC §16). Runs are added one at
// a time, or a store's aggregates of them with their curves one at a time (memory bounded
// by the number of figures, not of runs); the result is a limits
// file in the sequence's own limit syntax, `[limits.STEP_ID]` tables, each line stating
// n, mean, s and the widening it used. Per figure:
//  - a measurement without a sweep point, and one at a swept stimulus frequency (one
//    segment per frequency, from_hz = to_hz);
//  - a curve over frequency of one condition (a segment per point, reaching halfway, on a
//    log axis, to its neighbours), its points inside an excluded band left out; not a
//    spectrum (spectrum_dbv: bins of noise and spurs), and not a curve that shares its name
//    with a measurement (one limit judges both: the measurement's is derived).
// Methods: `tolerance` mean ± k(n, coverage, confidence)·s (stats/tolerance.hpp),
// `envelope` [min − offset, max + offset], `offset` mean ± offset. A measurement the sequence
// limits on one side only gets that side; bounds are rounded outwards, to 0.01 in dB and
// to four significant figures otherwise.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "record/record.hpp"
#include "store/line_aggregates.hpp"

namespace ampbench::stats {

enum class LimitMethod { tolerance, envelope, offset };

struct DeriveOptions {
  LimitMethod method = LimitMethod::tolerance;
  // The proportion of good units the whole file passes (every value of a unit inside its
  // limits): each of a unit's M values is given coverage^(1/M) (Šidák), so a mask of many
  // values keeps its false rejects at 1 − coverage. per_figure: coverage for each value alone.
  double coverage = 0.99;
  bool per_figure = false;
  double confidence = 0.95;
  double offset = 0.0;  // in each figure's unit (envelope, offset)
  std::vector<std::pair<double, double>> exclude_hz;
  std::set<std::string> steps;  // empty: every step
};

class LimitsDeriver {
 public:
  explicit LimitsDeriver(DeriveOptions options) : options_(std::move(options)) {}
  void add(const record::RunRecord& run);
  // The same runs from a store: how many runs of how many units, their measurements'
  // aggregates (store::FigureAggregate), and each of their curves.
  void add_population(std::size_t runs, std::size_t units);
  void add(const store::FigureAggregate& figure);
  void add_curve(const std::string& step_id, const record::CurveRecord& curve);
  std::size_t units() const { return serials_.size() + units_; }
  std::size_t runs() const { return runs_; }
  // The limits file; `source` says where the runs came from (first comment line).
  std::string limits_file(const std::string& source) const;

 private:
  struct Figure {
    std::string unit;
    bool low = false, high = false;  // the sequence's sides (none: both)
    store::Moments spread;
  };
  // step → name → frequency (none for a figure without one) → figure
  using Figures =
      std::map<std::string, std::map<std::string, std::map<std::optional<double>, Figure>>>;
  std::string bounds(const Figure& f, bool curve) const;
  double k_for(long n) const;  // tolerance_factor, once per n
  double figure_coverage() const;
  bool wanted(const std::string& step_id) const;
  // The figure a measurement of `step_id` at `point` belongs to, or null (not derived).
  Figure* figure_for(const std::string& step_id, const std::string& name, const std::string& unit,
                     const nlohmann::json& point);

  DeriveOptions options_;
  Figures measurements_, curves_;
  std::set<std::string> serials_;                         // of the runs added one at a time
  std::size_t units_ = 0;                                 // of the populations added
  std::map<std::string, std::set<std::string>> skipped_;  // step → names of other points
  std::size_t runs_ = 0;
  std::size_t values_ = 0;  // every value added, of every run
  mutable std::map<long, double> k_of_n_;
};

}  // namespace ampbench::stats
