// sequence: a station's [[slot]] tables (SPEC §11) — several test positions on one
// multichannel interface, each on its own channels, and every mistake named by field.
#include <gtest/gtest.h>

#include <string>

#include "common/error.hpp"
#include "db_query.hpp"
#include "run_binary.hpp"
#include "sequence/slot_serials.hpp"
#include "sequence/station.hpp"

using namespace ampbench;

namespace {

const std::string kFourUp = R"([station]
name = "four-up"
[audio]
backend = "portaudio"
sample_rate = 48000
outputs = [1, 2, 3, 4, 5, 6, 7, 8]
inputs = [1, 2, 3, 4, 5, 6, 7, 8]
output_vrms_at_0dbfs = 2.0
input_vrms_at_0dbfs = 2.0
[safety]
max_output_vrms = 1.8
max_input_dbfs = -1.0
[loads]
available_ohm = [8, 4]
)";

std::string slots(const std::string& tables) {
  return kFourUp + tables;
}

std::string error_of(const std::string& text) {
  try {
    sequence::parse_station(text, "s.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Slots, EachSlotHasItsOwnChannelsAndRelays) {
  std::string tables;
  for (int k = 0; k < 4; ++k)
    tables += "[[slot]]\nname = \"S" + std::to_string(k + 1) + "\"\noutputs = [" +
              std::to_string(2 * k + 1) + ", " + std::to_string(2 * k + 2) + "]\ninputs = [" +
              std::to_string(2 * k + 1) + ", " + std::to_string(2 * k + 2) + "]\n" +
              "load_relays = [" + std::to_string(2 * k + 1) + ", " + std::to_string(2 * k + 2) +
              "]\n" + (k == 2 ? "enabled = false\n" : "");
  const auto station = sequence::parse_station(slots(tables), "s.toml");
  ASSERT_EQ(station.slots.size(), 4u);
  EXPECT_EQ(station.slots[3].outputs, (std::vector<int>{7, 8}));
  EXPECT_EQ(station.slots[1].load_relays, (std::vector<int>{3, 4}));
  EXPECT_FALSE(station.slots[2].enabled);
  EXPECT_TRUE(station.slots[0].enabled);
  ASSERT_NE(station.find_slot("S2"), nullptr);
  EXPECT_EQ(station.find_slot("S2")->inputs, (std::vector<int>{3, 4}));
  EXPECT_EQ(station.find_slot("S9"), nullptr);
  EXPECT_TRUE(sequence::parse_station(kFourUp, "s.toml").slots.empty());
}

TEST(Slots, MistakesAreNamedByField) {
  const std::pair<std::string, std::string> cases[] = {
      {"[[slot]]\nname = \"A\"\noutputs = [9]\ninputs = [1]\n",
       "field 'slot.A.outputs': every channel must be one of audio.outputs"},
      {"[[slot]]\nname = \"A\"\noutputs = [1, 2]\ninputs = [1, 2]\n[[slot]]\nname = \"B\"\n"
       "outputs = [2, 3]\ninputs = [3, 4]\n",
       "field 'slot.B.outputs': channel 2 belongs to another slot"},
      {"[[slot]]\nname = \"A\"\noutputs = [1]\ninputs = [1]\n[[slot]]\nname = \"A\"\n"
       "outputs = [2]\ninputs = [2]\n",
       "field 'slot.A.name': another slot has this name"},
      {"[[slot]]\nname = \"A\"\noutputs = [1, 2]\ninputs = [1]\n",
       "field 'slot.A.inputs': must list as many channels as its outputs"},
      {"[[slot]]\nname = \"A\"\noutputs = [1]\ninputs = [1]\nload_relays = [1]\n",
       "field 'slot.A.load_relays': must name one relay per load"},
      {"[[slot]]\nname = \"a b\"\noutputs = [1]\ninputs = [1]\n",
       "field 'slot.a b.name': a slot needs a name of letters, digits"},
      {"[[slot]]\nname = \"A\"\noutputs = [1]\ninputs = [1]\nrelay = 3\n",
       "field 'slot.A.relay': unknown field"},
  };
  for (const auto& [tables, expected] : cases) {
    const auto error = error_of(slots(tables));
    EXPECT_NE(error.find(expected), std::string::npos) << tables << "\n→ " << error;
  }
}

// instruments/sim-4up.toml: four stereo slots on eight channels, loads switched per slot.
TEST(Slots, TheFourUpSimulatedStationHasFourStereoSlots) {
  const auto station =
      sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-4up.toml");
  ASSERT_EQ(station.slots.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    const int first = 2 * static_cast<int>(k) + 1;
    EXPECT_EQ(station.slots[k].name, "S" + std::to_string(k + 1));
    EXPECT_EQ(station.slots[k].outputs, (std::vector<int>{first, first + 1}));
    EXPECT_EQ(station.slots[k].inputs, (std::vector<int>{first, first + 1}));
    EXPECT_EQ(station.slots[k].load_relays, (std::vector<int>{first, first + 1}));
  }
  EXPECT_EQ(station.channel_count(), 8);
}

// `--serial SLOT=SN`: units in slot order, every mistake named; without slots, serials
// in turn.
TEST(Slots, SerialsAreAssignedToSlotsByName) {
  auto station =
      sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-4up.toml");
  const auto units = sequence::assign_serials(station, {"S4=D-4", "S2=B=2"});
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0].slot->name, "S2");
  EXPECT_EQ(units[0].serial, "B=2");  // a serial may hold '=' after the slot's
  EXPECT_EQ(units[1].slot->name, "S4");
  EXPECT_EQ(units[1].serial, "D-4");
  station.slots[2].enabled = false;
  const std::pair<std::vector<std::string>, std::string> refused[] = {
      {{"SN-1"}, "has slots (S1, S2, S3, S4): give --serial SLOT=SN"},
      {{"S9=X"}, "has no slot 'S9' (it has S1, S2, S3, S4)"},
      {{"S1=A", "S1=B"}, "slot 'S1' is given twice"},
      {{"S3=C"}, "slot 'S3' is disabled in the station file"},
      {{"S1="}, "give --serial SLOT=SN"},
  };
  for (const auto& [args, expected] : refused) {
    try {
      sequence::assign_serials(station, args);
      ADD_FAILURE() << args.front() << " was accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  }
  const auto single =
      sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml");
  const auto serials = sequence::assign_serials(single, {"A=1", "B"});
  ASSERT_EQ(serials.size(), 2u);
  EXPECT_EQ(serials[0].slot, nullptr);
  EXPECT_EQ(serials[0].serial, "A=1");
}

// Four slots, faults in slots 2 and 4: exactly those fail; each run carries its slot; a good
// slot's figures are those of the same unit on the one-slot bench within 0.01 dB.
TEST(Slots, EachSlotsUnitIsItsOwnRun) {
  using ampbench::testing::run_ampbench;
  using ampbench::testing::scalar;
  ampbench::testing::TempDir dir;
  const std::string source = AMPBENCH_SOURCE_DIR;
  const auto db = dir / "four.db";
  const auto r = run_ampbench({"run", source + "/sequences/poweramp-production.toml", "--station",
                               source + "/instruments/sim-4up.toml", "--serial", "S1=A1",
                               "--serial", "S2=SIM-DEAD-R", "--serial", "S3=C3", "--serial",
                               "S4=SIM-INVERTED-R", "--db", db, "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the worst verdict: FAIL
  EXPECT_EQ(scalar(db, "SELECT group_concat(slot || ':' || verdict, ' ') FROM runs ORDER BY id"),
            "S1:PASS S2:FAIL S3:PASS S4:FAIL");
  const auto one = dir / "one.db";
  ASSERT_EQ(run_ampbench({"run", source + "/sequences/poweramp-production.toml", "--serial", "A1",
                          "--db", one, "--quiet"})
                .exit_code,
            0);
  EXPECT_EQ(scalar(one, "SELECT count(*) FROM runs WHERE slot IS NULL"), "1");
  const std::string gain =
      "SELECT m.value FROM measurements m JOIN steps s ON s.id = m.step_id JOIN runs r ON r.id = "
      "s.run_id WHERE r.serial = 'A1' AND s.step_id = 'gain_1k' AND m.channel = 'L' AND m.name = "
      "'gain_db'";
  EXPECT_NEAR(std::stod(scalar(db, gain)), std::stod(scalar(one, gain)), 0.01);
}
