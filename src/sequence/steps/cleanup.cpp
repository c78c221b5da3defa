// Step kind cleanup: runs even after a failure, an error or Ctrl-C (its DUT settings and
// load are applied like any step's), and shows its message to the operator, if any.
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

struct CleanupParams : StepParams {
  std::string message;
};

constexpr std::string_view kKeys[] = {"message"};

class CleanupKind : public StepKindWith<CleanupParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override { return {}; }
  std::string_view name() const override { return "cleanup"; }
  std::span<const std::string_view> keys() const override { return kKeys; }
  bool analyses_capture() const override { return false; }
  bool cleanup_by_default() const override { return true; }
  // On a station with slots: its message goes to the operator, one slot at a time.
  bool needs_station_alone(const StepPlan&, const Station&) const override { return true; }

 protected:
  CleanupParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan&,
                             const std::string& p) const override {
    CleanupParams params;
    params.message = r.string(t, "message", p).value_or("");
    return params;
  }

  void run(StepContext& ctx, const CleanupParams& params, const Point&, std::size_t,
           std::size_t) const override {
    if (!params.message.empty()) ctx.io().ask(params.message, "");
  }
};

}  // namespace

const StepKind& cleanup_step_kind() {
  static const CleanupKind kind;
  return kind;
}

}  // namespace ampbench::sequence
