// sequence: the maximum-power search of a max_power step, as a pure function over a callback
// that plays one burst at an input level and says what each channel gave. It brackets the
// input at which the worse channel's distortion reaches the criterion with +10 dB steps (never
// beyond the station's drive or the step's max_power_w), then closes in to 0.1 dB; the
// callback is the only I/O, so the search is tested on closed-form amplifiers.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ampbench::sequence {

struct ChannelBurst {
  double vout = 0.0;  // Vrms at the DUT's output
  double thdn_pct = 0.0;
  double thd_pct = 0.0;
};

struct Burst {
  double vin = 0.0;  // Vrms at the DUT's input
  std::vector<ChannelBurst> channels;
};

struct PowerSearchSettings {
  double criterion_pct = 1.0;
  bool thd_only = false;  // THD (harmonics only) instead of THD+N
  double start_vin = 0.1;
  double max_vin = 1.0;               // the station's max_output_vrms
  std::optional<double> max_power_w;  // never driven beyond this into load_ohm
  double load_ohm = 8.0;
};

// The search's tuning: steps, widths and budgets.
inline constexpr double kPowerSearchStepDb = 10.0;    // climbing and descending
inline constexpr double kPowerSearchBracketDb = 0.1;  // done when the bracket is this wide
inline constexpr double kPowerSearchMarginDb = 0.02;  // a new burst keeps off the bracket's ends
inline constexpr double kPowerSearchCloseEnough = 0.002;  // |ln(distortion/criterion)|: done
inline constexpr std::size_t kPowerSearchMaxBursts = 24;
inline constexpr std::size_t kPowerSearchMaxBurstsDown = 8;  // before it says "upper bound"

struct PowerSearchResult {
  enum class Found {
    criterion,    // between lo and hi, at fraction `at` (in dB of input) from lo
    lower_bound,  // clean as far as it may be driven: lo's power is a lower bound
    upper_bound,  // distorted at every level tried: lo's (the lowest) is an upper bound
  };
  Found found = Found::criterion;
  Burst lo, hi;
  double at = 0.0;
  std::vector<Burst> visited;  // every burst, in the order played
  std::string message;         // what a bound means, for the step's message
};

// The distortion (re total, all harmonics) of a sine hard-clipped at r times its clip level.
double hard_clip_distortion(double overdrive);
// The overdrive at which a hard clipper reaches `distortion` (a ratio).
double hard_clip_overdrive(double distortion);

PowerSearchResult search_max_power(const PowerSearchSettings& settings,
                                   const std::function<Burst(double vin)>& measure);

}  // namespace ampbench::sequence
