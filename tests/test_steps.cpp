// sequence/steps: the step-kind registry — what each kind declares, and how a step table is
// read against it (a key of another kind is refused naming its owner; one-part overrides
// reach only the steps whose kind has the field), and docs/sequences.md against both.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "common/error.hpp"
#include "record/dimensions.hpp"
#include "record/point_words.hpp"
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
  const std::set<std::string_view> units = {"dB",  "dBV",  "dBu", "V",       "Hz", "%", "W", "ohm",
                                            "deg", "V/us", "us",  "nV/rtHz", "s",  "A", ""};
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
  EXPECT_EQ(names.size(), 20u);  // power_bandwidth, hold, efficiency, psrr the 17th to 20th
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
    const auto run =
        run_sequence(*plan, station, bench, {"GOOD", "test", nullptr, "", ""}, io, observer);
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

namespace {

// docs/sequences.md as tables: the names in the first column of each table row, by the
// section ("## …" or "### `kind`") they stand in; and its TOML examples.
struct SequenceDoc {
  std::map<std::string, std::set<std::string>> names;  // section heading → names
  std::vector<std::string> examples;
};

SequenceDoc read_sequence_doc() {
  std::ifstream in(std::string(AMPBENCH_SOURCE_DIR) + "/docs/sequences.md");
  SequenceDoc doc;
  std::string section, line, example;
  bool in_example = false;
  const std::regex first_cell(R"(^\| `([^`]+)`)");
  while (std::getline(in, line)) {
    if (in_example) {
      if (line == "```") {
        doc.examples.push_back(example);
        in_example = false;
      } else {
        example += line + "\n";
      }
      continue;
    }
    if (line == "```toml") {
      in_example = true;
      example.clear();
    } else if (line.rfind("## ", 0) == 0 || line.rfind("### ", 0) == 0) {
      section = line.substr(line.find(' ') + 1);
      doc.names[section];
    } else if (std::smatch m; std::regex_search(line, m, first_cell)) {
      doc.names[section].insert(m[1]);
    }
  }
  return doc;
}

}  // namespace

// Every kind, field, measurement and curve the parser accepts is in the doc's tables, and
// every example in it parses: a doc written from the code cannot drift from it silently.
TEST(SequenceDoc, EveryKindFieldMeasurementAndCurveIsDocumented) {
  const auto doc = read_sequence_doc();
  const auto& common = doc.names.at("Fields every step has");
  for (const auto key : kCommonStepKeys) EXPECT_TRUE(common.count(std::string(key))) << key;
  for (const auto& field : record::stimulus_fields())
    EXPECT_TRUE(common.count(std::string(field.path))) << field.path;
  for (const auto key : record::limit_keys())
    EXPECT_TRUE(doc.names.at("Limits").count(std::string(key))) << key;
  for (const auto key : kSweepKeys)
    EXPECT_TRUE(doc.names.at("Sweeps").count(std::string(key))) << key;
  for (const auto& d : record::dimensions())
    EXPECT_TRUE(doc.names.at("Sweeps").count(std::string(d.key))) << d.key;
  std::set<std::string> documented_kinds;
  for (const auto& [section, names] : doc.names)
    if (section.size() > 2 && section.front() == '`') documented_kinds.insert(section);
  for (const StepKind* kind : step_kinds()) {
    const std::string heading = "`" + std::string(kind->name()) + "`";
    EXPECT_TRUE(documented_kinds.erase(heading)) << "no section " << heading;
    const auto it = doc.names.find(heading);
    const std::set<std::string> none;
    const auto& names = it == doc.names.end() ? none : it->second;
    for (const auto key : kind->keys())
      EXPECT_TRUE(names.count(std::string(key))) << heading << " " << key;
    for (const auto& m : kind->measurements())
      EXPECT_TRUE(names.count(std::string(m.name))) << heading << " " << m.name;
    for (const auto& c : kind->curves())
      EXPECT_TRUE(names.count(std::string(c.name))) << heading << " " << c.name;
    for (const auto c : kind->shared_curves())
      EXPECT_TRUE(names.count(std::string(c))) << heading << " " << c;
  }
  EXPECT_TRUE(documented_kinds.empty()) << "a section for no kind: " << *documented_kinds.begin();
  EXPECT_GE(doc.examples.size(), step_kinds().size());
  for (const auto& example : doc.examples) {
    // The header's example has no step of its own: one that measures nothing completes it.
    std::string text = example.find("[sequence]") != std::string::npos
                           ? example
                           : kHead + "[defaults]\nload_ohm = 8\n" + example;
    if (text.find("[[step]]") == std::string::npos)
      text += "[[step]]\nid = \"x\"\nkind = \"set\"\nload_ohm = 8\n";
    const auto errors = parse_errors(text);
    EXPECT_TRUE(errors.empty()) << example << "\n" << (errors.empty() ? "" : errors[0]);
  }
}

