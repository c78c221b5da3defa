// sequence: a station's [[slot]] tables (SPEC §11) — several test positions on one
// multichannel interface, each on its own channels, and every mistake named by field.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "cli_fixtures.hpp"
#include "common/error.hpp"
#include "db_query.hpp"
#include "instruments/drivers.hpp"
#include "instruments/sim_instrument.hpp"
#include "plugs/dut_control.hpp"
#include "run_binary.hpp"
#include "sequence/bench.hpp"
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
              "loads = { relays = [" + std::to_string(2 * k + 1) + ", " +
              std::to_string(2 * k + 2) + "] }\n" + (k == 2 ? "enabled = false\n" : "");
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
      {"[[slot]]\nname = \"A\"\noutputs = [1]\ninputs = [1]\nloads = { relays = [1] }\n",
       "field 'slot.A.loads.relays': must name one relay per load"},
      {"[[slot]]\nname = \"A\"\noutputs = [1]\ninputs = [1]\ndut_switch = { phantom_relay = 3 }\n",
       "field 'slot.A.dut_switch': needs the station's [dut_switch]"},
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
  // With one slot in use, a bare serial is that slot's.
  for (std::size_t k : {0u, 3u}) station.slots[k].enabled = false;
  const auto only = sequence::assign_serials(station, {"SN-7"});
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].slot->name, "S2");
  EXPECT_EQ(only[0].serial, "SN-7");
  const auto single =
      sequence::load_station(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml");
  const auto serials = sequence::assign_serials(single, {"A=1", "B"});
  ASSERT_EQ(serials.size(), 2u);
  EXPECT_EQ(serials[0].slot, nullptr);
  EXPECT_EQ(serials[0].serial, "A=1");
}

namespace {

using Figures = std::map<std::string, std::pair<double, std::string>>;

// Every measurement of one serial's run: (step, channel, name, point) → (value, unit).
Figures figures_of(const std::string& db, const std::string& serial) {
  Figures out;
  sqlite3* handle = nullptr;
  sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(handle,
                     "SELECT s.step_id || '/' || m.channel || '/' || m.name || '/' || "
                     "m.point_json, m.value, m.unit FROM measurements m JOIN steps s ON s.id = "
                     "m.step_id JOIN runs r ON r.id = s.run_id WHERE r.serial = ?1",
                     -1, &q, nullptr);
  sqlite3_bind_text(q, 1, serial.c_str(), -1, SQLITE_TRANSIENT);
  while (sqlite3_step(q) == SQLITE_ROW) {
    const double value = sqlite3_column_type(q, 1) == SQLITE_NULL
                             ? std::numeric_limits<double>::quiet_NaN()
                             : sqlite3_column_double(q, 1);
    out[reinterpret_cast<const char*>(sqlite3_column_text(q, 0))] = {
        value, reinterpret_cast<const char*>(sqlite3_column_text(q, 2))};
  }
  sqlite3_finalize(q);
  sqlite3_close(handle);
  return out;
}

// The same measurements, equal within 0.01 dB: levels in dB by difference, other quantities
// by their ratio in dB (20·log10), angles within 0.01°.
void expect_same_figures(const Figures& slot, const Figures& alone, const std::string& serial) {
  ASSERT_EQ(slot.size(), alone.size()) << serial;
  ASSERT_GT(slot.size(), 200u) << serial;
  for (const auto& [key, measured] : slot) {
    const auto it = alone.find(key);
    ASSERT_NE(it, alone.end()) << serial << " " << key;
    const auto [a, unit] = measured;
    const double b = it->second.first;
    if (std::isnan(a) || std::isnan(b)) {
      EXPECT_EQ(std::isnan(a), std::isnan(b)) << serial << " " << key;
    } else if (unit.find("dB") != std::string::npos || unit == "deg" || unit == "°") {
      EXPECT_NEAR(a, b, 0.01) << serial << " " << key;
    } else if (a * b > 0.0) {
      EXPECT_NEAR(20.0 * std::log10(a / b), 0.0, 0.01) << serial << " " << key;
    } else {
      EXPECT_NEAR(a, b, 1e-9) << serial << " " << key;
    }
  }
}

}  // namespace

