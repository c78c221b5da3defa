// Step kind prompt: a question to the operator; with `expect`, any other answer fails the
// step. `default` answers when nobody can (stdin not a terminal). `choices` become buttons
// in the operator page, `image` (a file beside the sequence) a picture there.
#include <algorithm>
#include <filesystem>

#include "sequence/step_context.hpp"

namespace ampbench::sequence {
namespace {

struct PromptParams : StepParams {
  std::string message;
  std::string default_answer;
  std::optional<std::string> expect;  // the answer that passes
  std::vector<std::string> choices;
  std::string image_path;  // resolved beside the sequence file
};

constexpr std::string_view kKeys[] = {"message", "default", "expect", "choices", "image"};

class PromptKind : public StepKindWith<PromptParams> {
 public:
  std::span<const record::StimulusField> stimulus_fields() const override { return {}; }
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
    params.choices = r.string_array(t, "choices", p).value_or(std::vector<std::string>{});
    if (params.expect && !params.choices.empty() &&
        std::find(params.choices.begin(), params.choices.end(), *params.expect) ==
            params.choices.end())
      r.fail(t.get("expect"), p + ".expect", "must be one of the choices");
    if (const auto image = r.string(t, "image", p)) {
      namespace fs = std::filesystem;
      const fs::path relative(*image);
      const auto extension = relative.extension().string();
      if (relative.is_absolute() || image->find("..") != std::string::npos)
        r.fail(t.get("image"), p + ".image", "must be a file in the sequence's folder or below it");
      if (extension != ".png" && extension != ".jpg" && extension != ".jpeg" &&
          extension != ".svg" && extension != ".webp")
        r.fail(t.get("image"), p + ".image", "must be a .png, .jpg, .svg or .webp picture");
      const fs::path path = fs::path(r.path()).parent_path() / relative;
      std::error_code ec;
      if (!fs::is_regular_file(path, ec))
        r.fail(t.get("image"), p + ".image", "no such file: " + path.string());
      params.image_path = path.string();
    }
    return params;
  }

  void run(StepContext& ctx, const PromptParams& params, const Point&, std::size_t,
           std::size_t) const override {
    const std::string answer = ctx.io().ask_question(
        {params.message, params.default_answer, params.choices, params.image_path});
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
