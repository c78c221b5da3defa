// sequence: the max_power search on its own, over closed-form amplifiers instead of a
// station: where it lands, what it never drives beyond, and what it says when the criterion
// cannot be reached. Tolerances in dB of input level.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numbers>

#include "sequence/power_search.hpp"

using namespace ampbench::sequence;

namespace {

// A linear amplifier of gain 20 whose THD+N rises as the sixth power of its input above a
// 0.01 % floor; its right channel distorts 1.5 times as much. THD+N reaches c % on the right
// channel at vin = ((c − 0.01) / 150)^(1/6).
struct PowerLawAmp {
  std::vector<double> played;
  Burst operator()(double vin) {
    played.push_back(vin);
    const auto channel = [&](double k) {
      const double thdn = 0.01 + k * std::pow(vin, 6.0);
      return ChannelBurst{20.0 * vin, thdn, thdn};
    };
    return {vin, {channel(100.0), channel(150.0)}};
  }
};

double db(double ratio) {
  return 20.0 * std::log10(ratio);
}

}  // namespace

TEST(PowerSearch, LandsWhereTheWorseChannelReachesTheCriterion) {
  PowerLawAmp amp;
  PowerSearchSettings s;
  s.criterion_pct = 1.0;
  s.start_vin = 0.05;
  s.max_vin = 1.8;
  const auto r = search_max_power(s, std::ref(amp));
  ASSERT_EQ(r.found, PowerSearchResult::Found::criterion);
  const double found_vin = r.lo.vin * std::pow(r.hi.vin / r.lo.vin, r.at);
  const double truth_vin = std::pow((1.0 - 0.01) / 150.0, 1.0 / 6.0);
  EXPECT_NEAR(db(found_vin / truth_vin), 0.0, 0.02);
  // Done when the bracket is 0.1 dB wide or a burst lands within 0.2 % of the criterion.
  const auto close = [](const Burst& b) {
    return std::abs(std::log(b.channels[1].thdn_pct / 1.0)) < kPowerSearchCloseEnough;
  };
  EXPECT_TRUE(db(r.hi.vin / r.lo.vin) <= kPowerSearchBracketDb + 1e-9 || close(r.visited.back()));
  EXPECT_LE(amp.played.size(), kPowerSearchMaxBursts);
  EXPECT_EQ(r.visited.size(), amp.played.size());
  EXPECT_TRUE(r.message.empty());
}

// Never beyond the station's drive nor max_power_w: clean as far as it may go is a lower
// bound, said so.
TEST(PowerSearch, NeverDrivesBeyondItsLimitsAndSaysWhatStoppedIt) {
  for (const bool by_power : {false, true}) {
    PowerLawAmp amp;
    PowerSearchSettings s;
    s.start_vin = 0.01;
    s.max_vin = by_power ? 1.8 : 0.3;
    if (by_power) s.max_power_w = 5.0;  // 20 · vin into 8 Ω: vin ≤ √40 / 20 = 0.316 V
    s.load_ohm = 8.0;
    const auto r = search_max_power(s, std::ref(amp));
    EXPECT_EQ(r.found, PowerSearchResult::Found::lower_bound);
    const double limit = by_power ? std::sqrt(5.0 * 8.0) / 20.0 : 0.3;
    for (double vin : amp.played) EXPECT_LE(vin, limit * (1.0 + 1e-9));
    EXPECT_NEAR(r.lo.vin, limit, 1e-9);
    EXPECT_NE(r.message.find(by_power ? "max_power_w (5 W)" : "the station's max_output_vrms"),
              std::string::npos)
        << r.message;
    EXPECT_NE(r.message.find("power_w is a lower bound"), std::string::npos);
  }
}

// Distorted at every level (a broken channel): it searches down a few steps, then says the
// lowest burst's power is an upper bound.
TEST(PowerSearch, DistortedEverywhereIsAnUpperBound) {
  int played = 0;
  PowerSearchSettings s;
  s.start_vin = 0.1;
  const auto r = search_max_power(s, [&](double vin) {
    ++played;
    return Burst{vin, {ChannelBurst{20.0 * vin, 50.0, 50.0}}};
  });
  EXPECT_EQ(r.found, PowerSearchResult::Found::upper_bound);
  EXPECT_EQ(static_cast<std::size_t>(played), kPowerSearchMaxBurstsDown);
  EXPECT_NE(r.message.find("power_w is an upper bound"), std::string::npos);
}

// The hard-clipping closed form the search jumps along: a sine clipped at 1/r of its peak.
TEST(PowerSearch, HardClipDistortionMatchesItsClosedFormAndInverts) {
  EXPECT_EQ(hard_clip_distortion(1.0), 0.0);
  // r = 2: α = 30°, b1 = (2/π)(π/6 + √3/4), mean square (2/π)(π/12 − √3/8 + π/12).
  const double a = std::numbers::pi / 6.0;
  const double b1 = 2.0 / std::numbers::pi * (a + std::sqrt(3.0) / 4.0);
  const double ms = 2.0 / std::numbers::pi * (a / 2.0 - std::sqrt(3.0) / 8.0 + 0.25 * 2.0 * a);
  EXPECT_NEAR(hard_clip_distortion(2.0), std::sqrt((ms - b1 * b1 / 2.0) / ms), 1e-12);
  EXPECT_NEAR(hard_clip_overdrive(hard_clip_distortion(1.3)), 1.3, 1e-9);
}