// Each kind declares the stimulus fields it reads; a field it would ignore is refused on its
// line, by name, whether written in the stimulus table or swept (SPEC §14).
TEST(StimulusFields, EveryKindRefusesEveryFieldItDoesNotRead) {
  const std::map<record::StimulusField, std::string> value = {
      {record::StimulusField::source, "\"interface\""},
      {record::StimulusField::frequency_hz, "1000"},
      {record::StimulusField::level, "\"-20 dBV\""},
      {record::StimulusField::output_level, "\"1 W\""},
      {record::StimulusField::from_hz, "20"},
      {record::StimulusField::to_hz, "20000"},
      {record::StimulusField::points, "10"},
      {record::StimulusField::duration_s, "1"}};
  int refused = 0;
  for (const StepKind* kind : step_kinds()) {
    for (const auto& field : record::stimulus_fields()) {
      const bool reads = field.field == record::StimulusField::source
                             ? !kind->stimulus_fields().empty()
                             : kind->reads(field.field);
      if (reads) continue;
      const std::string text =
          "[sequence]\nname = \"x\"\nchannels = [\"L\"]\n[[step]]\nid = \"a\"\nkind = \"" +
          std::string(kind->name()) + "\"\nload_ohm = 8\nstimulus = { " + std::string(field.key) +
          " = " + value.at(field.field) + " }\n";
      std::vector<std::string> errors;
      sequence::parse_sequence(text, "t.toml", {}, errors);
      ASSERT_FALSE(errors.empty()) << text;
      EXPECT_NE(errors[0].find("t.toml:8: field 'step.a." + std::string(field.path) + "'"),
                std::string::npos)
          << errors[0];
      EXPECT_NE(errors[0].find("step does not read"), std::string::npos) << errors[0];
      ++refused;
    }
  }
  EXPECT_GT(refused, 40);
  std::vector<std::string> errors;
  sequence::parse_sequence(R"([sequence]
name = "x"
channels = ["L"]
[[step]]
id = "a"
kind = "imd"
stimulus = { level = "-20 dBV" }
sweep = [
  { parameter = "stimulus.frequency_hz", values = [60, 1000] },
]
)",
                           "t.toml", {}, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("t.toml:9: field 'step.a.sweep': an imd step does not read "
                           "stimulus.frequency_hz"),
            std::string::npos)
      << errors[0];
}

// A generated sweep's points are the numbers meant: 20·1000^(1/3) is 199.99999999999997 in
// binary, which every report and export would print; and a kind is named with its article.
TEST(SweepDimensions, GeneratedPointsAreTheRoundNumbersMeant) {
  std::vector<std::string> errors;
  const auto plan = sequence::parse_sequence(R"([sequence]
name = "x"
channels = ["L"]
[[step]]
id = "a"
kind = "level"
stimulus = { level = "-20 dBV" }
sweep = [
  { parameter = "stimulus.frequency_hz", from = 20, to = 20000, points = 4, spacing = "log" },
  { parameter = "stimulus.level", from = "-30 dBV", to = "0 dBV", points = 4 },
]
)",
                                             "t.toml", {}, errors);
  ASSERT_TRUE(plan) << (errors.empty() ? "" : errors[0]);
  const auto& sweeps = plan->steps.at(0).sweeps;
  ASSERT_EQ(sweeps.size(), 2u);
  std::vector<double> hz;
  for (const auto& v : sweeps[0].values) hz.push_back(std::get<double>(v));
  EXPECT_EQ(hz, (std::vector<double>{20.0, 200.0, 2000.0, 20000.0}));
  std::vector<double> dbv;
  for (const auto& v : sweeps[1].values) dbv.push_back(std::get<Level>(v).value);
  EXPECT_EQ(dbv, (std::vector<double>{-30.0, -20.0, -10.0, 0.0}));

  const auto wrong = parse_errors(kHead +
                                  "[[step]]\nid = \"a\"\nkind = \"imd\"\nstimulus = { level = "
                                  "\"-20 dBV\" }\nmessage = \"ok?\"\n");
  ASSERT_EQ(wrong.size(), 1u);
  EXPECT_NE(wrong[0].find("is not a field of an imd step"), std::string::npos) << wrong[0];
}