// Four good units in four slots: four PASS runs, each slot's figures those of the same unit
// tested alone in its slot within 0.01 dB, in one shared transfer per capture (not four).
// Then faults in slots 2 and 4 (a dead channel, an inverted one): exactly those fail, and
// slots 1 and 3 keep their figures.
TEST(Slots, FourUnitsAtOnceMeasureAsEachAloneAndFaultsStayInTheirSlot) {
  using ampbench::testing::run_ampbench;
  using ampbench::testing::scalar;
  ampbench::testing::TempDir dir;
  const std::string source = AMPBENCH_SOURCE_DIR;
  const std::string sequence = source + "/sequences/poweramp-production.toml";
  const std::string station = source + "/instruments/sim-4up.toml";
  const auto alone = dir / "alone.db";
  int transfers_alone = 0;
  for (int k = 1; k <= 4; ++k) {
    const auto r = run_ampbench({"run", sequence, "--station", station, "--serial",
                                 "S" + std::to_string(k) + "=A" + std::to_string(k), "--db", alone,
                                 "--quiet", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    transfers_alone = nlohmann::json::parse(r.out)["round"]["transfers"].get<int>();
  }
  const auto good = dir / "good.db";
  const auto r =
      run_ampbench({"run", sequence, "--station", station, "--serial", "S1=A1", "--serial", "S2=A2",
                    "--serial", "S3=A3", "--serial", "S4=A4", "--db", good, "--quiet", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out);
  ASSERT_EQ(summary["runs"].size(), 4u);
  // Units whose searches (max power) take different numbers of bursts fall out of step for
  // a few transfers; never for most.
  EXPECT_LT(summary["round"]["transfers"].get<int>(), transfers_alone * 5 / 4);
  EXPECT_EQ(scalar(good,
                   "SELECT group_concat(v, ' ') FROM (SELECT slot || ':' || serial || ':' "
                   "|| verdict AS v FROM runs ORDER BY slot)"),
            "S1:A1:PASS S2:A2:PASS S3:A3:PASS S4:A4:PASS");
  for (const std::string serial : {"A1", "A2", "A3", "A4"})
    expect_same_figures(figures_of(good, serial), figures_of(alone, serial), serial);
  // Listed and counted by slot.
  const auto listed = run_ampbench({"results", "list", "--db", good, "--slot", "S3", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const auto s3 = nlohmann::json::parse(listed.out);
  ASSERT_EQ(s3.size(), 1u);
  EXPECT_EQ(s3[0]["serial"], "A3");
  EXPECT_EQ(s3[0]["slot"], "S3");
  const auto by_slot = run_ampbench({"stats", "--db", alone, "--by-slot", "--json"});
  ASSERT_EQ(by_slot.exit_code, 0) << by_slot.err;
  const auto slots = nlohmann::json::parse(by_slot.out)["slots"];
  ASSERT_EQ(slots.size(), 4u);
  EXPECT_EQ(slots[1]["slot"], "S2");
  EXPECT_EQ(slots[1]["stations"][0]["runs"], 1);

  const auto faulty = dir / "faulty.db";
  const auto f = run_ampbench({"run", sequence, "--station", station, "--serial", "S1=A1",
                               "--serial", "S2=SIM-DEAD-R", "--serial", "S3=A3", "--serial",
                               "S4=SIM-INVERTED-R", "--db", faulty, "--quiet"});
  EXPECT_EQ(f.exit_code, 1) << f.err;  // the worst verdict: FAIL
  EXPECT_EQ(scalar(faulty,
                   "SELECT group_concat(v, ' ') FROM (SELECT slot || ':' || verdict AS v "
                   "FROM runs ORDER BY slot)"),
            "S1:PASS S2:FAIL S3:PASS S4:FAIL");
  for (const std::string serial : {"A1", "A3"})
    expect_same_figures(figures_of(faulty, serial), figures_of(alone, serial), serial);
}

// Ctrl-C during a round stops every slot and runs every slot's cleanup step: four runs
// ABORTED, four cleanups done, exit code 3.
TEST(Slots, InterruptStopsEverySlotAndRunsEachCleanup) {
  using namespace ampbench::testing;
  TempDir dir;
  const auto db = dir / "r.db";
  const pid_t pid =
      spawn_ampbench({"run", long_sequence(dir.path), "--station",
                      kSource + "/instruments/sim-4up.toml", "--serial", "S1=I1", "--serial",
                      "S2=I2", "--serial", "S3=I3", "--serial", "S4=I4", "--db", db},
                     dir / "log");
  ASSERT_TRUE(wait_for_passed_steps(db, 4)) << slurp(dir / "log");
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit(pid), 3) << slurp(dir / "log");
  EXPECT_EQ(scalar(db,
                   "SELECT group_concat(v, ' ') FROM (SELECT slot || ':' || verdict AS v "
                   "FROM runs ORDER BY slot)"),
            "S1:ABORTED S2:ABORTED S3:ABORTED S4:ABORTED");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM steps WHERE step_id = 'tidy' AND verdict = 'PASS'"),
            "4");
}

// A file from before slots (schema 5), opened only to read (`results`, `report`), is not
// migrated: its runs read with no slot, as a one-slot station's, instead of failing on the
// missing column.
TEST(Slots, AFileFromBeforeSlotsReadsWithoutMigrating) {
  using namespace ampbench::testing;
  TempDir dir;
  const auto db = dir / "old.db";
  ASSERT_EQ(run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--serial", "OLD-1",
                          "--db", db, "--quiet"})
                .exit_code,
            0);
  sqlite3* handle = nullptr;
  sqlite3_open(db.c_str(), &handle);
  ASSERT_EQ(sqlite3_exec(handle,
                         "DROP INDEX runs_slot; ALTER TABLE runs DROP COLUMN slot; "
                         "ALTER TABLE measurements DROP "
                         "COLUMN note; PRAGMA user_version = 4",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(handle);
  const auto list = run_ampbench({"results", "list", "--db", db});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("OLD-1"), std::string::npos);
  const auto show = run_ampbench({"results", "show", "1", "--db", db});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(scalar(db, "PRAGMA user_version"), "4");  // read, not migrated
}

// One relay box for every slot's loads and DUT controls: each slot switches its own relays
// and leaves the other slots' as they are.
TEST(Slots, SlotsShareARelayBoxEachSwitchingItsOwnRelays) {
  const auto station =
      sequence::parse_station(slots(R"([loads.switch]
resource = "SIM::slot-loads"
profile = "sim-relay"
[source]
series_ohm = 10000
[dut_switch]
resource = "SIM::slot-dut"
profile = "sim-relay"
[[slot]]
name = "S1"
outputs = [1, 2]
inputs = [1, 2]
loads = { relays = [1, 2] }
dut_switch = { input_relays = { line = 11, mic = 12 }, phantom_relay = 13 }
[[slot]]
name = "S2"
outputs = [3, 4]
inputs = [3, 4]
loads = { relays = [3, 4] }
dut_switch = { input_relays = { line = 21, mic = 22 }, phantom_relay = 23 }
)"),
                              std::string(AMPBENCH_SOURCE_DIR) + "/instruments/slots.toml");
  struct NoOperator : plugs::OperatorIo {
    std::string ask(const std::string&, const std::string& fallback) override { return fallback; }
  } io;
  const auto instruments = sequence::connect_instruments(station, true);
  std::vector<sequence::Bench> benches;
  for (const auto& slot : station.slots)
    benches.push_back(sequence::bench_around(sequence::station_for_slot(station, slot), instruments,
                                             nullptr, nullptr, nullptr, io));
  const auto loads = instruments::sim_instrument_named("slot-loads", station.load_switch->loaded);
  const auto dut = instruments::sim_instrument_named("slot-dut", station.dut_switch->relays.loaded);
  benches[0].loads->select(4.0);
  benches[1].loads->select(8.0);
  EXPECT_EQ(loads->state().closed_relays, (std::set<int>{2, 3}));
  benches[0].loads->select(8.0);
  EXPECT_EQ(loads->state().closed_relays, (std::set<int>{1, 3}));
  benches[0].dut->apply({"mic", std::nullopt, std::nullopt, std::nullopt, true});
  benches[1].dut->apply({"line", std::nullopt, std::nullopt, std::nullopt, false});
  EXPECT_EQ(dut->state().closed_relays, (std::set<int>{12, 13, 21}));
}

// Phantom power off before any input relay moves, on only after: the order the relay box
// receives its commands.
TEST(Slots, PhantomIsOffBeforeInputRelaysMoveAndOnOnlyAfter) {
  struct Recording : instruments::ScpiTransport {
    explicit Recording(std::shared_ptr<instruments::SimInstrument> box)
        : sim(std::move(box), "dut") {}
    void write(std::string_view message) override {
      if (message.starts_with("ROUT")) sent.emplace_back(message.substr(0, message.find('\n')));
      sim.write(message);
    }
    std::string read(instruments::Milliseconds timeout) override { return sim.read(timeout); }
    void clear() override { sim.clear(); }
    std::string describe() const override { return sim.describe(); }
    instruments::SimTransport sim;
    std::vector<std::string> sent;
  };
  const auto profile = instruments::load_profile(
      "sim-relay", {std::string(AMPBENCH_SOURCE_DIR) + "/instruments/profiles"});
  auto transport =
      std::make_unique<Recording>(std::make_shared<instruments::SimInstrument>(profile));
  Recording& recording = *transport;
  auto relays = std::make_shared<instruments::RelaySwitch>(
      std::make_unique<instruments::ScpiSession>(std::move(transport), "dut switch",
                                                 instruments::Milliseconds(100)),
      profile);
  struct NoOperator : plugs::OperatorIo {
    std::string ask(const std::string&, const std::string& fallback) override { return fallback; }
  } io;
  auto dut = plugs::relay_dut_control(relays, {{{"line", 11}, {"mic", 12}}, 13, {}, {}, 14}, io);
  recording.sent.clear();  // the box opens every relay when it connects
  dut->apply({"mic", std::nullopt, std::nullopt, std::nullopt, true});
  EXPECT_EQ(recording.sent,
            (std::vector<std::string>{"ROUT:OPEN (@11)", "ROUT:CLOS (@12)", "ROUT:CLOS (@13)"}));
  recording.sent.clear();
  dut->apply({"line", std::nullopt, std::nullopt, std::nullopt, false});
  EXPECT_EQ(recording.sent,
            (std::vector<std::string>{"ROUT:OPEN (@13)", "ROUT:OPEN (@12)", "ROUT:CLOS (@11)"}));
  // The common-mode relay joins the input's legs for CMRR and parts them again.
  recording.sent.clear();
  dut->set_common_mode(true, 0.0);
  dut->set_common_mode(false, 0.0);
  EXPECT_EQ(recording.sent, (std::vector<std::string>{"ROUT:CLOS (@14)", "ROUT:OPEN (@14)"}));
}
