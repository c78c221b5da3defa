// record: plain data of what happened in a run — verdicts, measurements with units and
// limits, curves. The sequencer fills it; the stores and the reports read only this, so
// none of them depends on another.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ampbench::record {

// Ordered: the worst verdict wins (PASS < FAIL < ERROR < ABORTED). RUNNING only in the
// database while a run or step is under way.
enum class Verdict { pass = 0, fail = 1, error = 2, aborted = 3, running = 4 };
std::string_view verdict_name(Verdict verdict);
std::optional<Verdict> parse_verdict(std::string_view name);
inline Verdict worst(Verdict a, Verdict b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

struct MeasurementRecord {
  std::string channel;
  std::string name;
  double value = 0.0;
  std::string unit;
  std::optional<double> low;
  std::optional<double> high;
  Verdict verdict = Verdict::pass;
  nlohmann::json point = nlohmann::json::object();  // sweep coordinates
  // Why the value is missing (NaN, stored as NULL) or what it is (an upper bound): empty for
  // a plain measured value.
  std::string note;
  // The value's expanded uncertainty (coverage_k times the standard one), in its unit, where
  // it is modelled (from the channels' calibration records: SPEC §15); none elsewhere.
  std::optional<double> uncertainty = std::nullopt;
  std::optional<double> coverage_k = std::nullopt;
  std::string flags = {};  // comma-separated: at_analyzer_limit, lower_bound, upper_bound
};

// measurements.flags: the value is within 10 dB of the bench's residual; the value is a
// bound of the figure, which is at least (lower_bound) or at most (upper_bound) this.
inline constexpr std::string_view kAtAnalyzerLimit = "at_analyzer_limit";
inline constexpr std::string_view kLowerBound = "lower_bound";
inline constexpr std::string_view kUpperBound = "upper_bound";
bool has_flag(const MeasurementRecord& m, std::string_view flag);
void add_flag(MeasurementRecord& m, std::string_view flag);

// How a measurement's verdict is shown: a figure with no limit was only measured, and
// reads with no verdict ("") though its stored verdict stays PASS (as documented); any
// other, the verdict's name.
std::string_view shown_verdict(const MeasurementRecord& m);

// How a report draws a curve: its step kind declares it, and it is stored with each curve
// (schema 7) so that a report needs nothing but the run record. Empty on older runs: a
// report then titles the plot by the curve's name and units.
struct CurveStyle {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
};
nlohmann::json to_json(const CurveStyle& style);
CurveStyle curve_style_from_json(const nlohmann::json& stored);

struct CurveRecord {
  std::string channel;
  std::string name;
  std::string x_unit;
  std::string y_unit;
  std::vector<double> x;
  std::vector<double> y;
  nlohmann::json point = nlohmann::json::object();  // sweep coordinates (schema 2)
  CurveStyle style = {};
};

struct StepRecord {
  std::int64_t id = 0;  // database row, once stored
  int ordinal = 0;
  std::string step_id;
  std::string kind;
  nlohmann::json params = nlohmann::json::object();
  std::string started_at;
  std::string finished_at;
  Verdict verdict = Verdict::running;
  std::string message;
  std::vector<MeasurementRecord> measurements;
  std::vector<CurveRecord> curves;
};

// How long a run held its bench (docs/design.md, "unit_s").
struct BenchTime {
  double stimulus_s = 0.0;  // the audio the port played
  double unit_s = 0.0;      // the time the unit holds the bench, analysis included
  double analysis_s = 0.0;  // of unit_s: wall time outside the port's transfers and waits
  std::int64_t transfers = 0;
};

struct RunRecord {
  std::int64_t id = 0;
  std::string uuid;
  std::string sequence_name;
  std::string sequence_sha256;
  std::string sequence_text;
  std::string station_name;
  std::string line;  // the production line of the station (schema 3)
  std::string slot;  // the station's test slot (SPEC §11); "" (NULL) on a one-slot station
  std::string station_text;
  std::string serial;
  std::string operator_name;
  std::string software_version;
  std::string started_at;
  std::string finished_at;
  Verdict verdict = Verdict::running;
  std::vector<StepRecord> steps;
  // The calibration records (their uuids) the run's volts came from; empty where the
  // station file's nominal calibration served (SPEC §15).
  std::vector<std::string> calibration_uuids;
  // The audio the run played and the time it held the bench (sequence/bench_meter.hpp),
  // once it has ended; absent in runs stored before schema 10.
  std::optional<BenchTime> bench_time;
  // The limits file layered on the sequence's (SPEC §16): what judged, besides the
  // sequence; empty without one.
  std::string limits_sha256;
  std::string limits_text;
};

std::string utc_now_iso8601();  // 2026-11-24T13:07:16.123Z
// Seconds from one such stamp to a later one; 0 when either cannot be read or they run
// backwards.
double seconds_between(const std::string& from, const std::string& to);
// A serial number ends up in file names, reports, XML, pages and terminals: one line of
// printable text, 1 to 128 bytes. What is wrong with one ("holds a control character …"),
// or "" when nothing is.
std::string serial_problem(const std::string& serial);
std::string utc_iso8601_in(std::chrono::milliseconds from_now);
std::string utc_iso8601(std::time_t t);  // whole seconds: 2026-11-24T13:07:16.000Z
std::string new_uuid_v4();
std::string sha256_hex(std::string_view data);

}  // namespace ampbench::record
