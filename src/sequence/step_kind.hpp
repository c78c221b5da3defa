// sequence: what a step kind is. Each kind lives in one file under src/sequence/steps/ and
// declares there its name, its measurements with their units, its curves with their plot
// titles, its own parameters (a typed struct parsed from its TOML table), its checks
// against the station, and how it measures one point. steps/registry.cpp lists them.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/toml_reader.hpp"
#include "sequence/plan.hpp"
#include "sequence/points.hpp"
#include "sequence/station.hpp"

namespace ampbench::sequence {

class StepContext;

struct MeasurementSpec {
  std::string_view name;
  std::string_view unit;
  // Stored once per condition of a level sweep (stop_when's crossings), never at a point:
  // a point that was not measured leaves it to the condition's own reckoning.
  bool per_condition = false;
};

// How reports draw a curve of this name.
struct CurveSpec {
  std::string_view name;
  std::string_view title;
  std::string_view x_label;
  std::string_view y_label;
  bool log_x = false;
  bool log_y = false;
};

// A level string ("-20 dBV") at `node`; throws InputError naming `field`.
Level level_field(const TomlReader& reader, const toml::node* node, const std::string& field);

// A kind's own parameters; each kind derives its struct from this.
struct StepParams {
  virtual ~StepParams() = default;
};

// Errors of one step against the station, each naming file, line and field.
class StepChecks {
 public:
  StepChecks(const SequencePlan& plan, const StepPlan& step, const Station& station,
             std::vector<std::string>& errors)
      : plan_(plan), step_(step), station_(station), errors_(errors) {}
  const StepPlan& step() const { return step_; }
  const SequencePlan& plan() const { return plan_; }
  const Station& station() const { return station_; }
  // Records a problem with `field` (dotted, within the step) on that field's line, once.
  void error(const std::string& field, const std::string& what);
  void error(record::StimulusField field, const std::string& what) {
    error(std::string(record::path_of(field)), what);
  }
  // A load the station has (any, when it lists none).
  void check_load(double ohm, const std::string& field);
  // An input drive the station's max_output_vrms allows.
  void check_drive(const Level& level, std::optional<double> load_ohm, const std::string& field);

 private:
  int line_of(const std::string& field) const;
  const SequencePlan& plan_;
  const StepPlan& step_;
  const Station& station_;
  std::vector<std::string>& errors_;
};

class StepKind {
 public:
  virtual ~StepKind() = default;
  virtual std::string_view name() const = 0;
  virtual std::span<const MeasurementSpec> measurements() const { return {}; }
  virtual std::span<const CurveSpec> curves() const { return {}; }
  // Curves it stores that another kind declares (one declaration per curve name).
  virtual std::span<const std::string_view> shared_curves() const { return {}; }
  // Whether it stores curves of this name (a limit may then mask them).
  bool draws(std::string_view curve_name) const;
  // The fields of the step's stimulus table it reads (a sweep over one sets it); validate
  // refuses any other.
  virtual std::span<const record::StimulusField> stimulus_fields() const = 0;
  bool reads(record::StimulusField field) const;
  // Why it does not read a field people expect it to (validate says so); "" for the others.
  virtual std::string_view why_not_read(record::StimulusField) const { return ""; }
  // Whether it measures at an output level (the runner finds the input for it).
  bool takes_output_level() const { return reads(record::StimulusField::output_level); }
  // The keys of its own a step table may hold beside the common ones (plan.hpp).
  virtual std::span<const std::string_view> keys() const { return {}; }
  // Reads those keys and checks that the step gives what the kind needs; throws
  // InputError. `field` is "step.ID".
  virtual std::shared_ptr<const StepParams> parse(const TomlReader& reader,
                                                  const toml::table& table, const StepPlan& step,
                                                  const std::string& field) const = 0;
  // Whether its points capture audio to analyse (capture_s must then be long enough).
  virtual bool analyses_capture() const { return true; }
  // Runs even after a failure, an error or Ctrl-C unless the step says cleanup = false.
  virtual bool cleanup_by_default() const { return false; }
  // Whether the station's external generator can make its stimulus.
  virtual bool generator_can_drive(const StepPlan&) const { return false; }
  // Batch semantics on a station with slots (SPEC §11): whether the step needs the station to
  // itself (an operator, the DMM, the external generator, a burst that must not overlap) and
  // runs slot by slot while the others wait; otherwise its transfers are shared.
  virtual bool needs_station_alone(const StepPlan& step, const Station&) const {
    return step.stimulus.source == StimulusSource::generator;
  }
  // What it needs of the station beyond the common checks (loads, levels, frequencies).
  virtual void check(StepChecks&) const {}
  // Measures one point (the runner has applied its DUT settings) into the context's record.
  virtual void run_point(StepContext& context, const Point& point, std::size_t index,
                         std::size_t count) const = 0;
  // After the last point: what spans every point (a curve over a sweep).
  virtual void finish(StepContext&, const std::vector<Point>&) const {}
  // The analysis settings its results depend on, in words by key ({"weighting":
  // "A-weighted", "band": "20 Hz–20 kHz"}): stored with the step as its conditions.
  virtual nlohmann::json conditions(const StepPlan&) const { return nlohmann::json::object(); }
};

// A kind with a parameter struct of its own: parse, check and run see `Params`.
template <typename Params>
class StepKindWith : public StepKind {
 public:
  std::shared_ptr<const StepParams> parse(const TomlReader& reader, const toml::table& table,
                                          const StepPlan& step,
                                          const std::string& field) const final {
    return std::make_shared<const Params>(parse_params(reader, table, step, field));
  }
  void check(StepChecks& checks) const final { check_params(checks, params_of(checks.step())); }
  bool generator_can_drive(const StepPlan& step) const final {
    return generator_drives(params_of(step));
  }
  void run_point(StepContext& context, const Point& point, std::size_t index,
                 std::size_t count) const final;
  void finish(StepContext& context, const std::vector<Point>& points) const final;
  nlohmann::json conditions(const StepPlan& step) const final {
    return conditions_of(params_of(step));
  }

 protected:
  static const Params& params_of(const StepPlan& step) {
    return static_cast<const Params&>(*step.kind_params);
  }
  virtual Params parse_params(const TomlReader& reader, const toml::table& table,
                              const StepPlan& step, const std::string& field) const = 0;
  virtual void check_params(StepChecks&, const Params&) const {}
  virtual bool generator_drives(const Params&) const { return false; }
  virtual void run(StepContext& context, const Params& params, const Point& point,
                   std::size_t index, std::size_t count) const = 0;
  virtual void finish_params(StepContext&, const Params&, const std::vector<Point>&) const {}
  // By default its tone analysis's settings, when its parameters hold them (`analysis`).
  virtual nlohmann::json conditions_of(const Params& params) const;
};

// A kind that takes no keys of its own.
struct NoParams : StepParams {};

}  // namespace ampbench::sequence
