// Step kind prompt: a question to the operator; with `expect`, any other answer fails the
// step. `default` answers when nobody can (stdin not a terminal).
#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

struct PromptParams : StepParams {
  std::string message;
  std::string default_answer;
  std::optional<std::string> expect;  // the answer that passes
};

constexpr std::string_view kKeys[] = {"message", "default", "expect"};

class PromptKind : public StepKindWith<PromptParams> {
 public:
  std::string_view name() const override { return "prompt"; }
  std::span<const std::string_view> keys() const override { return kKeys; }
  bool analyses_capture() const override { return false; }
  // On a station with slots: the operator answers one slot at a time.
  bool needs_station_alone(const StepPlan&, const Station&) const override { return true; }

 protected:
  PromptParams parse_params(const TomlReader& r, const toml::table& t, const StepPlan&,
                            const std::string& p) const override {
    PromptParams params;
    params.message = r.string(t, "message", p).value_or("");
    params.default_answer = r.string(t, "default", p).value_or("");
    params.expect = r.string(t, "expect", p);
    require(r, t, !params.message.empty(), p + ".message", "required for a prompt step");
    return params;
  }

  void run(StepContext& ctx, const PromptParams& params, const Point&, std::size_t,
           std::size_t) const override {
    const std::string answer = ctx.io().ask(params.message, params.default_answer);
    auto& record = ctx.record();
    record.message = "answer: " + answer;
    if (params.expect && answer != *params.expect) {
      record.verdict = record::Verdict::fail;
      record.message += " (expected '" + *params.expect + "')";
    }
  }
};

}  // namespace

const StepKind& prompt_step_kind() {
  static const PromptKind kind;
  return kind;
}

}  // namespace ampbench::sequence
