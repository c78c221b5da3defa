// End to end: the ampbench binary with external instruments — `sim-instrument` servers
// over real loopback sockets as generator, relay box and DMM; SIM:: instruments in the
// process; the error queue, a server killed mid-run, calibration written back.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "db_query.hpp"
#include "run_binary.hpp"
#include "sequence/station.hpp"

using namespace ampbench::testing;

namespace {

const std::string kSource = std::string(AMPBENCH_TEST_DATA_DIR) + "/..";

// A sim-instrument server on a free port; stopped (SIGTERM) when it goes out of scope.
class InstrumentServer {
 public:
  InstrumentServer(const TempDir& dir, const std::string& kind,
                   const std::vector<std::string>& extra = {})
      : log_(dir / (kind + ".log")) {
    out_ = dir / (kind + ".out");
    std::vector<std::string> args = {"sim-instrument", "--kind", kind, "--listen",
                                     "127.0.0.1:0",    "--log",  log_};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = spawn_ampbench(args, out_);
    const std::regex listening("listening on 127\\.0\\.0\\.1:([0-9]+)");
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::smatch m;
      const std::string text = slurp(out_);
      if (std::regex_search(text, m, listening))
        port_ = std::stoi(m[1]);
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_NE(port_, 0) << slurp(out_);
  }
  ~InstrumentServer() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    wait_exit(pid_);
    pid_ = -1;
  }
  void kill_now() {
    ::kill(pid_, SIGKILL);
    wait_exit(pid_);
    pid_ = -1;
  }
  std::string resource() const {
    return "TCPIP0::127.0.0.1::" + std::to_string(port_) + "::SOCKET";
  }
  std::string received() const { return slurp(log_); }

 private:
  std::string log_;
  std::string out_;
  pid_t pid_ = -1;
  int port_ = 0;
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// instruments/sim-instruments.toml with its resources moved to these servers' ports.
std::string station_for(const TempDir& dir, const InstrumentServer& fgen,
                        const InstrumentServer& relay,
                        const std::vector<std::pair<std::string, std::string>>& edits = {}) {
  std::string text = slurp(kSource + "/instruments/sim-instruments.toml");
  text = replace_all(text, "TCPIP0::127.0.0.1::5025::SOCKET", fgen.resource());
  text = replace_all(text, "TCPIP0::127.0.0.1::5026::SOCKET", relay.resource());
  text = replace_all(text, "resource = \"TCPIP0::127.0.0.1::5027::SOCKET\"",
                     "resource = \"SIM::dmm\"");
  for (const auto& [from, to] : edits) text = replace_all(text, from, to);
  // Profiles are found beside the station: the temporary one points at the shipped folder.
  std::filesystem::create_directory_symlink(kSource + "/instruments/profiles", dir / "profiles");
  const std::string path = dir / "station.toml";
  std::ofstream(path) << text;
  return path;
}

std::string measurement(const std::string& db, const std::string& step, const std::string& name) {
  return scalar(
      db,
      "SELECT m.value FROM measurements m JOIN steps s ON s.id = m.step_id WHERE s.step_id = '" +
          step + "' AND m.name = '" + name + "' AND m.channel = 'L'");
}

}  // namespace

