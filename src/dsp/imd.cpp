#include "dsp/imd.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>

#include "common/error.hpp"
#include "dsp/spectrum.hpp"
#include "dsp/tone_analysis.hpp"
#include "dsp/units.hpp"

namespace ampbench::dsp {
namespace {

constexpr WindowKind kImdWindow = WindowKind::blackman_harris_7;

template <typename... Args>
std::string text(const char* format, Args... args) {
  char out[240];
  std::snprintf(out, sizeof out, format, args...);
  return out;
}

}  // namespace

ImdSignal parse_imd_signal(std::string_view text) {
  const auto colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  ImdSignal s;
  if (name == "smpte" || name == "din")
    s = ImdSignal::smpte();
  else if (name == "ccif")
    s = ImdSignal::ccif();
  else if (name == "dim30")
    s = ImdSignal::dim(30000.0);
  else if (name == "dim100")
    s = ImdSignal::dim(100000.0);
  else
    throw UsageError("unknown IMD signal '" + std::string(text) +
                     "' (expected smpte, ccif, dim30, dim100, or NAME:F1:F2)");
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

std::string imd_standard_name(const ImdSignal& s) {
  switch (s.standard) {
    case ImdStandard::smpte:
      return "smpte";
    case ImdStandard::ccif:
      return "ccif";
    case ImdStandard::dim:
      return text("dim%g", s.square_corner_hz / 1000.0);
  }
  return "";
}

std::vector<Tone> imd_tones(const ImdSignal& s, double peak_fs, double sample_rate_hz) {
  const double high = peak_fs / (1.0 + s.amplitude_ratio);
  if (s.standard != ImdStandard::dim)
    return {{s.f1_hz, high * s.amplitude_ratio, 0.0}, {s.f2_hz, high, 0.0}};
  // The square (4/π)·A·Σ sin(2πkf1t)/k over odd k, each harmonic through the first-order
  // low-pass: |H| = 1/√(1 + (f/fc)²), arg H = −atan(f/fc).
  const double square = high * s.amplitude_ratio;
  std::vector<Tone> tones;
  for (int k = 1; k * s.f1_hz < sample_rate_hz / 2.0; k += 2) {
    const double f = k * s.f1_hz, x = f / s.square_corner_hz;
    tones.push_back(
        {f, 4.0 * square / (std::numbers::pi * k) / std::sqrt(1.0 + x * x), -std::atan(x)});
  }
  tones.push_back({s.f2_hz, high, 0.0});
  return tones;
}

double imd_peak_over_rms(const ImdSignal& s, double sample_rate_hz) {
  double mean_square = 0.0;
  for (const Tone& t : imd_tones(s, 1.0, sample_rate_hz))
    mean_square += t.amplitude_peak_fs * t.amplitude_peak_fs / 2.0;
  return 1.0 / std::sqrt(mean_square);
}

double ImdResult::imd_db() const {
  return amplitude_ratio_to_db(imd_ratio);
}

namespace {

struct DimProduct {
  int k = 0;
  double frequency_hz = 0.0;
};

// DIM's products: |k·f1 − f2| for every k that puts one strictly between 0 and f2.
std::vector<DimProduct> dim_products(const ImdSignal& s) {
  std::vector<DimProduct> out;
  for (int k = 1; k * s.f1_hz < 2.0 * s.f2_hz; ++k) {
    const double f = std::abs(k * s.f1_hz - s.f2_hz);
    if (f > 0.0 && f < s.f2_hz) out.push_back({k, f});
  }
  return out;
}

double spacing_hz(const ImdSignal& s, double sample_rate_hz) {
  if (s.standard == ImdStandard::smpte) return s.f1_hz;
  if (s.standard == ImdStandard::ccif) return s.f2_hz - s.f1_hz;
  std::vector<double> f;
  for (const auto& p : dim_products(s)) f.push_back(p.frequency_hz);
  for (const Tone& t : imd_tones(s, 1.0, sample_rate_hz)) f.push_back(t.frequency_hz);
  std::sort(f.begin(), f.end());
  double nearest = s.f2_hz;
  for (std::size_t i = 1; i < f.size(); ++i) nearest = std::min(nearest, f[i] - f[i - 1]);
  return nearest;
}

}  // namespace

// Components 2L + 1 bins apart (L: the window's main-lobe half width): each one's lobe sum
// (±(L + 1) bins) then reaches no further than the first zero of its neighbour's main lobe.
std::size_t frames_resolving_imd(const ImdSignal& s, double sample_rate_hz) {
  const double spacing = spacing_hz(s, sample_rate_hz);
  if (!(spacing > 0.0))
    throw MeasurementError(
        text("a DIM product of %g Hz and %g Hz falls on a component of the "
             "signal itself",
             s.f1_hz, s.f2_hz));
  const double bins = 2.0 * main_lobe_half_width_bins(kImdWindow) + 1.0;
  return std::max(kMinimumAnalysisFrames,
                  static_cast<std::size_t>(std::ceil(bins * sample_rate_hz / spacing - 1e-9)));
}

ImdResult analyze_imd(std::span<const double> samples, double sample_rate_hz, const ImdSignal& s,
                      int max_order) {
  const double nyquist = sample_rate_hz / 2.0;
  if (!(s.f2_hz < nyquist))
    throw MeasurementError(
        text("the IMD tone at %g Hz lies at or above half the sample rate", s.f2_hz));
  const std::size_t needed = frames_resolving_imd(s, sample_rate_hz);
  if (samples.size() < needed)
    throw MeasurementError(
        text("a %.3g s block cannot keep the IMD products %g Hz apart: it "
             "needs %.3g s",
             static_cast<double>(samples.size()) / sample_rate_hz, spacing_hz(s, sample_rate_hz),
             static_cast<double>(needed) / sample_rate_hz));
  const PowerSpectrum spectrum =
      power_spectrum(samples, sample_rate_hz, kImdWindow, DcLevel::remove);
  // Both test tones must be there: the products of noise are noise, not IMD.
  for (const double f : {s.f1_hz, s.f2_hz}) {
    const auto prominence = tone_prominence_db(spectrum, f);
    if (prominence && *prominence < kTonePresentDb)
      throw MeasurementError(
          text("no IMD test tone at %g Hz: its peak stands %.1f dB above its "
               "neighbours, as noise does (a tone stands 20 dB or more above)",
               f, *prominence));
  }
  const auto amplitude = [&](double f) {
    return (f > 0.0 && f < nyquist) ? std::sqrt(2.0 * tone_mean_square_at(spectrum, f)) : 0.0;
  };
  const double a1 = amplitude(s.f1_hz), a2 = amplitude(s.f2_hz);
  if (!(a1 > 0.0 && a2 > 0.0)) throw MeasurementError("no signal at the IMD test tones");
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
  if (s.standard == ImdStandard::dim) {
    // One total: the products' rms sum re the sine.
    double square_sum = 0.0;
    for (const auto& p : dim_products(s)) {
      const double a = amplitude(p.frequency_hz);
      square_sum += a * a;
      r.products.push_back({p.k, p.frequency_hz, amplitude_ratio_to_db(a / a2)});
    }
    r.order_ratio.push_back(std::sqrt(square_sum) / a2);
    r.imd_ratio = r.order_ratio.back();
    return r;
  }
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