// A load swept through `sweep` is the step's load as `load_ohm = [8, 4]` is: limits bounded
// in W or by load hold, and the loads are swept the same.
TEST(SweepDimensions, ALoadSweptEitherWayIsTheStepsLoad) {
  const std::string step = kHead +
                           "[[step]]\nid = \"p\"\nkind = \"thdn\"\nstimulus = { frequency_hz = "
                           "1000, output_level = \"10 W\" }\n";
  const std::string limits =
      "limits.thdn_pct = [{ max = 0.05, load_ohm = 8 }, { max = 0.08, load_ohm = 4 }]\n";
  std::vector<std::string> errors;
  const auto listed = parse_sequence(step + "load_ohm = [8, 4]\n" + limits, "t.toml", {}, errors);
  const auto swept =
      parse_sequence(step + "sweep = [{ parameter = \"load_ohm\", values = [8, 4] }]\n" + limits,
                     "t.toml", {}, errors);
  ASSERT_TRUE(listed && swept) << (errors.empty() ? "" : errors[0]);
  for (const auto* plan : {&*listed, &*swept}) {
    const auto& s = plan->steps.at(0);
    EXPECT_EQ(s.load_ohm, 8.0);
    ASSERT_EQ(s.sweeps.size(), 1u);
    EXPECT_EQ(s.sweeps[0].dimension, record::Dimension::load);
    EXPECT_EQ(s.sweeps[0].values, (std::vector<SweepValue>{8.0, 4.0}));
  }
  // Without any load, W still needs one.
  const auto none = parse_errors(step + limits);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_NE(none[0].find("needs the step's load_ohm"), std::string::npos) << none[0];
}

// One table holds every sweep dimension: each key parses as a sweep, and a point's
// coordinate is said in words by its row.
TEST(SweepDimensions, EveryRowSweepsAndIsSaidInWords) {
  for (const auto& d : record::dimensions()) {
    EXPECT_EQ(record::find_dimension(d.key), &d);
    EXPECT_FALSE(d.title.empty()) << d.key;
    nlohmann::json point;
    if (d.value == record::DimensionValue::number) point[std::string(d.key)] = 2.0;
    if (d.value == record::DimensionValue::level) point[std::string(d.key)] = "-20 dBV";
    if (d.value == record::DimensionValue::name) point[std::string(d.key)] = "mic";
    EXPECT_FALSE(record::point_in_words(point).empty()) << d.key;
  }
  EXPECT_EQ(record::point_in_words({{"stimulus.frequency_hz", 6600.0},
                                    {"load_ohm", 4.0},
                                    {"stimulus.output_level", "10 W"},
                                    {"dut.gain_db", -6.0},
                                    {"dut.input", "mic"}}),
            "6.6 kHz, 4 Ω, 10 W, gain -6 dB, mic input");
  // A spectrum's fundamental is its swept frequency: said once.
  EXPECT_EQ(record::point_in_words({{"fundamental_hz", 6600.0},
                                    {"stimulus.frequency_hz", 6600.0},
                                    {"stimulus.level", "0 dBV"}}),
            "6.6 kHz, 0 dBV");
  EXPECT_EQ(record::point_in_words({{"fundamental_hz", 1000.0}}), "1 kHz");
}