TEST(CliInstruments, GeneratorAndRelayOverSocketsPass) {
  TempDir dir;
  InstrumentServer fgen(dir, "fgen"), relay(dir, "relay");
  const std::string station = station_for(dir, fgen, relay);
  const std::string hostile = "SN-7;*RST;OUTP ON";
  const auto r = run_ampbench({"run", kSource + "/sequences/generator-production.toml", "--station",
                               station, "--db", dir / "r.db", "--serial", hostile, "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // The generator's Vrms reached the DUT: gain is the model's 26 dB less the 0.05-ohm
  // output impedance into 8 ohm (-0.054 dB) — 25.946 dB.
  EXPECT_NEAR(std::stod(measurement(dir / "r.db", "gain_1k", "gain_db")), 25.9459, 0.005);
  // … and into 4 ohm, through relay 2: -0.108 dB.
  EXPECT_NEAR(std::stod(measurement(dir / "r.db", "thdn_100w_4ohm", "gain_db")), 25.892, 0.005);
  const std::string sent = fgen.received() + relay.received();
  EXPECT_NE(fgen.received().find("VOLT 0.1\n"), std::string::npos) << fgen.received();
  EXPECT_NE(fgen.received().find("OUTP OFF\n"), std::string::npos);
  EXPECT_NE(relay.received().find("ROUT:CLOS (@2)"), std::string::npos) << relay.received();
  // Serial numbers never become SCPI.
  EXPECT_EQ(sent.find("SN-7"), std::string::npos) << sent;
  EXPECT_EQ(fgen.received().rfind("OUTP OFF"), fgen.received().rfind("OUTP"))
      << "the generator was left on";
}

TEST(CliInstruments, ARigolDialectOverASocketSetsTheRightVolts) {
  // The simulator speaking the DG1000Z's dialect: VRMS unit, high-Z load, :SOUR1:… commands.
  TempDir dir;
  InstrumentServer fgen(dir, "fgen", {"--profile", "rigol-dg1000z"}), relay(dir, "relay");
  const std::string station =
      station_for(dir, fgen, relay, {{"profile = \"sim-fgen\"", "profile = \"rigol-dg1000z\""}});
  const auto r = run_ampbench({"run", kSource + "/sequences/generator-production.toml", "--station",
                               station, "--db", dir / "r.db", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NEAR(std::stod(measurement(dir / "r.db", "gain_1k", "gain_db")), 25.9459, 0.005);
  EXPECT_NE(fgen.received().find(":SOUR1:VOLT 0.1\n"), std::string::npos) << fgen.received();
  EXPECT_NE(fgen.received().find(":OUTP1:LOAD INF\n"), std::string::npos);
}

TEST(CliInstruments, SwappedRelaysDriveTheWrongLoadAndFail) {
  // The station's relay map is what switches: when it claims the opposite of how the
  // (simulated) box is wired, the "8-ohm" 100 W step meets the 4-ohm load, where the 9 A
  // current limit clips it.
  TempDir dir;
  InstrumentServer fgen(dir, "fgen"), relay(dir, "relay");
  const std::string station = station_for(
      dir, fgen, relay,
      {{"relays = [1, 2]", "relays = [2, 1]"}, {"[sim]\n", "[sim]\nload_relays = [1, 2]\n"}});
  const auto r = run_ampbench({"run", kSource + "/sequences/generator-production.toml", "--station",
                               station, "--db", dir / "r.db", "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_GT(std::stod(measurement(dir / "r.db", "thdn_100w_8ohm", "thdn_pct")), 1.0);
}

TEST(CliInstruments, InstrumentKilledMidRunIsAStepErrorAndKeepsTheRun) {
  TempDir dir;
  InstrumentServer fgen(dir, "fgen"), relay(dir, "relay");
  const std::string station = station_for(dir, fgen, relay);
  // A long middle step (interface stimulus, 80 s of simulated audio, within the station's
  // max_capture_mb) gives time to kill.
  std::ofstream(dir / "seq.toml") << R"([sequence]
name = "kill test"
channels = ["L", "R"]
[[step]]
id = "first"
kind = "level"
stimulus = { source = "generator", frequency_hz = 1000, level = "100 mV" }
[[step]]
id = "long"
kind = "level"
capture_s = 80
stimulus = { frequency_hz = 1000, level = "100 mV" }
[[step]]
id = "after"
kind = "level"
stimulus = { source = "generator", frequency_hz = 1000, level = "100 mV" }
)";
  const std::string db = dir / "r.db";
  const pid_t run =
      spawn_ampbench({"run", dir / "seq.toml", "--station", station, "--db", db, "--serial", "K1"},
                     dir / "run.log");
  for (int i = 0; i < 500; ++i) {
    if (scalar_if_ready(db, "SELECT count(*) FROM steps WHERE finished_at IS NOT NULL") == "1")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  fgen.kill_now();
  EXPECT_EQ(wait_exit(run), 2) << slurp(dir / "run.log");
  EXPECT_EQ(scalar(db, "SELECT verdict FROM steps WHERE step_id = 'first'"), "PASS");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM steps"), "3");
  EXPECT_EQ(scalar(db, "SELECT verdict FROM runs"), "ERROR");
  const std::string message =
      scalar(db, "SELECT message FROM steps WHERE verdict = 'ERROR' LIMIT 1");
  EXPECT_NE(message.find("generator sim-fgen at " + fgen.resource()), std::string::npos) << message;
  EXPECT_TRUE(message.find("not reachable") != std::string::npos ||
              message.find("connection lost") != std::string::npos)
      << message;
}

TEST(CliInstruments, AHungInstrumentTimesOutAsAStepError) {
  // The generator stops answering after 40 lines: a step waits its profile's 1 s, no more,
  // ends ERROR, and the run goes on to the end.
  TempDir dir;
  InstrumentServer fgen(dir, "fgen", {"--stall-after", "40"}), relay(dir, "relay");
  const std::string station = station_for(dir, fgen, relay);
  const auto started = std::chrono::steady_clock::now();
  const auto r = run_ampbench({"run", kSource + "/sequences/generator-production.toml", "--station",
                               station, "--db", dir / "r.db", "--quiet"});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_LT(seconds, 20.0);
  EXPECT_EQ(scalar(dir / "r.db", "SELECT verdict FROM steps WHERE step_id = 'gain_1k'"), "PASS");
  EXPECT_EQ(scalar(dir / "r.db", "SELECT count(*) FROM steps"), "5");
  const std::string message =
      scalar(dir / "r.db", "SELECT message FROM steps WHERE verdict = 'ERROR' LIMIT 1");
  EXPECT_NE(message.find("no reply within 1000 ms"), std::string::npos) << message;
}

TEST(CliInstruments, ErrorQueueEntryIsAStepErrorNamingTheCommand) {
  // In-process simulated instruments (SIM::), a station allowing 3 V, a generator that
  // makes at most 2 V: the instrument's own -222 stops the step.
  TempDir dir;
  std::string text = slurp(kSource + "/instruments/sim-instruments.toml");
  text = replace_all(text, "TCPIP0::127.0.0.1::5025::SOCKET", "SIM::fgen");
  text = replace_all(text, "TCPIP0::127.0.0.1::5026::SOCKET", "SIM::relay");
  text = replace_all(text, "TCPIP0::127.0.0.1::5027::SOCKET", "SIM::dmm");
  text = replace_all(text, "max_output_vrms = 1.8", "max_output_vrms = 3.0");
  text = replace_all(text, "gain_db = 26.0", "gain_db = 6.0");
  std::filesystem::create_directory_symlink(kSource + "/instruments/profiles", dir / "profiles");
  std::ofstream(dir / "station.toml") << text;
  std::ofstream(dir / "seq.toml") << R"([sequence]
name = "range"
channels = ["L", "R"]
[[step]]
id = "ok"
kind = "level"
stimulus = { source = "generator", frequency_hz = 1000, level = "1 V" }
[[step]]
id = "too_much"
kind = "level"
stimulus = { source = "generator", frequency_hz = 1000, level = "2.5 V" }
)";
  const std::string db = dir / "r.db";
  const auto r = run_ampbench(
      {"run", dir / "seq.toml", "--station", dir / "station.toml", "--db", db, "--quiet"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(scalar(db, "SELECT verdict FROM steps WHERE step_id = 'ok'"), "PASS");
  EXPECT_EQ(scalar(db, "SELECT message FROM steps WHERE step_id = 'too_much'"),
            "generator sim-fgen at SIM::fgen: 'VOLT 2.5' → -222,\"Data out of range\"");
}

TEST(CliInstruments, GeneratorLevelsAreCheckedBeforeAnythingRuns) {
  TempDir dir;
  std::ofstream(dir / "seq.toml") << R"([sequence]
name = "bad"
channels = ["L", "R"]
[[step]]
id = "dbfs"
kind = "level"
stimulus = { source = "generator", frequency_hz = 1000, level = "-20 dBFS" }
[[step]]
id = "hot"
kind = "level"
stimulus = { source = "generator", frequency_hz = 1000, level = "5 V" }
[[step]]
id = "sweep"
kind = "frequency_response"
method = "sweep"
stimulus = { source = "generator", from_hz = 20, to_hz = 20000, level = "100 mV" }
)";
  const auto r = run_ampbench(
      {"validate", dir / "seq.toml", "--station", kSource + "/instruments/sim-instruments.toml"});
  EXPECT_EQ(r.exit_code, 65) << r.err;
  EXPECT_NE(r.err.find("step.dbfs.stimulus.level': -20 dBFS is a level of the interface's output"),
            std::string::npos)
      << r.err;
  EXPECT_NE(
      r.err.find("step.hot.stimulus.level': 5 V is 5 Vrms, above the station's max_output_vrms"),
      std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("step.sweep.stimulus.source'"), std::string::npos) << r.err;
  const auto no_gen = run_ampbench({"validate", dir / "seq.toml"});  // sim-bench: no [generator]
  EXPECT_NE(no_gen.err.find("has no [generator]"), std::string::npos) << no_gen.err;
}

// The generator hangs once the first unit is done: the second and third units cannot open
// their bench. Each is recorded ERROR with the reason; the first keeps its PASS; the JUnit
// file and the JSON summary hold all three.
TEST(CliInstruments, AnInstrumentLostAfterUnitOneEndsOnlyTheUnitsAfterIt) {
  TempDir dir;
  const auto sequence = kSource + "/sequences/generator-production.toml";
  std::size_t lines_per_unit = 0;
  {
    TempDir first;
    InstrumentServer fgen(first, "fgen"), relay(first, "relay");
    const auto station = station_for(first, fgen, relay);
    ASSERT_EQ(run_ampbench({"run", sequence, "--station", station, "--db", first / "r.db",
                            "--serial", "U0", "--quiet"})
                  .exit_code,
              0);
    fgen.stop();
    const std::string log = fgen.received();
    lines_per_unit = static_cast<std::size_t>(std::count(log.begin(), log.end(), '\n'));
  }
  ASSERT_GT(lines_per_unit, 5u);
  InstrumentServer fgen(dir, "fgen", {"--stall-after", std::to_string(lines_per_unit)}),
      relay(dir, "relay");
  const auto station = station_for(dir, fgen, relay);
  const auto db = dir / "r.db";
  const auto r =
      run_ampbench({"run", sequence, "--station", station, "--db", db, "--serial", "U1", "--serial",
                    "U2", "--serial", "U3", "--junit", dir / "j.xml", "--json", "--quiet"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(scalar(db,
                   "SELECT group_concat(serial || ':' || verdict) FROM (SELECT * FROM runs "
                   "ORDER BY id)"),
            "U1:PASS,U2:ERROR,U3:ERROR");
  EXPECT_NE(scalar(db,
                   "SELECT message FROM steps s JOIN runs r ON r.id = s.run_id WHERE "
                   "r.serial = 'U2'")
                .find("the bench could not be opened: generator"),
            std::string::npos);
  const auto summary = nlohmann::json::parse(r.out);
  ASSERT_EQ(summary["runs"].size(), 3u);
  EXPECT_EQ(summary["verdict"], "ERROR");
  EXPECT_EQ(summary["runs"][1]["verdict"], "ERROR");
  const std::string junit = slurp(dir / "j.xml");
  std::size_t suites = 0;
  for (auto at = junit.find("<testsuite "); at != std::string::npos;
       at = junit.find("<testsuite ", at + 1))
    ++suites;
  EXPECT_EQ(suites, 3u) << junit;
  EXPECT_NE(junit.find("the bench could not be opened"), std::string::npos) << junit;
}

TEST(CliInstruments, ScpiCommandQueriesAndReportsErrors) {
  TempDir dir;
  InstrumentServer fgen(dir, "fgen");
  const auto idn = run_ampbench({"scpi", fgen.resource(), "*IDN?"});
  EXPECT_EQ(idn.exit_code, 0) << idn.err;
  EXPECT_EQ(idn.out, "ampbench,SIM-FGEN,0,1\n");
  const auto bad = run_ampbench({"scpi", fgen.resource(), "VOLT 9"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("'VOLT 9' → -222,\"Data out of range\""), std::string::npos) << bad.err;
  // An entry left in the queue by an earlier session is said as such, not blamed on this one.
  ASSERT_EQ(run_ampbench({"scpi", fgen.resource(), "VOLT 9", "--no-error-check"}).exit_code, 0);
  const auto after = run_ampbench({"scpi", fgen.resource(), "*IDN?"});
  EXPECT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out, "ampbench,SIM-FGEN,0,1\n");
  EXPECT_NE(
      after.err.find("already in the error queue, not from '*IDN?': -222,\"Data out of range\""),
      std::string::npos)
      << after.err;
  EXPECT_EQ(after.err.find("'*IDN?' → "), std::string::npos) << after.err;
  const auto nothing = run_ampbench({"scpi", "TCPIP0::127.0.0.1::1::SOCKET", "*IDN?"});
  EXPECT_EQ(nothing.exit_code, 2);
  EXPECT_NE(nothing.err.find("127.0.0.1:1 is not reachable"), std::string::npos) << nothing.err;
  const auto syntax = run_ampbench({"scpi", "TCPIP0::host::INSTR", "*IDN?"});
  EXPECT_EQ(syntax.exit_code, 64);
  const auto devices = run_ampbench({"devices"});
  EXPECT_EQ(devices.exit_code, 0) << devices.err;
  EXPECT_NE(devices.out.find("USBTMC instruments:"), std::string::npos) << devices.out;
  EXPECT_NE(devices.out.find("QuantAsylum QA40x analyzers:"), std::string::npos) << devices.out;
}

// The qa40x backend end to end through the binary: its fake unit, a good amplifier and one
// with hum, the run's record naming the unit.
TEST(CliInstruments, Qa40xStationRunsThroughItsFake) {
  TempDir dir;
  const auto db = dir / "r.db";
  const std::string station = kSource + "/instruments/sim-qa40x.toml";
  const std::string fast = kSource + "/sequences/poweramp-fast.toml";
  const auto good = run_ampbench(
      {"run", fast, "--station", station, "--serial", "GOOD", "--db", db, "--json", "--quiet"});
  EXPECT_EQ(good.exit_code, 0) << good.err;
  const auto hum = run_ampbench(
      {"run", fast, "--station", station, "--serial", "SIM-HUM", "--db", db, "--quiet"});
  EXPECT_EQ(hum.exit_code, 1) << hum.err;
  EXPECT_EQ(
      scalar(db, "SELECT group_concat(verdict, ',') FROM (SELECT verdict FROM runs ORDER BY id)"),
      "PASS,FAIL");
  const auto selftest = run_ampbench({"selftest", "--station", station, "--db", db});
  EXPECT_EQ(selftest.exit_code, 0) << selftest.out << selftest.err;
}

namespace {

// sim-instruments with its DMM in-process and no generator or relay box: the station
// `calibrate` and a level step run on. `sim_lines` go into [sim], `extra` at the end.
std::string calibration_station(const std::string& sim_lines, const std::string& extra = "") {
  std::string text = slurp(kSource + "/instruments/sim-instruments.toml");
  text = replace_all(text, "TCPIP0::127.0.0.1::5027::SOCKET", "SIM::dmm");
  text = replace_all(
      text, "[generator]\nresource = \"TCPIP0::127.0.0.1::5025::SOCKET\"\nprofile = \"sim-fgen\"\n",
      "");
  text = replace_all(
      text,
      "switch = { resource = \"TCPIP0::127.0.0.1::5026::SOCKET\", profile = \"sim-relay\" }\n", "");
  return replace_all(text, "[sim]\n", "[sim]\n" + sim_lines) + extra;
}

const char* kGainStep = R"([sequence]
name = "gain"
channels = ["L", "R"]
[[step]]
id = "gain"
kind = "level"
load_ohm = 8
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
)";

std::map<std::string, double> gains(const std::string& db) {
  std::map<std::string, double> out;
  for (const auto& row : ampbench::testing::query(
           db, "SELECT channel, value FROM measurements WHERE name = 'gain_db' ORDER BY id"))
    out[row[0]] = std::stod(row[1]);
  return out;
}

}  // namespace

// The station claims 2.0 V per full scale both ways; the simulated interface really gives
// 2.1 V out on channel 1 and 0.06 dB less on channel 2, and reads 1.9 V in on channel 1
// and 0.04 dB less on channel 2. `calibrate` (SIM::dmm and a cable) finds each channel;
// a run then measures each channel's gain as on an interface whose claims are exact.
TEST(CliInstruments, CalibrateFindsEachChannelsTrueVoltsAndRunsUseThem) {
  TempDir dir;
  std::filesystem::create_directory_symlink(kSource + "/instruments/profiles", dir / "profiles");
  const double out2 = 2.1 * std::pow(10.0, -0.06 / 20.0), in2 = 1.9 * std::pow(10.0, -0.04 / 20.0);
  const std::string path = dir / "station.toml", exact = dir / "exact.toml";
  std::ofstream(path) << calibration_station(
      "output_vrms_at_0dbfs = [2.1, " + std::to_string(out2) + "]\ninput_vrms_at_0dbfs = [1.9, " +
      std::to_string(in2) + "]\n");
  std::ofstream(exact) << calibration_station("");
  const std::string sequence = dir / "gain.toml";
  std::ofstream(sequence) << kGainStep;
  const std::string db = dir / "cal.db";
  const auto r = run_ampbench({"calibrate", "--station", path, "--db", db, "--settle", "0.05",
                               "--duration", "1", "--temperature", "23.5"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("U "), std::string::npos) << r.out;
  const std::map<std::string, double> truth = {
      {"output 1", 2.1}, {"output 2", out2}, {"input 1", 1.9}, {"input 2", in2}};
  const auto rows = ampbench::testing::query(
      db,
      "SELECT direction || ' ' || channel, vrms_at_0dbfs, u_db, coverage_k, reference_idn, "
      "temperature_c FROM calibrations");
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& row : rows) {
    EXPECT_NEAR(20.0 * std::log10(std::stod(row[1]) / truth.at(row[0])), 0.0, 0.002) << row[0];
    EXPECT_GT(std::stod(row[2]), 0.0);
    EXPECT_LE(2.0 * std::stod(row[2]), 0.02) << "U (k = 2) of " << row[0];
    EXPECT_EQ(row[3], "2.0");
    EXPECT_NE(row[4].find("SIM-DMM"), std::string::npos) << row[4];
    EXPECT_EQ(row[5], "23.5");
  }
  EXPECT_NE(slurp(path).find("output_vrms_at_0dbfs = 2.0"), std::string::npos)
      << "the station file is left alone";

  const std::string exact_db = dir / "exact.db", calibrated = dir / "run.db",
                    nominal = dir / "nominal.db";
  ASSERT_EQ(
      run_ampbench({"run", sequence, "--station", exact, "--db", exact_db, "--quiet"}).exit_code,
      0);
  std::filesystem::copy_file(db, calibrated);
  ASSERT_EQ(
      run_ampbench({"run", sequence, "--station", path, "--db", calibrated, "--quiet"}).exit_code,
      0);
  const auto uncalibrated = run_ampbench({"run", sequence, "--station", path, "--db", nominal});
  ASSERT_EQ(uncalibrated.exit_code, 0) << uncalibrated.err;
  EXPECT_NE(uncalibrated.err.find("nominal values serve"), std::string::npos) << uncalibrated.err;
  const auto model = gains(exact_db), measured = gains(calibrated), off = gains(nominal);
  for (const char* ch : {"L", "R"}) {
    EXPECT_NEAR(measured.at(ch), model.at(ch), 0.005) << ch;
    EXPECT_GT(std::abs(off.at(ch) - model.at(ch)), 0.3) << ch;  // what calibration removes
  }
  EXPECT_EQ(ampbench::testing::scalar(calibrated, "SELECT count(*) FROM run_calibrations"), "4");
  // A 1 kHz level's expanded uncertainty through the input's record, and a gain's through
  // both: U (k = 2) = 2·u and 2·√2·u, u = 0.0050 dB (the DMM's 0.1 %, rectangular).
  const double u = 20.0 * std::log10(1.0 + 0.001 / std::sqrt(3.0));
  for (const auto& [name, expected] :
       {std::pair{"level_dbv", 2.0 * u}, std::pair{"gain_db", 2.0 * std::sqrt(2.0) * u}})
    EXPECT_NEAR(std::stod(ampbench::testing::scalar(
                    calibrated, std::string("SELECT uncertainty FROM measurements WHERE name = '") +
                                    name + "' AND channel = 'R'")),
                expected, 1e-6)
        << name;
  EXPECT_EQ(ampbench::testing::scalar(nominal, "SELECT count(uncertainty) FROM measurements"), "0");
  const auto show = run_ampbench({"results", "show", "1", "--db", calibrated});
  EXPECT_NE(show.out.find("calibration"), std::string::npos) << show.out;
  const auto list = run_ampbench({"calibrations", "list", "--db", db});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("sim-instruments"), std::string::npos) << list.out;
  const auto one = run_ampbench({"calibrations", "show", "1", "--db", db, "--json"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(nlohmann::json::parse(one.out)["readings"]["dmm_vrms"].size(), 4u);

  // A reading typed by hand: 0.21 V at -20 dBFS is 2.1 V per full scale.
  const auto by_hand = run_ampbench({"calibrate", "--station", path, "--settle", "0.05",
                                     "--duration", "1", "--reading", "0.21", "--dry-run"});
  EXPECT_EQ(by_hand.exit_code, 0) << by_hand.err;
  EXPECT_NE(by_hand.out.find("output 1: 2.1 Vrms"), std::string::npos) << by_hand.out;
  EXPECT_NE(by_hand.out.find("dry run"), std::string::npos);
}

// [calibration] required: no run without a valid record of every channel — none, one for
// another sample rate, an expired one — and a run once calibrated.
TEST(CliInstruments, ARequiredCalibrationRefusesARunWithoutValidRecords) {
  TempDir dir;
  std::filesystem::create_directory_symlink(kSource + "/instruments/profiles", dir / "profiles");
  const std::string path = dir / "station.toml", sequence = dir / "gain.toml";
  std::ofstream(path) << calibration_station("", "\n[calibration]\nrequired = true\n");
  std::ofstream(sequence) << kGainStep;
  const std::string db = dir / "r.db";
  const auto none = run_ampbench({"run", sequence, "--station", path, "--db", db});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("output 1: no calibration record"), std::string::npos) << none.err;
  ASSERT_EQ(run_ampbench(
                {"calibrate", "--station", path, "--db", db, "--settle", "0.05", "--duration", "1"})
                .exit_code,
            0);
  EXPECT_EQ(run_ampbench({"run", sequence, "--station", path, "--db", db, "--quiet"}).exit_code, 0);
  const std::string at_192k = dir / "192k.toml";
  std::ofstream(at_192k) << replace_all(slurp(path), "sample_rate = 96000", "sample_rate = 192000");
  const auto other_rate = run_ampbench({"run", sequence, "--station", at_192k, "--db", db});
  EXPECT_EQ(other_rate.exit_code, 2);
  EXPECT_NE(other_rate.err.find("calibrated only at 96000 Hz"), std::string::npos)
      << other_rate.err;
  // Records valid for under a second.
  const std::string brief = dir / "brief.toml", brief_db = dir / "brief.db";
  std::ofstream(brief) << replace_all(slurp(path), "required = true\n",
                                      "required = true\nmax_age_days = 0.00001\n");
  ASSERT_EQ(run_ampbench({"calibrate", "--station", brief, "--db", brief_db, "--settle", "0.05",
                          "--duration", "1"})
                .exit_code,
            0);
  // A guarded limit judges with the record's uncertainty; without a record it cannot.
  const std::string guarded = dir / "guarded.toml";
  std::ofstream(guarded) << std::string(kGainStep) +
                                "limits.gain_db = { min = 20, max = 30, decision = \"guarded\" }\n";
  EXPECT_EQ(run_ampbench({"run", guarded, "--station", path, "--db", db, "--quiet"}).exit_code, 0);
  const std::string unrecorded = dir / "unrecorded.toml", unrecorded_db = dir / "u.db";
  std::ofstream(unrecorded) << replace_all(slurp(path), "required = true\n", "");
  EXPECT_EQ(
      run_ampbench({"run", guarded, "--station", unrecorded, "--db", unrecorded_db, "--quiet"})
          .exit_code,
      2);
  EXPECT_NE(ampbench::testing::scalar(unrecorded_db,
                                      "SELECT note FROM measurements WHERE name = 'gain_db'")
                .find("needs the value's uncertainty"),
            std::string::npos);
  const std::string on_thd = dir / "thd.toml";
  std::ofstream(on_thd) << std::string(kGainStep) +
                               "limits.dc_offset_v = { max = 0.05, decision = \"guarded\" }\n";
  const auto refused = run_ampbench({"validate", on_thd, "--station", path});
  EXPECT_EQ(refused.exit_code, 65);
  EXPECT_NE(refused.err.find("a guarded decision needs the value's uncertainty"), std::string::npos)
      << refused.err;
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const auto expired = run_ampbench({"run", sequence, "--station", brief, "--db", brief_db});
  EXPECT_EQ(expired.exit_code, 2);
  EXPECT_NE(expired.err.find("expired"), std::string::npos) << expired.err;
}
