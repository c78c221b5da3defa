// sequence/steps: the step-kind registry — what each kind declares, and how a step table is
// read against it (a key of another kind is refused naming its owner; one-part overrides
// reach only the steps whose kind has the field).
#include <gtest/gtest.h>

#include <set>

#include "common/error.hpp"
#include "run_binary.hpp"
#include "sequence/bench.hpp"
#include "sequence/plan.hpp"
#include "sequence/runner.hpp"
#include "sequence/step_fields.hpp"
#include "sequence/steps/registry.hpp"

using namespace ampbench;
using namespace ampbench::sequence;

namespace {

const std::string kHead = "[sequence]\nname = \"t\"\nchannels = [\"L\", \"R\"]\n";

std::vector<std::string> parse_errors(const std::string& text,
                                      const std::vector<Override>& overrides = {}) {
  std::vector<std::string> errors;
  parse_sequence(text, "t.toml", overrides, errors);
  return errors;
}

}  // namespace

TEST(StepKinds, EachDeclaresItsMeasurementsCurvesAndKeysOnce) {
  const std::set<std::string_view> units = {"dB", "dBV", "dBu", "V",   "Hz",
                                            "%",  "W",   "ohm", "deg", ""};
  std::set<std::string_view> names, curves;
  for (const StepKind* kind : step_kinds()) {
    EXPECT_TRUE(names.insert(kind->name()).second) << kind->name();
    EXPECT_EQ(find_step_kind(kind->name()), kind);
    std::set<std::string_view> measured;
    for (const auto& m : kind->measurements()) {
      EXPECT_TRUE(measured.insert(m.name).second) << kind->name() << "." << m.name;
      EXPECT_TRUE(units.count(m.unit)) << kind->name() << "." << m.name << " in " << m.unit;
    }
    for (const auto& c : kind->curves()) {
      EXPECT_TRUE(curves.insert(c.name).second) << c.name << " declared twice";
      EXPECT_FALSE(c.title.empty() || c.x_label.empty() || c.y_label.empty()) << c.name;
      EXPECT_EQ(find_curve_spec(c.name), &c);
    }
    for (const auto key : kind->keys())
      EXPECT_FALSE(std::count(std::begin(kCommonStepKeys), std::end(kCommonStepKeys), key))
          << kind->name() << " redeclares the common key " << key;
  }
  EXPECT_EQ(names.size(), 14u);  // multitone the 14th
  EXPECT_EQ(find_step_kind("magic"), nullptr);
  EXPECT_EQ(find_curve_spec("no_such_curve"), nullptr);
}

TEST(StepKinds, AKeyOfAnotherKindIsRefusedNamingItsOwner) {
  const auto errors =
      parse_errors(kHead +
                   "[[step]]\nid = \"a\"\nkind = \"level\"\nstimulus = { frequency_hz = "
                   "1000, level = \"-20 dBV\" }\nstandard = \"ccif\"\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("t.toml:8: field 'step.a.standard': is not a field of a level step"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[0].find("imd"), std::string::npos) << errors[0];
  const auto unknown = parse_errors(kHead +
                                    "[[step]]\nid = \"a\"\nkind = \"prompt\"\nmessage = "
                                    "\"ok?\"\ncolour = \"red\"\n");
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_NE(unknown[0].find("t.toml:8: field 'step.a.colour': unknown field"), std::string::npos)
      << unknown[0];
}

TEST(StepKinds, AOnePartOverrideReachesOnlyTheKindsThatHaveTheField) {
  const std::string text =
      kHead +
      "[[step]]\nid = \"gain\"\nkind = \"level\"\nstimulus = { frequency_hz = 1000, level = \"-20 "
      "dBV\" }\n[[step]]\nid = \"fr\"\nkind = \"frequency_response\"\nstimulus = { from_hz = 20, "
      "to_hz = 20000, level = \"-20 dBV\" }\n";
  std::vector<std::string> errors;
  const auto plan = parse_sequence(text, "t.toml", {{"method", "sweep"}}, errors);
  ASSERT_TRUE(plan) << errors[0];
  EXPECT_FALSE(plan->steps[0].params.contains("method"));
  EXPECT_EQ(plan->steps[1].params.value("method", ""), "sweep");
  const auto none = parse_errors(text, {{"standard", "ccif"}});
  ASSERT_EQ(none.size(), 1u);
  EXPECT_NE(none[0].find("--set standard: no step has this field"), std::string::npos) << none[0];
}

TEST(StepKinds, StoredUnitsAreTheDeclaredOnes) {
  struct Silent : plugs::OperatorIo {
    std::string ask(const std::string&, const std::string& fallback) override { return fallback; }
  } io;
  const std::string source = AMPBENCH_SOURCE_DIR;
  for (const auto& [sequence, station_file] :
       {std::pair{"/sequences/preamp-production.toml", "/instruments/sim-preamp.toml"},
        std::pair{"/sequences/poweramp-production.toml", "/instruments/sim-bench.toml"}}) {
    std::vector<std::string> errors;
    const auto plan = load_sequence(source + sequence, {}, errors);
    ASSERT_TRUE(plan) << errors[0];
    const auto station = load_station(source + station_file);
    Bench bench = open_bench(station, "GOOD", io);
    RunObserver observer;
    const auto run = run_sequence(*plan, station, bench, {"GOOD", "test", nullptr}, io, observer);
    std::size_t checked = 0;
    for (const auto& step : run.steps) {
      const auto specs = find_step_kind(step.kind)->measurements();
      for (const auto& m : step.measurements) {
        const auto spec = std::find_if(specs.begin(), specs.end(),
                                       [&](const MeasurementSpec& s) { return s.name == m.name; });
        ASSERT_NE(spec, specs.end()) << step.kind << "." << m.name;
        EXPECT_EQ(m.unit, spec->unit) << step.kind << "." << m.name;
        ++checked;
      }
    }
    EXPECT_GT(checked, 50u) << sequence;
    EXPECT_EQ(run.verdict, record::Verdict::pass) << sequence;
  }
}
