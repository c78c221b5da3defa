// Step kind set: changes the bench without measuring — selects a load (load_ohm) and sets
// the DUT's controls (dut), at each point of its sweep if it has one.
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

class SetKind : public StepKindWith<NoParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override { return {}; }
  std::string_view name() const override { return "set"; }
  bool analyses_capture() const override { return false; }

 protected:
  NoParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan& step,
                        const std::string& p) const override {
    require(r, t,
            (step.load_ohm.has_value() && t.get("load_ohm")) || !step.dut.empty() ||
                !step.sweeps.empty(),
            p + ".dut", "a set step needs a setting (load_ohm or dut)");
    return {};
  }

  // The runner has applied the point's DUT settings; a load of the step's own (not the
  // sequence's default) is selected here.
  void run(StepContext& ctx, const NoParams&, const Point& p, std::size_t,
           std::size_t) const override {
    if (p.load_ohm && ctx.step().params.contains("load_ohm")) ctx.select_load(*p.load_ohm);
  }
};

}  // namespace

const StepKind& set_step_kind() {
  static const SetKind kind;
  return kind;
}

}  // namespace ampbench::sequence
