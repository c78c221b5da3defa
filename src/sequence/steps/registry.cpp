#include "sequence/steps/registry.hpp"

#include <algorithm>

namespace ampbench::sequence {

// Each kind's one instance, defined in its own file in this folder.
const StepKind& level_step_kind();
const StepKind& thdn_step_kind();
const StepKind& frequency_response_step_kind();
const StepKind& noise_step_kind();
const StepKind& imd_step_kind();
const StepKind& crosstalk_step_kind();
const StepKind& max_power_step_kind();
const StepKind& output_impedance_step_kind();
const StepKind& input_impedance_step_kind();
const StepKind& phantom_step_kind();
const StepKind& prompt_step_kind();
const StepKind& set_step_kind();
const StepKind& cleanup_step_kind();
const StepKind& multitone_step_kind();
const StepKind& cmrr_step_kind();
const StepKind& step_response_step_kind();
const StepKind& power_bandwidth_step_kind();
const StepKind& hold_step_kind();
const StepKind& efficiency_step_kind();
const StepKind& psrr_step_kind();

const std::vector<const StepKind*>& step_kinds() {
  static const std::vector<const StepKind*> kinds = {&level_step_kind(),
                                                     &thdn_step_kind(),
                                                     &frequency_response_step_kind(),
                                                     &noise_step_kind(),
                                                     &imd_step_kind(),
                                                     &crosstalk_step_kind(),
                                                     &max_power_step_kind(),
                                                     &output_impedance_step_kind(),
                                                     &prompt_step_kind(),
                                                     &set_step_kind(),
                                                     &cleanup_step_kind(),
                                                     &input_impedance_step_kind(),
                                                     &phantom_step_kind(),
                                                     &multitone_step_kind(),
                                                     &cmrr_step_kind(),
                                                     &step_response_step_kind(),
                                                     &power_bandwidth_step_kind(),
                                                     &hold_step_kind(),
                                                     &efficiency_step_kind(),
                                                     &psrr_step_kind()};
  return kinds;
}

const StepKind* find_step_kind(std::string_view name) {
  for (const StepKind* kind : step_kinds())
    if (kind->name() == name) return kind;
  return nullptr;
}

bool StepKind::draws(std::string_view curve_name) const {
  const auto own = curves();
  const auto shared = shared_curves();
  return std::any_of(own.begin(), own.end(),
                     [&](const CurveSpec& c) { return c.name == curve_name; }) ||
         std::find(shared.begin(), shared.end(), curve_name) != shared.end();
}

bool StepKind::reads(record::StimulusField field) const {
  const auto fields = stimulus_fields();
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

const CurveSpec* find_curve_spec(std::string_view curve_name) {
  for (const StepKind* kind : step_kinds())
    for (const CurveSpec& curve : kind->curves())
      if (curve.name == curve_name) return &curve;
  return nullptr;
}

}  // namespace ampbench::sequence
