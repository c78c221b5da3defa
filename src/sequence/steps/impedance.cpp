#include "sequence/steps/impedance.hpp"

#include <cmath>
#include <numbers>
#include <set>

#include "common/error.hpp"
#include "record/dimensions.hpp"
#include "sequence/steps/families.hpp"

namespace ampbench::sequence {

std::complex<double> output_phasor(const ChannelTone& tone, const std::string& channel) {
  if (!tone.phase_deg)
    throw MeasurementError(channel +
                           ": no phase re the stimulus (an external generator's phase is not "
                           "known between captures)");
  const auto& a = tone.analysis;
  if (!a.tone_present())
    throw MeasurementError(channel +
                           ": no tone at the output stands 20 dB above the noise around it (no "
                           "signal came through)");
  return std::polar(tone.vrms_out, *tone.phase_deg * std::numbers::pi / 180.0);
}

void require_resolvable(std::complex<double> a, std::complex<double> b, const std::string& channel,
                        const std::string& what) {
  if (std::abs(a - b) > 1e-4 * std::abs(a) && std::abs(b) > 0.0) return;
  throw MeasurementError(channel + ": " + what +
                         " differ by less than 0.001 dB and 0.006°: too close to resolve the "
                         "impedance (or no signal came through)");
}

void check_interface_stimulus(StepChecks& checks) {
  if (checks.step().stimulus.source == StimulusSource::generator)
    checks.error(record::StimulusField::source,
                 "an impedance needs the phase of each capture re the stimulus: use the "
                 "interface's own output (an external generator's phase is not known)");
}

void add_frequency_curve(StepContext& ctx, const std::vector<Point>& points,
                         const std::string& name) {
  std::set<double> frequencies_hz;
  for (const auto& p : points) {
    if (!p.frequency_hz) return;
    frequencies_hz.insert(*p.frequency_hz);
  }
  if (frequencies_hz.size() < 2) return;
  const std::string frequency(record::key_of(record::Dimension::frequency));
  add_family(ctx, frequency, name, frequency, "Hz", name);
}

}  // namespace ampbench::sequence
