#include "dsp/imd.hpp"

#include <charconv>
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "dsp/spectrum.hpp"
#include "dsp/tone_analysis.hpp"
#include "dsp/units.hpp"

namespace ampbench::dsp {

ImdSignal parse_imd_signal(std::string_view text) {
  const auto colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  ImdSignal s;
  if (name == "smpte" || name == "din")
    s = ImdSignal::smpte();
  else if (name == "ccif")
    s = ImdSignal::ccif();
  else
    throw UsageError("unknown IMD signal '" + std::string(text) +
                     "' (expected smpte, ccif, or NAME:F1:F2)");
  if (colon == std::string_view::npos) return s;
  const std::string_view rest = text.substr(colon + 1);
  const auto second = rest.find(':');
  const auto number = [&](std::string_view part) {
    double v = 0.0;
    const auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || ptr != part.data() + part.size() || !(v > 0.0))
      throw UsageError("IMD signal '" + std::string(text) + "': '" + std::string(part) +
                       "' is not a frequency in Hz");
    return v;
  };
  if (second == std::string_view::npos)
    throw UsageError("IMD signal '" + std::string(text) + "': expected NAME:F1:F2");
  s.f1_hz = number(rest.substr(0, second));
  s.f2_hz = number(rest.substr(second + 1));
  if (s.f2_hz <= s.f1_hz)
    throw UsageError("IMD signal '" + std::string(text) + "': F2 must be above F1");
  return s;
}

std::vector<Tone> imd_tones(const ImdSignal& s, double peak_fs) {
  const double high = peak_fs / (1.0 + s.amplitude_ratio);
  return {{s.f1_hz, high * s.amplitude_ratio, 0.0}, {s.f2_hz, high, 0.0}};
}

double ImdResult::imd_db() const {
  return amplitude_ratio_to_db(imd_ratio);
}

ImdResult analyze_imd(std::span<const double> samples, double sample_rate_hz, const ImdSignal& s,
                      int max_order) {
  if (samples.size() < kMinimumAnalysisFrames)
    throw MeasurementError("block too short for IMD analysis: needs " +
                           std::to_string(kMinimumAnalysisFrames) + " samples");
  const PowerSpectrum spectrum =
      power_spectrum(samples, sample_rate_hz, WindowKind::blackman_harris_7, DcLevel::remove);
  const double nyquist = sample_rate_hz / 2.0;
  const auto amplitude = [&](double f) {
    return (f > 0.0 && f < nyquist) ? std::sqrt(2.0 * tone_mean_square_at(spectrum, f)) : 0.0;
  };
  const double a1 = amplitude(s.f1_hz), a2 = amplitude(s.f2_hz);
  if (!(a2 > 0.0)) throw MeasurementError("no signal at the IMD test tones");
  ImdResult r;
  double sum = 0.0;
  const auto add_order = [&](int order, double reference,
                             std::initializer_list<double> frequencies) {
    double d = 0.0;
    for (double f : frequencies) {
      const double a = amplitude(f);
      d += a;
      r.products.push_back({order, f, amplitude_ratio_to_db(a / reference)});
    }
    d /= reference;
    r.order_ratio.push_back(d);
    sum += d * d;
  };
  if (s.standard == ImdStandard::smpte) {
    for (int order = 2; order <= max_order; ++order) {
      const double k = order - 1;
      add_order(order, a2, {s.f2_hz - k * s.f1_hz, s.f2_hz + k * s.f1_hz});
    }
  } else {
    add_order(2, a1 + a2, {s.f2_hz - s.f1_hz});
    add_order(3, a1 + a2, {2.0 * s.f2_hz - s.f1_hz, 2.0 * s.f1_hz - s.f2_hz});
  }
  r.imd_ratio = std::sqrt(sum);
  return r;
}

}  // namespace ampbench::dsp
