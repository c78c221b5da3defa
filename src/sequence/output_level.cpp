#include "sequence/output_level.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "audio/audio_port.hpp"
#include "common/text.hpp"
#include "dsp/dsp.hpp"

namespace ampbench::sequence {
namespace {

constexpr double kProbeVrms = 0.01;  // −40 dBV: safe into any power amplifier's input
// The most gain a DUT may have (a mic preamp at its top): the first probe's output stays
// within the interface's clip guard even then.
constexpr double kMostDutGainDb = 70.0;

// "62.1 W" into a load, else "12.3 Vrms"
std::string output_in_words(double vrms, std::optional<double> load_ohm) {
  if (load_ohm) return fmt("%.3g W", vrms * vrms / *load_ohm);
  return fmt("%.3g Vrms", vrms);
}

}  // namespace

double probe_vrms(const Station& station, const StepPlan& step) {
  if (step.probe_level) return level_to_vrms(*step.probe_level, {1.0, std::nullopt});
  const double guard_vrms = station.audio.calibration.input_vrms_at_0dbfs *
                            dsp::db_to_amplitude_ratio(station.safety.max_input_dbfs);
  return std::min(kProbeVrms, guard_vrms / dsp::db_to_amplitude_ratio(kMostDutGainDb));
}

TonesAtOutput capture_tones_at_output(StepContext& ctx, const Point& p, double frequency_hz,
                                      const ToneSettings& settings, bool with_spectrum) {
  TonesAtOutput out;
  const std::size_t n = ctx.channels().size();
  double target = 0.0;
  try {
    target = level_to_vrms(*p.output_level, {1.0, p.load_ohm});
  } catch (const std::invalid_argument& e) {
    throw MeasurementError(e.what());
  }
  const auto& cal = ctx.station().audio.calibration;
  const double max_vin = std::min(ctx.station().safety.max_output_vrms, cal.output_vrms_at_0dbfs);
  auto& gains = ctx.output_gain_estimates();
  std::vector<double> vin(n, std::min(probe_vrms(ctx.station(), ctx.step()), max_vin));
  if (gains.size() == n)
    for (std::size_t c = 0; c < n; ++c) vin[c] = std::min(target / gains[c], max_vin);
  std::vector<double> previous_vin(n, 0.0), previous_vout(n, 0.0);
  for (int attempt = 0; attempt < kMaxOutputLevelCaptures; ++attempt) {
    ctx.check_abort();
    std::vector<ChannelTone> tones;
    try {
      tones = ctx.capture_tones(frequency_hz, vin, p.load_ohm, settings, with_spectrum);
    } catch (const audio::InputClippedError& e) {
      out.unreachable = std::string("the interface's input clips first (") + e.what() + ")";
      out.unreachable_by_bench = true;
      return out;
    }
    bool all_there = true;
    for (std::size_t c = 0; c < n; ++c) {
      const auto& ch = ctx.channels()[c];
      const double vout = tones[c].vrms_out;
      if (!tones[c].analysis.tone_present() || !(vout > 0.0)) {
        // Only noise at the output: a probe too low for this DUT.
        all_there = false;
        if (vin[c] >= max_vin) {
          out.unreachable = ch + ": no tone at the output even at the station's maximum drive";
          return out;
        }
        vin[c] = std::min(vin[c] * 10.0, max_vin);
        continue;
      }
      const double error_db = dsp::amplitude_ratio_to_db(vout / target);
      if (std::abs(error_db) <= kOutputLevelToleranceDb) continue;
      all_there = false;
      // A DUT in clipping: its output no longer follows the input.
      if (previous_vin[c] > 0.0) {
        const double in_step_db = dsp::amplitude_ratio_to_db(vin[c] / previous_vin[c]);
        const double out_step_db = dsp::amplitude_ratio_to_db(vout / previous_vout[c]);
        if (error_db < 0.0 && in_step_db > 0.1 && out_step_db < 0.5 * in_step_db) {
          out.unreachable = ch + ": the output stops following the input at " +
                            output_in_words(vout, p.load_ohm) + " (clipping)";
          return out;
        }
      }
      previous_vin[c] = vin[c];
      previous_vout[c] = vout;
      const double wanted = vin[c] * target / vout;
      if (wanted > max_vin * (1.0 + 1e-9)) {
        if (vin[c] >= max_vin) {
          out.unreachable = ch + ": it needs " + fmt("%.3g Vrms", wanted) +
                            " at the input, above the station's maximum drive of " +
                            fmt("%.3g Vrms", max_vin) + " (reached " +
                            output_in_words(vout, p.load_ohm) + ")";
          return out;
        }
        vin[c] = max_vin;
      } else {
        vin[c] = wanted;
      }
    }
    if (all_there) {
      gains.resize(n);
      for (std::size_t c = 0; c < n; ++c) gains[c] = tones[c].vrms_out / vin[c];
      out.tones = std::move(tones);
      out.vin = vin;
      return out;
    }
  }
  out.unreachable = "the output did not settle within " + fmt("%.2g dB", kOutputLevelToleranceDb) +
                    " of the request in " + std::to_string(kMaxOutputLevelCaptures) + " captures";
  return out;
}

TonesAtOutput input_for_point(StepContext& ctx, const Point& p, double frequency_hz) {
  if (!p.output_level) {
    TonesAtOutput out;
    out.vin.assign(ctx.channels().size(), ctx.vrms_of(*p.level, p.load_ohm));
    return out;
  }
  return capture_tones_at_output(ctx, p, frequency_hz, ToneSettings{}, false);
}

}  // namespace ampbench::sequence
