#include "sequence/power_search.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "common/text.hpp"
#include "dsp/units.hpp"

namespace ampbench::sequence {
namespace {

double db(double v) {
  return 20.0 * std::log10(v);
}

}  // namespace

// With α = arcsin(1/r), b1 = (2A/π)(α + sin α cos α) and the mean square
// (2A²/π)(α/2 − sin 2α/4 + sin²α·(π/2 − α)).
double hard_clip_distortion(double r) {
  if (r <= 1.0) return 0.0;
  const double a = std::asin(1.0 / r);
  const double b1 = 2.0 / std::numbers::pi * (a + std::sin(a) * std::cos(a));
  const double ms = 2.0 / std::numbers::pi *
                    (a / 2.0 - std::sin(2.0 * a) / 4.0 +
                     std::sin(a) * std::sin(a) * (std::numbers::pi / 2.0 - a));
  return std::sqrt(std::max(ms - b1 * b1 / 2.0, 0.0) / ms);
}

// Bisection on r in 1..100.
double hard_clip_overdrive(double distortion) {
  double lo = 1.0, hi = 100.0;
  for (int i = 0; i < 60; ++i) {
    const double mid = std::sqrt(lo * hi);
    (hard_clip_distortion(mid) < distortion ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

// Climb until a clean burst is followed by one at the criterion. Distortion that falls as
// the level rises (noise, hum) is passed through; distortion that rises with no clean burst
// yet means clipping from the start: then search below. Then close in (a jump along the
// hard-clipping curve while the low end is only noise, then regula falsi, Illinois, on
// ln(distortion) against level in dB) until the bracket is kPowerSearchBracketDb wide.
PowerSearchResult search_max_power(const PowerSearchSettings& s,
                                   const std::function<Burst(double vin)>& play) {
  PowerSearchResult r;
  const double criterion = s.criterion_pct;
  const auto metric = [&](const Burst& b) {
    double worst = 0.0;
    for (const auto& c : b.channels) worst = std::max(worst, s.thd_only ? c.thd_pct : c.thdn_pct);
    return worst;
  };
  const auto above = [&](const Burst& b) { return metric(b) >= criterion; };
  const std::string name = s.thd_only ? "THD" : "THD+N";
  const auto measure = [&](double vin) {
    r.visited.push_back(play(vin));
    return r.visited.back();
  };
  std::string why_stopped;
  // The next level up, held below max_vin and max_power_w.
  const auto level_above = [&](const Burst& b) {
    double gain = 0.0;
    for (const auto& c : b.channels) gain = std::max(gain, c.vout / b.vin);
    double next = b.vin * dsp::db_to_amplitude_ratio(kPowerSearchStepDb);
    why_stopped = "the station's max_output_vrms";
    if (next > s.max_vin) next = s.max_vin;
    if (s.max_power_w && next * gain > std::sqrt(*s.max_power_w * s.load_ohm)) {
      next = std::sqrt(*s.max_power_w * s.load_ohm) / gain;
      why_stopped = fmt("max_power_w (%g W)", *s.max_power_w);
    }
    return next;
  };
  const auto bound = [&](PowerSearchResult::Found found, const Burst& b, std::string message) {
    r.found = found;
    r.lo = r.hi = b;
    r.at = 0.0;
    r.message = std::move(message);
    return r;
  };
  std::optional<Burst> lo, hi, previous;
  Burst current = measure(std::min(s.start_vin, s.max_vin));
  bool below_start = false;
  for (;;) {
    if (!above(current)) {
      lo = current;
    } else if (lo) {
      hi = current;
      break;
    } else if (previous && metric(current) >= metric(*previous)) {
      below_start = true;
      break;
    }
    const double next = level_above(current);
    if (next <= current.vin * 1.0001) {
      if (lo)
        // Below the criterion as far as it may be driven: what the amplifier delivered there
        // is a lower bound, and limits judge it as such.
        return bound(PowerSearchResult::Found::lower_bound, *lo,
                     name + " stayed below " + fmt("%g %%", criterion) + " up to " + why_stopped +
                         fmt(" (%.4g %%): power_w is a lower bound", metric(*lo)));
      below_start = true;
      break;
    }
    previous = current;
    current = measure(next);
  }
  if (below_start) {
    Burst lowest = *std::min_element(r.visited.begin(), r.visited.end(),
                                     [](const Burst& a, const Burst& b) { return a.vin < b.vin; });
    hi = lowest;
    while (above(lowest)) {
      if (r.visited.size() >= kPowerSearchMaxBurstsDown)
        // Distorted at every level tried (a dead or broken channel): what it gives at the
        // lowest is an upper bound, and limits judge it as such.
        return bound(PowerSearchResult::Found::upper_bound, lowest,
                     name + fmt(" above %g %% at every level down to ", criterion) +
                         fmt("%.3g Vrms in: power_w is an upper bound", lowest.vin));
      hi = lowest;
      lowest = measure(lowest.vin / dsp::db_to_amplitude_ratio(kPowerSearchStepDb));
    }
    lo = lowest;
  }
  int same_side = 0;  // Illinois: halve the stale end's weight after two moves on one side
  double weight_lo = 1.0, weight_hi = 1.0;
  while (db(hi->vin / lo->vin) > kPowerSearchBracketDb &&
         r.visited.size() < kPowerSearchMaxBursts) {
    const double xl = db(lo->vin), xh = db(hi->vin);
    const double yl = std::log(metric(*lo) / criterion) * weight_lo,
                 yh = std::log(metric(*hi) / criterion) * weight_hi;
    const double margin = std::min(kPowerSearchMarginDb, (xh - xl) / 4.0);
    // While the low end shows only the noise floor, a secant through it lands far off.
    // Instead, read the high end's overdrive off the hard-clipping curve and jump to where
    // that curve meets the criterion; a soft clipper lands near it too.
    const bool floor_only = metric(*lo) < criterion / 5.0;
    const double jump = xh - dsp::amplitude_ratio_to_db(hard_clip_overdrive(metric(*hi) / 100.0) /
                                                        hard_clip_overdrive(criterion / 100.0));
    const double x =
        std::clamp(floor_only ? jump : xl - yl * (xh - xl) / (yh - yl), xl + margin, xh - margin);
    const Burst b = measure(dsp::db_to_amplitude_ratio(x));
    if (above(b)) {
      hi = b;
      weight_hi = 1.0;
      if (++same_side >= 2) weight_lo *= 0.5;
      if (same_side < 0) same_side = 1;
    } else {
      lo = b;
      weight_lo = 1.0;
      if (--same_side <= -2) weight_hi *= 0.5;
      if (same_side > 0) same_side = -1;
    }
    if (std::abs(std::log(metric(b) / criterion)) < kPowerSearchCloseEnough) break;
  }
  const double yl = std::log(metric(*lo) / criterion), yh = std::log(metric(*hi) / criterion);
  r.found = PowerSearchResult::Found::criterion;
  r.lo = *lo;
  r.hi = *hi;
  r.at = yh > yl ? std::clamp(-yl / (yh - yl), 0.0, 1.0) : 0.5;
  return r;
}

}  // namespace ampbench::sequence
