// record: the run record's own functions — verdict order, names, SHA-256 (OpenSSL), UUIDs
// (libuuid) and UTC times.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "record/limits.hpp"
#include "record/record.hpp"
#include "record/uncertainty.hpp"

using namespace ampbench::record;

TEST(Record, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Record, WorstVerdictWins) {
  EXPECT_EQ(worst(Verdict::pass, Verdict::fail), Verdict::fail);
  EXPECT_EQ(worst(Verdict::error, Verdict::fail), Verdict::error);
  EXPECT_EQ(worst(Verdict::error, Verdict::aborted), Verdict::aborted);
  EXPECT_EQ(parse_verdict("ABORTED"), Verdict::aborted);
  EXPECT_FALSE(parse_verdict("pass"));
}

TEST(Record, UuidAndTimes) {
  const auto a = new_uuid_v4(), b = new_uuid_v4();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_EQ(utc_now_iso8601().size(), 24u);
  EXPECT_EQ(utc_now_iso8601().back(), 'Z');
}

// A bound shows one side of its figure: a lower bound (the figure is at least it) can show a
// min met and a max broken, never a max met; an upper bound the reverse. Every case of a
// bound against a min, a max and both, simple and guarded.
TEST(Decisions, ABoundIsAcceptedOnlyWhereItShowsTheLimitMet) {
  const auto lower = BoundSide::lower, upper = BoundSide::upper;
  const Bounds min10{10.0, std::nullopt, Decision::simple};
  const Bounds max20{std::nullopt, 20.0, Decision::simple};
  const Bounds both{10.0, 20.0, Decision::simple};
  EXPECT_TRUE(accepted(15.0, min10, std::nullopt, lower));   // at least 15 ≥ 10
  EXPECT_FALSE(accepted(5.0, min10, std::nullopt, lower));   // at least 5: not shown
  EXPECT_FALSE(accepted(15.0, max20, std::nullopt, lower));  // at least 15: may be 30
  EXPECT_FALSE(accepted(25.0, max20, std::nullopt, lower));  // at least 25 > 20
  EXPECT_FALSE(accepted(15.0, both, std::nullopt, lower));
  EXPECT_TRUE(accepted(15.0, max20, std::nullopt, upper));   // at most 15 ≤ 20
  EXPECT_FALSE(accepted(25.0, max20, std::nullopt, upper));  // at most 25: not shown
  EXPECT_FALSE(accepted(15.0, min10, std::nullopt, upper));  // at most 15: may be 5
  EXPECT_FALSE(accepted(15.0, both, std::nullopt, upper));
  EXPECT_TRUE(accepted(15.0, both, std::nullopt));  // a value: both sides
  const Bounds guarded{10.0, std::nullopt, Decision::guarded};
  EXPECT_TRUE(accepted(10.5, guarded, 0.4, lower));
  EXPECT_FALSE(accepted(10.3, guarded, 0.4, lower));  // within the guard band
}

TEST(Record, FlagsAreAWordList) {
  MeasurementRecord m;
  add_flag(m, kAtAnalyzerLimit);
  add_flag(m, kLowerBound);
  add_flag(m, kLowerBound);
  EXPECT_EQ(m.flags, "at_analyzer_limit,lower_bound");
  EXPECT_TRUE(has_flag(m, kLowerBound));
  EXPECT_FALSE(has_flag(m, kUpperBound));
  EXPECT_FALSE(has_flag(m, "lower"));
}

// ISO 14253-1 decisions against a population drawn here: units truly just beyond a limit,
// measured with a standard uncertainty u; a guarded limit (U = 2u) accepts under 2.5 % of
// them (ILAC-G8: 2.3 % at k = 2) where a simple one accepts about half; on units centred on
// the limit, guarded accepts under 2.5 % of all units that are bad. Simple is the plain
// bounds check.
TEST(Decisions, AGuardedLimitAcceptsFewUnitsBeyondIt) {
  using ampbench::record::accepted;
  using ampbench::record::Bounds;
  using ampbench::record::Decision;
  const double limit = 1.0, u = 0.01;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> error(0.0, u), spread(limit, u);
  const Bounds simple{std::nullopt, limit, Decision::simple};
  const Bounds guarded{std::nullopt, limit, Decision::guarded};
  const int draws = 40000;  // the rate at the limit, 2.28 %, to ±0.08 %
  int simple_accepts = 0, guarded_accepts = 0, bad = 0, bad_guarded = 0, bad_simple = 0;
  for (int i = 0; i < draws; ++i) {
    const double at_limit = limit + 1e-6 + error(rng);
    simple_accepts += accepted(at_limit, simple, 2.0 * u);
    guarded_accepts += accepted(at_limit, guarded, 2.0 * u);
    EXPECT_EQ(accepted(at_limit, simple, 2.0 * u), at_limit <= limit);
    const double truth = spread(rng), measured = truth + error(rng);
    if (truth > limit) {
      ++bad;
      bad_simple += accepted(measured, simple, 2.0 * u);
      bad_guarded += accepted(measured, guarded, 2.0 * u);
    }
  }
  EXPECT_NEAR(double(simple_accepts) / draws, 0.5, 0.03);
  EXPECT_LE(double(guarded_accepts) / draws, 0.025);
  EXPECT_GT(bad, 18000);
  EXPECT_GT(double(bad_simple) / bad, 0.15);  // what simple lets through here
  EXPECT_LE(double(bad_guarded) / bad, 0.025);
  // Closed forms of the expanded uncertainties: a gain through both converters, a level and
  // its volts through the input's, a power as volts squared.
  using ampbench::record::calibration_uncertainty;
  EXPECT_NEAR(*calibration_uncertainty("gain_db", 26.0, 0.005, 0.005, 2.0), 0.01 * std::sqrt(2.0),
              1e-12);
  EXPECT_NEAR(*calibration_uncertainty("level_dbv", -6.0, 0.005, std::nullopt, 2.0), 0.01, 1e-12);
  EXPECT_NEAR(*calibration_uncertainty("level_vrms", 2.0, 0.005, std::nullopt, 2.0),
              2.0 * (std::pow(10.0, 0.01 / 20.0) - 1.0), 1e-12);
  EXPECT_NEAR(*calibration_uncertainty("power_w", 100.0, 0.005, std::nullopt, 2.0),
              100.0 * (std::pow(10.0, 0.02 / 20.0) - 1.0), 1e-12);
  EXPECT_FALSE(calibration_uncertainty("gain_db", 26.0, 0.005, std::nullopt, 2.0));
  EXPECT_FALSE(calibration_uncertainty("thd_pct", 0.01, 0.005, 0.005, 2.0));
}
