// record: limits that follow the sweep (SPEC §9). A limit is one or more segments, each with
// its bounds and where it holds — a range on each limit axis (frequency, output power, output
// level), one load — less any excluded bands (mains hum). A result is judged by every segment
// that covers it: the highest min and the lowest max of those. The sequence parses limits
// into these; the runner judges with them; reports draw them from the run record.
#pragma once

#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ampbench::record {

// The coordinates a segment can be bounded in by a from/to range; one row each in limits.cpp.
enum class LimitAxis { frequency = 0, power = 1, level = 2 };
inline constexpr std::size_t kLimitAxisCount = 3;

struct LimitAxisSpec {
  LimitAxis axis;
  std::string_view unit;      // of the axis, and of a curve's x that lies on it: "Hz"
  std::string_view from_key;  // in a limit table: "from_hz"
  std::string_view to_key;
  std::string_view at_key;  // in a curve point judged at x: "at_hz"
  bool positive;            // its bounds must be above zero
};

std::span<const LimitAxisSpec> limit_axes();
const LimitAxisSpec& spec_of(LimitAxis axis);
// The axis whose unit this is ("Hz", "W", "dBV"), if any.
const LimitAxisSpec* limit_axis_of_unit(std::string_view unit);

struct LimitRange {
  std::optional<double> from;
  std::optional<double> to;
  bool bounded() const { return from || to; }
};

// How a limit judges (ISO 14253-1): `simple` accepts the value itself within the bounds;
// `guarded` shrinks the acceptance zone by the value's expanded uncertainty on each side,
// so a unit right at a limit is not accepted on a coin toss (ILAC-G8: below 2.5 % false
// accepts with U at k = 2).
enum class Decision { simple, guarded };

struct LimitSegment {
  std::optional<double> min;
  std::optional<double> max;
  Decision decision = Decision::simple;
  std::array<LimitRange, kLimitAxisCount> ranges;  // by LimitAxis
  std::optional<double> load_ohm;
  std::vector<std::pair<double, double>> exclude_hz;  // [from, to] bands it does not judge
  int line = 0;

  LimitRange& range(LimitAxis a) { return ranges[static_cast<std::size_t>(a)]; }
  const LimitRange& range(LimitAxis a) const { return ranges[static_cast<std::size_t>(a)]; }
};

// Where a result lies on each axis; what is not known (no load, a figure of no single
// frequency) leaves a segment bounded in it silent.
struct LimitCoordinates {
  std::array<std::optional<double>, kLimitAxisCount> on;  // by LimitAxis
  std::optional<double> load_ohm;

  std::optional<double>& at(LimitAxis a) { return on[static_cast<std::size_t>(a)]; }
  const std::optional<double>& at(LimitAxis a) const { return on[static_cast<std::size_t>(a)]; }
  // Power and level into the load from whichever of them is known.
  void complete_power_and_level();
  // A point known only by its frequency (a response's).
  static LimitCoordinates at_frequency(double frequency_hz) {
    LimitCoordinates c;
    c.at(LimitAxis::frequency) = frequency_hz;
    return c;
  }
};

struct Bounds {
  std::optional<double> low;
  std::optional<double> high;
  Decision decision = Decision::simple;  // guarded when any covering segment is
};

// What a value says of the true figure: itself, or only one side of it — a lower bound
// (the figure is at least the value: a DUT better than the bench can show) or an upper bound
// (at most the value).
enum class BoundSide { none, lower, upper };

// Whether `value` is accepted within `bounds`: simply, or guarded by its expanded
// uncertainty U (`expanded_uncertainty`, in the value's unit; required when guarded). A bound
// is accepted only where it shows the limit met: a lower bound can show a min met (and a max
// broken), never a max met; an upper bound the reverse.
bool accepted(double value, const Bounds& bounds, std::optional<double> expanded_uncertainty,
              BoundSide side = BoundSide::none);

struct Limit {
  std::vector<LimitSegment> segments;
  // The bounds at this point, or none when no segment covers it.
  std::optional<Bounds> at(const LimitCoordinates& where) const;
};

bool segment_covers(const LimitSegment& segment, const LimitCoordinates& where);

// The keys a limit table may hold (min, max, each axis's from/to, load_ohm, exclude_hz).
std::vector<std::string_view> limit_keys();

// A step's limits as stored with it (its table's `limits`, one table or a list per name):
// what a report draws. Entries it cannot read are left out.
std::map<std::string, Limit> limits_from_json(const nlohmann::json& limits);

}  // namespace ampbench::record
