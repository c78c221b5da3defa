// store: record helpers and the SQLite store — round trip, migrations, recovery of runs
// left RUNNING by dead processes only; the PostgreSQL store and forwarding against a real
// server.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <thread>

#include "cli_fixtures.hpp"
#include "common/error.hpp"
#include "common/postgres_uri.hpp"
#include "db_query.hpp"
#include "pg_server.hpp"
#include "run_binary.hpp"
#include "store/forwarder.hpp"
#include "store/line_aggregates.hpp"
#include "store/pending_run.hpp"
#include "store/postgres_store.hpp"
#include "store/result_store.hpp"

using namespace ampbench;
using namespace ampbench::record;
using namespace ampbench::store;
using ampbench::testing::TempDir;

namespace {

RunRecord sample_run() {
  RunRecord r;
  r.sequence_name = "s";
  r.sequence_sha256 = sha256_hex("x");
  r.sequence_text = "x";
  r.station_name = "st";
  r.station_text = "y";
  r.serial = "SN-1";
  r.operator_name = "op";
  r.software_version = "0";
  r.started_at = utc_now_iso8601();
  return r;
}

}  // namespace

TEST(ResultStore, RoundTripsARun) {
  TempDir dir;
  auto store = ResultStore::open(dir / "r.db");
  RunRecord run = sample_run();
  store->begin_run(run);
  StepRecord step;
  step.ordinal = 1;
  step.step_id = "gain";
  step.kind = "level";
  step.params = {{"id", "gain"}};
  step.started_at = utc_now_iso8601();
  store->begin_step(run.id, step);
  step.measurements.push_back({"L",
                               "gain_db",
                               25.97,
                               "dB",
                               25.5,
                               26.5,
                               Verdict::pass,
                               {{"stimulus.level", "-20 dBV"}},
                               ""});
  step.measurements.push_back({"R", "gain_db", 19.9, "dB", 25.5, std::nullopt, Verdict::fail,
                               nlohmann::json::object(), ""});
  step.curves.push_back(
      {"L", "response_db", "Hz", "dB", {20.0, 1000.0, 20000.0}, {-0.1, 0.0, -0.2}});
  step.verdict = Verdict::fail;
  step.finished_at = utc_now_iso8601();
  store->finish_step(step);
  run.verdict = Verdict::fail;
  run.finished_at = utc_now_iso8601();
  store->finish_run(run);

  const auto back = store->load_run(run.uuid.substr(0, 8));
  EXPECT_EQ(back.serial, "SN-1");
  EXPECT_EQ(back.verdict, Verdict::fail);
  ASSERT_EQ(back.steps.size(), 1u);
  ASSERT_EQ(back.steps[0].measurements.size(), 2u);
  EXPECT_EQ(back.steps[0].measurements[0].point["stimulus.level"], "-20 dBV");
  EXPECT_EQ(back.steps[0].measurements[1].high, std::nullopt);
  EXPECT_EQ(back.steps[0].curves[0].y, (std::vector<double>{-0.1, 0.0, -0.2}));
  EXPECT_EQ(store->list_runs({}).size(), 1u);
  RunFilter only_pass;
  only_pass.verdict = Verdict::pass;
  EXPECT_TRUE(store->list_runs(only_pass).empty());
  EXPECT_THROW(store->load_run("nope"), InputError);
}

namespace {

// A run of every kind of value: a missing one, an uncertainty, limits on one side, a curve
// of values no decimal text holds exactly, and text that is not plain ASCII.
RunRecord run_with_every_value() {
  RunRecord run = sample_run();
  run.operator_name = "Zoë";
  StepRecord step;
  step.ordinal = 1;
  step.step_id = "gain";
  step.kind = "level";
  step.params = {{"id", "gain"}, {"limits", {{"gain_db", {{"min", 25.5}}}}}};
  step.started_at = utc_now_iso8601();
  MeasurementRecord gain{"L",  "gain_db",    25.970000000000002, "dB",
                         25.5, std::nullopt, Verdict::pass,      {{"stimulus.level", "-20 dBV"}},
                         ""};
  gain.uncertainty = 0.0123;
  gain.coverage_k = 2.0;
  gain.flags = "at_analyzer_limit";
  step.measurements.push_back(gain);
  step.measurements.push_back({"R", "thd_db", std::numeric_limits<double>::quiet_NaN(), "dB",
                               std::nullopt, -80.0, Verdict::error, nlohmann::json::object(),
                               "no tone at the input"});
  std::vector<double> x, y;
  for (int i = 0; i < 2000; ++i) {
    x.push_back(20.0 * std::pow(1000.0, i / 1999.0));
    y.push_back(std::sin(i / 3.0) / 7.0);
  }
  step.curves.push_back({"L", "response_db", "Hz", "dB", x, y});
  step.verdict = Verdict::pass;
  step.finished_at = utc_now_iso8601();
  run.steps.push_back(step);
  StepRecord second = step;
  second.ordinal = 2;
  second.step_id = "again";
  second.message = "measured, then the database was locked";
  run.steps.push_back(second);
  run.verdict = Verdict::error;
  run.finished_at = utc_now_iso8601();
  run.uuid = new_uuid_v4();
  return run;
}

}  // namespace

// A run kept in a side file comes back exactly: its first step was stored, the second was
// not; the import replaces the stored steps with the file's, every value bit-equal.
TEST(PendingRuns, ASideFileIsImportedExactlyByTheNextOpen) {
  TempDir dir;
  const auto path = dir / "r.db";
  RunRecord run = run_with_every_value();
  const pid_t child = ::fork();
  if (child == 0) {
    auto store = ResultStore::open(path);
    PendingRunFile side(path, run.uuid);
    store->begin_run(run);
    StepRecord first = run.steps[0];
    store->begin_step(run.id, first);
    store->finish_step(first);
    ::_exit(side.keep(run, "r.db: database is locked") ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_FALSE(std::filesystem::is_empty(pending_dir(path)));
  auto store = ResultStore::open(path);
  EXPECT_EQ(store->imported_runs(), 1);
  EXPECT_EQ(store->recovered_runs(), 0);  // finished by its side file, not as ABORTED
  EXPECT_TRUE(std::filesystem::is_empty(pending_dir(path)));
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  const auto back = store->load_run(runs[0].uuid);
  EXPECT_EQ(back.verdict, Verdict::error);
  EXPECT_EQ(back.operator_name, "Zoë");
  ASSERT_EQ(back.steps.size(), 2u);
  for (std::size_t s = 0; s < 2; ++s) {
    const auto& want = run.steps[s];
    const auto& got = back.steps[s];
    EXPECT_EQ(got.step_id, want.step_id);
    EXPECT_EQ(got.message, want.message);
    EXPECT_EQ(got.params, want.params);
    ASSERT_EQ(got.measurements.size(), 2u);
    EXPECT_EQ(got.measurements[0].value, want.measurements[0].value);  // bit-equal
    EXPECT_EQ(got.measurements[0].uncertainty, want.measurements[0].uncertainty);
    EXPECT_EQ(got.measurements[0].flags, "at_analyzer_limit");
    EXPECT_TRUE(std::isnan(got.measurements[1].value));
    EXPECT_EQ(got.measurements[1].note, "no tone at the input");
    EXPECT_EQ(got.measurements[1].high, -80.0);
    ASSERT_EQ(got.curves.size(), 1u);
    EXPECT_EQ(got.curves[0].x, want.curves[0].x);
    EXPECT_EQ(got.curves[0].y, want.curves[0].y);
  }
}

// No room for the whole run (a 24 KB file-size limit, the run's curves need more): the
// verdict and why go into the room reserved when the run began, and the next open ends the
// run ERROR with its unfinished step ERROR and the reason, nothing RUNNING.
TEST(PendingRuns, WithoutRoomTheVerdictGoesIntoTheReservedRoom) {
  TempDir dir;
  const auto path = dir / "r.db";
  ResultStore::open(path);  // the schema, before the limit
  RunRecord run = run_with_every_value();
  for (int k = 0; k < 4; ++k) run.steps[0].curves.push_back(run.steps[0].curves[0]);
  const pid_t child = ::fork();
  if (child == 0) {
    auto store = ResultStore::open(path);
    store->begin_run(run);
    StepRecord first = run.steps[0];
    store->begin_step(run.id, first);
    PendingRunFile side(path, run.uuid);
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{24576, 24576};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    ::_exit(side.keep(run, "r.db: database or disk is full") ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  std::filesystem::path kept;
  for (const auto& e : std::filesystem::directory_iterator(pending_dir(path))) kept = e.path();
  ASSERT_FALSE(kept.empty());
  EXPECT_LT(std::filesystem::file_size(kept), 16384u);
  EXPECT_FALSE(parse_pending_run(ampbench::testing::slurp(kept)).whole);
  auto store = ResultStore::open(path);
  EXPECT_EQ(store->imported_runs(), 1);
  const auto back = store->load_run(run.uuid);
  EXPECT_EQ(back.verdict, Verdict::error);
  ASSERT_EQ(back.steps.size(), 1u);
  EXPECT_EQ(back.steps[0].verdict, Verdict::error);
  EXPECT_EQ(back.steps[0].message, "not stored: r.db: database or disk is full");
}

TEST(ResultStore, RecoversOnlyRunsOfDeadProcesses) {
  TempDir dir;
  const auto path = dir / "r.db";
  // A child process starts a run and dies without finishing it.
  const pid_t child = ::fork();
  if (child == 0) {
    auto store = ResultStore::open(path);
    RunRecord run = sample_run();
    store->begin_run(run);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  {
    // This process's own running run must survive a second open.
    auto mine = ResultStore::open(path);
    EXPECT_EQ(mine->recovered_runs(), 1);
    RunRecord run = sample_run();
    mine->begin_run(run);
    auto again = ResultStore::open(path);
    EXPECT_EQ(again->recovered_runs(), 0);
    const auto runs = again->list_runs({});
    EXPECT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].verdict, Verdict::running);
    EXPECT_EQ(runs[1].verdict, Verdict::aborted);
  }
}

// A run is judged by the lock its writer holds, not by a pid or a host name: a RUNNING run
// whose row names a live process (this one, as a container's PID 1 would) but whose writer
// is gone is recovered.
TEST(ResultStore, ARunWhoseWriterIsGoneIsRecoveredWhateverItsPidSays) {
  TempDir dir;
  const auto path = dir / "r.db";
  {
    auto store = ResultStore::open(path);
    RunRecord run = sample_run();
    store->begin_run(run);
    // The writer's lock goes with its store; the row keeps this live process's pid and host.
  }
  auto again = ResultStore::open(path);
  EXPECT_EQ(again->recovered_runs(), 1);
  EXPECT_EQ(again->list_runs({})[0].verdict, Verdict::aborted);
}

// The writer in a PID namespace of its own (PID 1 there) under another host name, killed
// mid-run: the next open marks its run ABORTED. Needs unshare (root); skipped without it.
TEST(ResultStore, ARunKilledInAContainerIsRecovered) {
  if (std::system("unshare --pid --fork --uts true 2>/dev/null") != 0)
    GTEST_SKIP() << "no namespaces here (unshare needs root)";
  TempDir dir;
  const std::string db = dir / "r.db";
  const std::string command =
      "hostname ampbench-container && exec " + std::string(AMPBENCH_BINARY) + " run " +
      ampbench::testing::long_sequence(dir.path) + " --db " + db + " --quiet";
  const std::vector<std::string> args = {"unshare", "--pid", "--uts", "--kill-child",
                                         "sh",      "-c",    command};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t container = 0;
  ASSERT_EQ(::posix_spawnp(&container, "unshare", nullptr, nullptr, argv.data(), environ), 0);
  ASSERT_TRUE(ampbench::testing::wait_for_passed_steps(db, 1)) << "the run never got going";
  ::kill(container, SIGKILL);  // --kill-child: the run (PID 1 inside) dies with it
  ::waitpid(container, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(ampbench::testing::scalar(db, "SELECT pid FROM runs"), "1");
  auto store = ResultStore::open(db);
  EXPECT_EQ(store->recovered_runs(), 1);
  EXPECT_EQ(store->list_runs({})[0].verdict, Verdict::aborted);
}

// A uuid prefix that names two runs is an error listing them, never one of them at random.
TEST(ResultStore, AnAmbiguousRunPrefixIsAnErrorNamingTheCandidates) {
  TempDir dir;
  auto store = ResultStore::open(dir / "r.db");
  for (const char* uuid :
       {"abcdef01-0000-4000-8000-000000000001", "abcdef01-0000-4000-8000-000000000002"}) {
    RunRecord run = sample_run();
    run.uuid = uuid;
    store->begin_run(run);
  }
  try {
    store->load_run("abcdef01");
    ADD_FAILURE() << "an ambiguous prefix was accepted";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("000000000001"), std::string::npos) << what;
    EXPECT_NE(what.find("000000000002"), std::string::npos) << what;
  }
  EXPECT_EQ(store->load_run("abcdef01-0000-4000-8000-000000000002").uuid,
            "abcdef01-0000-4000-8000-000000000002");
  EXPECT_EQ(store->load_run("1").uuid, "abcdef01-0000-4000-8000-000000000001");
}

TEST(ResultStore, RefusesANewerSchemaAndUnwritablePaths) {
  TempDir dir;
  const auto path = dir / "r.db";
  ResultStore::open(path);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_THROW(ResultStore::open(path), IoError);
  EXPECT_THROW(ResultStore::open(dir / "no/such/dir/r.db"), IoError);
}

// A station's schema-2 file (before line and the forward queue) opens as today's schema with
// its runs intact and queued for forwarding.
TEST(ResultStore, MigratesASchema2File) {
  TempDir dir;
  const auto path = dir / "old.db";
  {
    auto store = ResultStore::open(path);
    RunRecord run = sample_run();
    store->begin_run(run);
    run.verdict = Verdict::pass;
    run.finished_at = utc_now_iso8601();
    store->finish_run(run);
  }
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  ASSERT_EQ(
      sqlite3_exec(db,
                   "UPDATE runs SET sequence_text = (SELECT text FROM texts WHERE sha256 = "
                   "sequence_sha256), station_text = (SELECT text FROM texts WHERE sha256 = "
                   "station_sha256); DROP TABLE texts; ALTER TABLE runs DROP COLUMN "
                   "station_sha256; "
                   "DROP INDEX runs_sequence; DROP INDEX runs_line; DROP INDEX runs_slot; "
                   "DROP INDEX runs_verdict; "
                   "DROP TABLE forwards; DROP INDEX runs_station; ALTER TABLE runs DROP "
                   "COLUMN line; ALTER TABLE measurements DROP COLUMN note; "
                   "ALTER TABLE runs DROP COLUMN slot; "
                   "ALTER TABLE curves DROP COLUMN style_json; "
                   "DROP TABLE run_calibrations; DROP TABLE calibrations; DROP TABLE selftests; "
                   "ALTER TABLE measurements DROP COLUMN uncertainty; "
                   "ALTER TABLE measurements DROP COLUMN coverage_k; "
                   "ALTER TABLE measurements DROP COLUMN flags; "
                   "ALTER TABLE runs DROP COLUMN stimulus_s; ALTER TABLE runs DROP COLUMN unit_s; "
                   "ALTER TABLE runs DROP COLUMN analysis_s; ALTER TABLE runs DROP COLUMN "
                   "transfers; ALTER TABLE runs DROP COLUMN limits_sha256; ALTER TABLE runs DROP "
                   "COLUMN limits_text; "
                   "PRAGMA user_version = 2",
                   nullptr, nullptr, nullptr),
      SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = ResultStore::open(path);
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].line, "");
  EXPECT_EQ(runs[0].slot, "");
  EXPECT_EQ(runs[0].serial, "SN-1");
  // Its texts were inline, as every run's before schema 11: they stay there.
  EXPECT_EQ(runs[0].sequence_text, "x");
  EXPECT_EQ(runs[0].station_text, "y");
  EXPECT_EQ(store->pending_forwards("postgresql://h/d", true).size(), 1u);
  // Schema 12: every run filter has its index.
  store.reset();
  sqlite3_open(path.c_str(), &db);
  for (const char* index : {"runs_sequence", "runs_line", "runs_slot", "runs_verdict"}) {
    sqlite3_stmt* q = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", -1,
                           &q, nullptr),
        SQLITE_OK);
    sqlite3_bind_text(q, 1, index, -1, SQLITE_STATIC);
    EXPECT_EQ(sqlite3_step(q), SQLITE_ROW) << index;
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
}

// Schema 11: a sequence, station or limits file is stored once however many runs used it;
// each run names it by its sha256 and reads it back whole.
TEST(ResultStore, TextsAreStoredOncePerContent) {
  TempDir dir;
  const auto path = dir / "r.db";
  auto store = ResultStore::open(path);
  for (const std::string station : {"a", "a", "b"}) {
    RunRecord run = sample_run();
    run.station_text = std::string(4000, station[0]);
    run.limits_text = "[limits.x]\n";
    run.limits_sha256 = sha256_hex(run.limits_text);
    store->begin_run(run);
  }
  RunRecord forged = sample_run();  // a hash that is not its text's: the text stays inline
  forged.sequence_sha256 = std::string(64, '0');
  forged.sequence_text = "z";
  store->begin_run(forged);
  using ampbench::testing::scalar;
  EXPECT_EQ(scalar(path, "SELECT count(*) FROM texts"), "5");  // x, aaaa…, bbbb…, limits, y
  EXPECT_EQ(scalar(path,
                   "SELECT count(*) FROM runs WHERE sequence_text = '' AND station_text "
                   "= '' AND length(station_sha256) = 64"),
            "3");
  EXPECT_EQ(scalar(path,
                   "SELECT sequence_text FROM runs WHERE serial = 'SN-1' ORDER BY id DESC "
                   "LIMIT 1"),
            "z");
  const auto runs = store->list_runs({});
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].sequence_text, "z");
  EXPECT_EQ(runs[1].station_text, std::string(4000, 'b'));
  EXPECT_EQ(runs[2].station_text, std::string(4000, 'a'));
  EXPECT_EQ(runs[3].sequence_text, "x");
  EXPECT_EQ(runs[3].limits_text, "[limits.x]\n");
  EXPECT_EQ(runs[0].limits_text, "");
  EXPECT_EQ(store->load_run(runs[2].uuid).station_text, std::string(4000, 'a'));
}

// A slot's run carries its slot's name; a one-slot station's run stores NULL (SPEC §11).
TEST(ResultStore, ARunKeepsItsSlotAndAOneSlotRunStoresNull) {
  TempDir dir;
  const auto path = dir / "r.db";
  auto store = ResultStore::open(path);
  RunRecord slotted = sample_run();
  slotted.slot = "S3";
  store->begin_run(slotted);
  RunRecord single = sample_run();
  store->begin_run(single);
  EXPECT_EQ(store->load_run(std::to_string(slotted.id)).slot, "S3");
  EXPECT_EQ(store->load_run(std::to_string(single.id)).slot, "");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM runs WHERE slot IS NULL", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

// SQLite keeps a NaN as NULL; it comes back as a value that is missing, never as 0.
TEST(ResultStore, AMissingValueComesBackMissing) {
  TempDir dir;
  auto store = ResultStore::open(dir / "r.db");
  RunRecord run = sample_run();
  store->begin_run(run);
  StepRecord step;
  step.ordinal = 1;
  step.step_id = "s";
  step.kind = "level";
  step.started_at = utc_now_iso8601();
  store->begin_step(run.id, step);
  step.measurements.push_back({"L",
                               "thd_db",
                               std::numeric_limits<double>::quiet_NaN(),
                               "dB",
                               std::nullopt,
                               std::nullopt,
                               Verdict::error,
                               {},
                               "no harmonic in band"});
  step.verdict = Verdict::error;
  step.finished_at = utc_now_iso8601();
  store->finish_step(step);
  const auto back = store->load_run(std::to_string(run.id));
  ASSERT_EQ(back.steps.at(0).measurements.size(), 1u);
  EXPECT_TRUE(std::isnan(back.steps[0].measurements[0].value));
  EXPECT_EQ(back.steps[0].measurements[0].note, "no harmonic in band");
  EXPECT_EQ(ampbench::testing::scalar(dir / "r.db", "SELECT quote(value) FROM measurements"),
            "NULL");
}

// A new file gets its tables from the schema description (store/schema.cpp), an old one
// from the migrations: both must end with the same columns, types, defaults and indexes.
TEST(ResultStore, ANewFileAndAMigratedOneHaveTheSameSchema) {
  TempDir dir;
  const auto fresh = dir / "fresh.db", migrated = dir / "migrated.db";
  ResultStore::open(fresh);
  {
    std::ifstream in(std::string(AMPBENCH_TEST_DATA_DIR) + "/data/schema2-878fbef.sql");
    std::stringstream dump;
    dump << in.rdbuf();
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(migrated.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, dump.str().c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(raw);
    sqlite3_close(raw);
  }
  ResultStore::open(migrated);
  const auto shape = [](const std::string& db) {
    std::set<std::string> out;
    for (const char* table : {"runs", "steps", "measurements", "curves", "forwards"})
      for (const auto& row : ampbench::testing::query(
               db, std::string("SELECT name, type, \"notnull\", dflt_value, pk FROM "
                               "pragma_table_info('") +
                       table + "')"))
        out.insert(std::string(table) + "." + row[0] + " " + row[1] + " " + row[2] + " " + row[3] +
                   " " + row[4]);
    for (const auto& row : ampbench::testing::query(
             db,
             "SELECT tbl_name || '.' || name FROM sqlite_master WHERE type = 'index' AND "
             "sql IS NOT NULL"))
      out.insert("index " + row[0]);
    return out;
  };
  const auto expected = shape(migrated);
  EXPECT_EQ(shape(fresh), expected);
  EXPECT_TRUE(expected.count("runs.line TEXT 1 '' 0"));
  EXPECT_TRUE(expected.count("curves.point_json TEXT 1 '{}' 0"));
  EXPECT_TRUE(expected.count("index runs.runs_station"));
  EXPECT_EQ(ampbench::testing::scalar(fresh, "PRAGMA user_version"),
            std::to_string(ResultStore::kSchemaVersion));
}

// Moments merged from parts, and taken out of a whole, against two-pass sums over the
// values themselves; values near 1000 with a spread of 1e-3 (each exact to 1e-13, σ to
// 1e-10 of itself) would lose σ to naive sums of squares.
TEST(Moments, MergeAndWithoutAgreeWithTwoPassSums) {
  const auto two_pass = [](const std::vector<double>& x) {
    double mean = 0.0, ss = 0.0;
    for (double v : x) mean += v;
    mean /= static_cast<double>(x.size());
    for (double v : x) ss += (v - mean) * (v - mean);
    return std::pair{mean, std::sqrt(ss / static_cast<double>(x.size() - 1))};
  };
  std::vector<double> all;
  Moments whole, first, second;
  for (int i = 0; i < 1000; ++i) {
    const double v = 1000.0 + 1e-3 * std::sin(0.7 * i) + (i < 600 ? 0.0 : 2e-3);
    all.push_back(v);
    whole.add(v);
    (i < 600 ? first : second).add(v);
  }
  Moments merged = first;
  merged.merge(second);
  const auto [mean, sd] = two_pass(all);
  EXPECT_EQ(merged.n, 1000);
  EXPECT_NEAR(merged.mean, mean, 1e-9);
  EXPECT_NEAR(merged.sd(), sd, 1e-8 * sd);
  EXPECT_NEAR(whole.sd(), sd, 1e-8 * sd);
  EXPECT_EQ(merged.min, *std::min_element(all.begin(), all.end()));
  EXPECT_EQ(merged.max, *std::max_element(all.begin(), all.end()));
  const Moments rest = whole.without(second);
  const auto [first_mean, first_sd] = two_pass({all.begin(), all.begin() + 600});
  EXPECT_EQ(rest.n, 600);
  EXPECT_NEAR(rest.mean, first_mean, 1e-9);
  EXPECT_NEAR(rest.sd(), first_sd, 1e-6 * first_sd);
  EXPECT_EQ(whole.without(whole).n, 0);
}

// ---- The line's central store: a real PostgreSQL server per test (pg_server.hpp). ----

namespace {

using ampbench::testing::PgServer;

// A finished run of `steps` steps, each with `per_step` measurements and one curve.
RunRecord stored_run(ResultStore& store, const std::string& station, const std::string& serial,
                     int steps, int per_step, std::size_t curve_points) {
  RunRecord run = sample_run();
  run.station_name = station;
  run.line = "L1";
  run.serial = serial;
  store.begin_run(run);
  for (int i = 1; i <= steps; ++i) {
    StepRecord step;
    step.ordinal = i;
    step.step_id = "step" + std::to_string(i);
    step.kind = "level";
    step.params = {{"id", step.step_id}};
    step.started_at = utc_now_iso8601();
    store.begin_step(run.id, step);
    for (int k = 0; k < per_step; ++k)
      step.measurements.push_back({k % 2 ? "R" : "L",
                                   "gain_db",
                                   26.0 + 1e-3 * k + 1.0 / 3.0,
                                   "dB",
                                   25.5,
                                   std::nullopt,
                                   Verdict::pass,
                                   {{"stimulus.frequency_hz", 1000 + k}},
                                   ""});
    std::vector<double> x(curve_points), y(curve_points);
    for (std::size_t n = 0; n < curve_points; ++n) {
      x[n] = 20.0 * std::pow(1000.0, static_cast<double>(n) / static_cast<double>(curve_points));
      y[n] = -0.01 * static_cast<double>(n) / 3.0;
    }
    step.curves.push_back({"L", "response_db", "Hz", "dB", x, y, {{"load_ohm", 8}}});
    step.verdict = Verdict::pass;
    step.finished_at = utc_now_iso8601();
    store.finish_step(step);
    run.steps.push_back(step);
  }
  run.verdict = Verdict::pass;
  run.finished_at = utc_now_iso8601();
  store.finish_run(run);
  return run;
}

std::string station_file(const TempDir& dir, const std::string& name, const std::string& forward) {
  std::ifstream in(std::string(AMPBENCH_SOURCE_DIR) + "/instruments/sim-bench.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const std::string key = "name = \"sim-bench\"";
  s.replace(s.find(key), key.size(), "name = \"" + name + "\"\nline = \"L1\"");
  s += "\n[results]\nforward = \"" + forward + "\"\n";
  const auto path = dir / (name + ".toml");
  std::ofstream(path) << s;
  return path;
}

const std::string kCiSequence = std::string(AMPBENCH_SOURCE_DIR) + "/sequences/ci-loopback.toml";

}  // namespace

TEST(ForwardTarget, RefusesPasswordsAndOtherSchemes) {
  EXPECT_FALSE(forward_target_problem("postgresql://ampbench@db.line/results"));
  EXPECT_FALSE(forward_target_problem("postgresql:///results?service=line"));
  EXPECT_TRUE(forward_target_problem("postgresql://ampbench:hunter2@db.line/results"));
  EXPECT_TRUE(forward_target_problem("postgresql://db.line/results?sslmode=require&password=x"));
  EXPECT_TRUE(forward_target_problem("mysql://db.line/results"));
  EXPECT_EQ(redacted_uri("postgresql://u:hunter2@h:5432/d?password=x&a=b"),
            "postgresql://u:***@h:5432/d?password=***&a=b");
  EXPECT_EQ(glob_to_like("AMP-1*_?%"), "AMP-1%\\__\\%");
}

TEST(PostgresStore, RoundTripsRunsExactlyAndOnlyOnce) {
  PgServer pg;
  TempDir dir;
  auto local = ResultStore::open(dir / "r.db");
  const RunRecord a = stored_run(*local, "bench-1", "AMP-100", 3, 4, 50);
  const RunRecord b = stored_run(*local, "bench-2", "XYZ-7", 1, 1, 3);
  auto central = PostgresStore::open(pg.uri_with_password(), PostgresStore::Mode::read_write);
  EXPECT_TRUE(central->insert_run(local->load_run(a.uuid)));
  EXPECT_TRUE(central->insert_run(local->load_run(b.uuid)));
  EXPECT_FALSE(central->insert_run(local->load_run(a.uuid)));  // already there: untouched
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM runs"), "2");
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM steps"), "4");
  // Both runs' sequence and station texts once; every measurement and curve names its run.
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM texts"), "2");
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM measurements m JOIN steps s ON s.id = m.step_id "
                      "WHERE m.run_id = s.run_id"),
            "13");
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM curves c JOIN steps s ON s.id = c.step_id WHERE "
                      "c.run_id = s.run_id"),
            "4");

  const auto mine = local->load_run(a.uuid);
  const auto back = central->load_run(a.uuid.substr(0, 8));
  EXPECT_EQ(back.uuid, mine.uuid);
  EXPECT_EQ(back.started_at, mine.started_at);
  EXPECT_EQ(back.finished_at, mine.finished_at);
  EXPECT_EQ(back.line, "L1");
  EXPECT_EQ(back.sequence_text, "x");
  EXPECT_EQ(back.station_text, "y");
  ASSERT_EQ(back.steps.size(), mine.steps.size());
  for (std::size_t i = 0; i < back.steps.size(); ++i) {
    EXPECT_EQ(back.steps[i].started_at, mine.steps[i].started_at);
    ASSERT_EQ(back.steps[i].measurements.size(), mine.steps[i].measurements.size());
    for (std::size_t k = 0; k < back.steps[i].measurements.size(); ++k) {
      const auto& m = back.steps[i].measurements[k];
      const auto& t = mine.steps[i].measurements[k];
      EXPECT_EQ(m.value, t.value);  // bit-exact, not merely close
      EXPECT_EQ(m.low, t.low);
      EXPECT_EQ(m.high, t.high);
      EXPECT_EQ(m.point, t.point);
      EXPECT_EQ(m.channel, t.channel);
    }
    EXPECT_EQ(back.steps[i].curves[0].x, mine.steps[i].curves[0].x);
    EXPECT_EQ(back.steps[i].curves[0].y, mine.steps[i].curves[0].y);
    EXPECT_EQ(back.steps[i].curves[0].point, mine.steps[i].curves[0].point);
  }

  // Text that means something to SQL or to COPY, a step with nothing measured, extremes.
  RunRecord odd = sample_run();
  odd.station_name = "bench-3";
  odd.serial = "O'Brien\\N";
  local->begin_run(odd);
  StepRecord quoted;
  quoted.ordinal = 1;
  quoted.step_id = "it's \"odd\"";
  quoted.kind = "level";
  quoted.params = {{"note", "tab\there, back\\slash, 'quote', \u00e9"}};
  quoted.started_at = utc_now_iso8601();
  local->begin_step(odd.id, quoted);
  quoted.measurements.push_back({"L'",
                                 "x\\n",
                                 1e-300,
                                 "dB\tV",
                                 -1.7976931348623157e308,
                                 std::nullopt,
                                 Verdict::fail,
                                 {{"a\nb", "'); DROP TABLE runs; --"}},
                                 "it's \"none\"; --\n\\"});
  quoted.verdict = Verdict::fail;
  quoted.message = "line one\nline two; DROP TABLE runs; -- '\\x00'";
  quoted.finished_at = utc_now_iso8601();
  local->finish_step(quoted);
  StepRecord nothing;
  nothing.ordinal = 2;
  nothing.step_id = "empty";
  nothing.kind = "prompt";
  nothing.started_at = utc_now_iso8601();
  local->begin_step(odd.id, nothing);
  nothing.verdict = Verdict::error;
  nothing.finished_at = utc_now_iso8601();
  local->finish_step(nothing);
  odd.verdict = Verdict::fail;
  odd.finished_at = utc_now_iso8601();
  local->finish_run(odd);
  EXPECT_TRUE(central->insert_run(local->load_run(odd.uuid)));
  const auto odd_here = local->load_run(odd.uuid);
  const auto odd_there = central->load_run(odd.uuid);
  EXPECT_EQ(odd_there.serial, odd.serial);
  ASSERT_EQ(odd_there.steps.size(), 2u);
  EXPECT_EQ(odd_there.steps[0].step_id, quoted.step_id);
  EXPECT_EQ(odd_there.steps[0].message, quoted.message);
  EXPECT_EQ(odd_there.steps[0].params, odd_here.steps[0].params);
  ASSERT_EQ(odd_there.steps[0].measurements.size(), 1u);
  const auto& m_there = odd_there.steps[0].measurements[0];
  const auto& m_here = odd_here.steps[0].measurements[0];
  EXPECT_EQ(m_there.channel, "L'");
  EXPECT_EQ(m_there.name, m_here.name);
  EXPECT_EQ(m_there.unit, "dB\tV");
  EXPECT_EQ(m_there.value, 1e-300);
  EXPECT_EQ(m_there.low, m_here.low);
  EXPECT_EQ(m_there.high, std::nullopt);
  EXPECT_EQ(m_there.point, m_here.point);
  EXPECT_EQ(m_there.note, m_here.note);
  EXPECT_EQ(m_there.note, "it's \"none\"; --\n\\");
  EXPECT_TRUE(odd_there.steps[1].measurements.empty());
  EXPECT_TRUE(odd_there.steps[1].curves.empty());
  EXPECT_EQ(odd_there.steps[1].verdict, Verdict::error);
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM runs"), "3");

  RunFilter f;
  f.serial = "AMP-1*";
  EXPECT_EQ(central->list_runs(f).size(), 1u);
  EXPECT_EQ(local->list_runs(f).size(), 1u);
  f.serial = "amp-1*";  // case counts in both stores
  EXPECT_EQ(central->list_runs(f).size(), 0u);
  EXPECT_EQ(local->list_runs(f).size(), 0u);
  RunFilter by_station;
  by_station.station = "bench-2";
  EXPECT_EQ(central->list_runs(by_station).size(), 1u);
  EXPECT_EQ(central->measurement_rows(by_station).size(), 1u);
  EXPECT_EQ(central->measurement_rows({}).size(), local->measurement_rows({}).size());
  EXPECT_THROW(central->load_run("nope"), InputError);
}

// A run's calibration records travel with it (SPEC §15): stored once however many runs
// used them, never changed, and the central run names the same records.
TEST(Forwarding, ARunsCalibrationRecordsGoWithItOnce) {
  PgServer pg;
  TempDir dir;
  auto local = ResultStore::open(dir / "r.db");
  std::vector<std::string> uuids;
  for (const char* direction : {"output", "input"}) {
    ampbench::record::CalibrationRecord c;
    c.station_name = "bench-1";
    c.channel = 1;
    c.direction = direction;
    c.sample_rate_hz = 48000.0;
    c.vrms_at_0dbfs = 2.0123456789012345;
    c.u_db = 0.0049;
    c.operator_name = "O'Neil";
    c.reference_idn = "SIM,DMM,1,0";
    c.temperature_c = 23.5;
    c.readings = {{"dmm_vrms", {0.2, 0.2001}}};
    local->add_calibration(c);
    uuids.push_back(c.uuid);
  }
  for (const char* serial : {"C-1", "C-2"}) {
    RunRecord run = sample_run();
    run.serial = serial;
    run.station_name = "bench-1";
    run.calibration_uuids = uuids;
    local->begin_run(run);
    run.verdict = Verdict::pass;
    run.finished_at = utc_now_iso8601();
    local->finish_run(run);
  }
  const auto report = ampbench::store::forward_runs(*local, pg.uri_with_password(), {});
  EXPECT_EQ(report.sent, 2) << report.error;
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM calibrations"), "2");
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM run_calibrations"), "4");
  EXPECT_EQ(
      std::stod(pg.scalar("SELECT vrms_at_0dbfs FROM calibrations WHERE direction = 'output'")),
      2.0123456789012345);  // bit-exact
  EXPECT_EQ(pg.scalar("SELECT operator FROM calibrations WHERE direction = 'input'"), "O'Neil");
  auto central = PostgresStore::open(pg.uri_with_password(), PostgresStore::Mode::read_only);
  for (const auto& header : local->list_runs({}))
    EXPECT_EQ(central->load_run(header.uuid).calibration_uuids,
              local->load_run(header.uuid).calibration_uuids);
}

// The bench's self-test travels with the runs judged against it (their at_analyzer_limit
// flags): the one latest before each run, stored once however many runs it served; a
// self-test after the last run waits for the next run.
TEST(Forwarding, ARunsSelfTestGoesWithItOnce) {
  PgServer pg;
  TempDir dir;
  auto local = ResultStore::open(dir / "r.db");
  const auto selftest = [&](const std::string& uuid, const std::string& at) {
    local->add_selftest({{"uuid", uuid},
                         {"station", "bench-1"},
                         {"started_at", at},
                         {"verdict", "PASS"},
                         {"residual_thdn_db", -110.25}});
  };
  selftest("00000000-0000-4000-8000-000000000001", "2026-01-01T00:00:00.000Z");
  selftest("00000000-0000-4000-8000-000000000002", "2026-01-02T00:00:00.000Z");
  for (const char* serial : {"S-1", "S-2"}) {
    RunRecord run = sample_run();
    run.serial = serial;
    run.station_name = "bench-1";
    run.started_at = "2026-01-03T00:00:00.000Z";
    local->begin_run(run);
    run.verdict = Verdict::pass;
    run.finished_at = "2026-01-03T00:00:01.000Z";
    local->finish_run(run);
  }
  selftest("00000000-0000-4000-8000-000000000003", "2026-01-04T00:00:00.000Z");
  const auto report = ampbench::store::forward_runs(*local, pg.uri_with_password(), {});
  EXPECT_EQ(report.sent, 2) << report.error;
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM selftests"), "1");
  EXPECT_EQ(pg.scalar("SELECT uuid::text FROM selftests"), "00000000-0000-4000-8000-000000000002");
  EXPECT_EQ(pg.scalar("SELECT result_json->>'residual_thdn_db' FROM selftests"), "-110.25");
  EXPECT_EQ(pg.scalar("SELECT station_name || ' ' || verdict FROM selftests"), "bench-1 PASS");
}

// A newer ampbench reads a central store that older stations still write to without
// migrating it: what the older schema lacks reads as NULL (no bench time, no self-tests).
TEST(PostgresStore, AnOlderCentralStoreIsReadWithoutBeingMigrated) {
  PgServer pg;
  TempDir dir;
  auto local = ResultStore::open(dir / "r.db");
  const auto run = stored_run(*local, "bench-1", "SN-OLD", 2, 2, 8);
  ASSERT_EQ(ampbench::store::forward_runs(*local, pg.uri_with_password(), {}).sent, 1);
  pg.scalar(
      "UPDATE runs SET sequence_text = (SELECT text FROM texts WHERE sha256 = sequence_sha256), "
      "station_text = (SELECT text FROM texts WHERE sha256 = station_sha256); DROP TABLE texts; "
      "ALTER TABLE runs DROP COLUMN station_sha256; ALTER TABLE measurements DROP COLUMN "
      "run_id; ALTER TABLE curves DROP COLUMN run_id; "
      "ALTER TABLE runs DROP COLUMN stimulus_s, DROP COLUMN unit_s, DROP COLUMN analysis_s, "
      "DROP COLUMN transfers, DROP COLUMN limits_sha256, DROP COLUMN limits_text; DROP TABLE "
      "selftests; UPDATE ampbench_schema SET version = 5");
  auto central = PostgresStore::open(pg.uri_with_password(), PostgresStore::Mode::read_only);
  const auto runs = central->list_runs({});
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].serial, "SN-OLD");
  const auto loaded = central->load_run(run.uuid);
  EXPECT_EQ(loaded.steps.size(), 2u);
  EXPECT_EQ(loaded.sequence_text, "x");
  EXPECT_EQ(loaded.station_text, "y");
  EXPECT_FALSE(loaded.bench_time);
  EXPECT_EQ(pg.scalar("SELECT max(version) FROM ampbench_schema"), "5");
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = "
                      "'runs' AND column_name = 'unit_s'"),
            "0");
}

TEST(PostgresStore, StationsStartingTogetherCreateTheSchemaOnce) {
  PgServer pg;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      try {
        PostgresStore::open(pg.uri_with_password(), PostgresStore::Mode::read_write);
      } catch (const std::exception&) {
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM ampbench_schema"), "1");
  EXPECT_THROW(PostgresStore::open(pg.uri("postgres") + "?password=" + PgServer::kPassword,
                                   PostgresStore::Mode::read_only),
               IoError);  // no ampbench tables there
}

// Three stations (three processes, three SQLite files) test units at the same time and
// forward to one database: every run arrives exactly once, complete.
TEST(Forwarding, ThreeStationsConcurrentlyEveryRunExactlyOnce) {
  PgServer pg;
  TempDir dir;
  ::setenv("PGPASSWORD", PgServer::kPassword, 1);
  std::vector<pid_t> stations;
  for (int s = 1; s <= 3; ++s) {
    const std::string name = "bench-" + std::to_string(s);
    std::vector<std::string> args = {
        "run",  kCiSequence,          "--station", station_file(dir, name, pg.uri()),
        "--db", dir / (name + ".db"), "--quiet"};
    for (int u = 1; u <= 4; ++u) {
      args.push_back("--serial");
      args.push_back("S" + std::to_string(s) + "-" + std::to_string(u));
    }
    stations.push_back(ampbench::testing::spawn_ampbench(args, dir / (name + ".log")));
  }
  for (std::size_t s = 0; s < stations.size(); ++s)
    EXPECT_EQ(ampbench::testing::wait_exit(stations[s]), 0)
        << ampbench::testing::slurp(dir / ("bench-" + std::to_string(s + 1) + ".log"));
  ::unsetenv("PGPASSWORD");

  EXPECT_EQ(pg.scalar("SELECT count(*) FROM runs"), "12");
  EXPECT_EQ(pg.scalar("SELECT count(DISTINCT uuid) FROM runs"), "12");
  EXPECT_EQ(pg.scalar("SELECT count(DISTINCT station_name) FROM runs WHERE line = 'L1'"), "3");
  for (int s = 1; s <= 3; ++s) {
    const auto db = dir / ("bench-" + std::to_string(s) + ".db");
    for (const auto& row : ampbench::testing::query(
             db,
             "SELECT r.uuid, (SELECT count(*) FROM steps WHERE run_id = r.id), (SELECT count(*) "
             "FROM measurements m JOIN steps s ON m.step_id = s.id WHERE s.run_id = r.id), "
             "(SELECT count(*) FROM forwards f WHERE f.run_id = r.id AND f.sent_at IS NOT NULL) "
             "FROM runs r")) {
      EXPECT_EQ(pg.scalar("SELECT count(*) FROM runs WHERE uuid = '" + row[0] + "'"), "1");
      EXPECT_EQ(pg.scalar("SELECT count(*) FROM steps s JOIN runs r ON s.run_id = r.id WHERE "
                          "r.uuid = '" +
                          row[0] + "'"),
                row[1]);
      EXPECT_EQ(pg.scalar("SELECT count(*) FROM measurements m JOIN steps s ON m.step_id = s.id "
                          "JOIN runs r ON s.run_id = r.id WHERE r.uuid = '" +
                          row[0] + "'"),
                row[2]);
      EXPECT_EQ(row[3], "1") << "run " << row[0] << " not marked sent";
    }
  }
}

// The server stops (as in a crash) while a station catches up: the interrupted sync says
// so and keeps the rest queued; no half-written run is visible; once the server is back
// the next sync completes, nothing lost, nothing twice.
TEST(Forwarding, ServerStoppedMidSyncLosesAndDuplicatesNothing) {
  PgServer pg;
  TempDir dir;
  const auto db = dir / "station.db";
  constexpr int kRuns = 150, kSteps = 12, kPerStep = 8;
  {
    auto local = ResultStore::open(db);
    for (int i = 0; i < kRuns; ++i)
      stored_run(*local, "bench-1", "U" + std::to_string(i), kSteps, kPerStep, 400);
  }
  ::setenv("PGPASSWORD", PgServer::kPassword, 1);
  const pid_t sync =
      ampbench::testing::spawn_ampbench({"sync", "--db", db, "--to", pg.uri()}, dir / "sync.log");
  // Stop the server once part of the runs are in.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int arrived = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      arrived = std::stoi(pg.scalar("SELECT count(*) FROM runs"));
    } catch (const std::exception&) {
      arrived = 0;  // schema not there yet
    }
    if (arrived >= 10) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_GE(arrived, 10);
  pg.stop("immediate");
  const int first_exit = ampbench::testing::wait_exit(sync);
  const std::string first_log = ampbench::testing::slurp(dir / "sync.log");
  pg.start();

  const auto in_central = std::stoi(pg.scalar("SELECT count(*) FROM runs"));
  ASSERT_LT(in_central, kRuns) << "the server stopped too late to interrupt anything";
  EXPECT_EQ(first_exit, 74) << first_log;
  EXPECT_NE(first_log.find("still queued"), std::string::npos) << first_log;
  // Every run that is there is whole: all its steps, measurements and curves.
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM steps WHERE "
                      "run_id = r.id) <> " +
                      std::to_string(kSteps)),
            "0");
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM measurements"),
            std::to_string(in_central * kSteps * kPerStep));
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM curves"), std::to_string(in_central * kSteps));

  const auto again = ampbench::testing::run_ampbench(
      {"sync", "--db", db, "--to", pg.uri()}, "", "PGPASSWORD=" + std::string(PgServer::kPassword));
  ::unsetenv("PGPASSWORD");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM runs"), std::to_string(kRuns));
  EXPECT_EQ(pg.scalar("SELECT count(DISTINCT serial) FROM runs"), std::to_string(kRuns));
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM measurements"),
            std::to_string(kRuns * kSteps * kPerStep));
  EXPECT_EQ(
      ampbench::testing::query(db, "SELECT count(*) FROM forwards WHERE sent_at IS NULL")[0][0],
      "0");
  // A third sync finds nothing to send.
  const auto idle = ampbench::testing::run_ampbench(
      {"sync", "--db", db, "--to", pg.uri(), "--json"}, "", "PGPASSWORD=x");
  EXPECT_EQ(idle.exit_code, 0) << idle.err;
  EXPECT_EQ(nlohmann::json::parse(idle.out)["sent"], 0);
}

// A wrong password or a server that is not there: the station still tests, exits with the
// unit's verdict, queues the run and says so once; a later sync sends it.
// A run the server can never take (its operator name is not UTF-8, which PostgreSQL
// refuses) is set aside with the server's reason; the runs after it still arrive, the
// next sync does not try it again, and both syncs name it.
TEST(Forwarding, ARunTheServerRefusesIsSetAsideAndTheOthersArrive) {
  PgServer pg;
  TempDir dir;
  const auto db = dir / "r.db";
  {
    auto store = ResultStore::open(db);
    for (const std::string serial : {"P1", "POISON", "P3"}) {
      RunRecord run = sample_run();
      run.serial = serial;
      if (serial == "POISON") run.operator_name = "op\xff\xfe";
      store->begin_run(run);
      run.verdict = Verdict::pass;
      run.finished_at = utc_now_iso8601();
      store->finish_run(run);
    }
  }
  const std::string env = "PGPASSWORD=" + std::string(PgServer::kPassword);
  const auto first = ampbench::testing::run_ampbench(
      {"sync", "--db", db, "--to", pg.uri(), "--json", "--quiet"}, "", env);
  EXPECT_EQ(first.exit_code, 2) << first.err;  // not a success while a run is set aside
  const auto report = nlohmann::json::parse(first.out);
  EXPECT_EQ(report["sent"], 2);
  EXPECT_EQ(report["queued"], 0);
  ASSERT_EQ(report["set_aside"].size(), 1u) << first.out;
  EXPECT_EQ(report["set_aside"][0]["serial"], "POISON");
  EXPECT_NE(first.err.find("(serial POISON) set aside"), std::string::npos) << first.err;
  EXPECT_EQ(pg.scalar("SELECT string_agg(serial, ',' ORDER BY serial) FROM runs"), "P1,P3");
  const auto second = ampbench::testing::run_ampbench(
      {"sync", "--db", db, "--to", pg.uri(), "--json", "--quiet"}, "", env);
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_NE(second.err.find("--retry"), std::string::npos) << second.err;
  EXPECT_EQ(nlohmann::json::parse(second.out)["sent"], 0);
  EXPECT_EQ(nlohmann::json::parse(second.out)["set_aside"].size(), 1u);
  EXPECT_EQ(ampbench::testing::scalar(db,
                                      "SELECT attempts FROM forwards f JOIN runs r ON r.id = "
                                      "f.run_id WHERE r.serial = 'POISON'"),
            "1");
}

// A run the server refuses is said at `run`, in one line naming it and the way back.
TEST(Forwarding, ARunRefusedWhileTestingIsSaidAtOnce) {
  PgServer pg;
  TempDir dir;
  const auto station = station_file(dir, "bench-1", pg.uri());
  const auto r = ampbench::testing::run_ampbench(
      {"run", kCiSequence, "--station", station, "--db", dir / "r.db", "--serial", "POISON",
       "--operator", "op\xff\xfe", "--quiet"},
      "", "PGPASSWORD=" + std::string(PgServer::kPassword));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find("refused 1 run(s), set aside: POISON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--retry"), std::string::npos) << r.err;
  const auto list = ampbench::testing::run_ampbench({"results", "list", "--db", dir / "r.db"});
  EXPECT_NE(list.out.find("set aside"), std::string::npos) << list.out;
}

// A privilege revoked on the central store while a station tests 20 units: the server's
// refusal is every run's, so none is set aside; the run says so in one line and every run
// waits in the queue. Restored, `sync --retry --all` sends 20 of 20, each exactly once.
TEST(Forwarding, ARevokedPrivilegePausesTheQueueAndRetrySendsEveryRunOnce) {
  PgServer pg;
  pg.scalar("CREATE ROLE station LOGIN PASSWORD '" + std::string(PgServer::kPassword) + "'");
  pg.scalar("GRANT ALL ON SCHEMA public TO station");
  std::string uri = pg.uri();
  uri.replace(uri.find("ampbench@"), 9, "station@");
  TempDir dir;
  const auto station = station_file(dir, "bench-1", uri);
  const auto db = dir / "station.db";
  const std::string env = "PGPASSWORD=" + std::string(PgServer::kPassword);
  ASSERT_EQ(ampbench::testing::run_ampbench({"run", kCiSequence, "--station", station, "--db", db,
                                             "--serial", "FIRST", "--quiet"},
                                            "", env)
                .exit_code,
            0);
  ASSERT_EQ(pg.scalar("SELECT count(*) FROM runs"), "1");
  pg.scalar("REVOKE INSERT ON runs FROM station");
  std::vector<std::string> args = {"run", kCiSequence, "--station", station, "--db", db, "--quiet"};
  for (int u = 1; u <= 20; ++u) {
    args.push_back("--serial");
    args.push_back("U" + std::to_string(u));
  }
  const auto refused = ampbench::testing::run_ampbench(args, "", env);
  EXPECT_EQ(refused.exit_code, 0) << refused.err;  // the units' verdict
  EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  EXPECT_NE(refused.err.find("permission denied"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("20 run(s) queued"), std::string::npos) << refused.err;
  EXPECT_EQ(ampbench::testing::scalar(db,
                                      "SELECT count(*) FROM forwards WHERE rejected_at IS NOT "
                                      "NULL"),
            "0");
  const auto list = ampbench::testing::run_ampbench({"results", "list", "--db", db, "--json"});
  int waiting = 0;
  for (const auto& run : nlohmann::json::parse(list.out)) waiting += run["forward"] == "waiting";
  EXPECT_EQ(waiting, 20) << list.out;

  pg.scalar("GRANT INSERT ON runs TO station");
  const auto retry = ampbench::testing::run_ampbench(
      {"sync", "--db", db, "--station", station, "--retry", "--all", "--json", "--quiet"}, "", env);
  EXPECT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_EQ(nlohmann::json::parse(retry.out)["sent"], 20) << retry.out;
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM runs WHERE serial LIKE 'U%'"), "20");
  EXPECT_EQ(pg.scalar("SELECT count(DISTINCT serial) FROM runs"), "21");
  EXPECT_EQ(pg.scalar("SELECT count(DISTINCT uuid) FROM runs"), "21");
  const auto again = ampbench::testing::run_ampbench(
      {"sync", "--db", db, "--station", station, "--json", "--quiet"}, "", env);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["sent"], 0);
}

TEST(Forwarding, BadCredentialsOrNoServerStillRunAndQueue) {
  PgServer pg;
  TempDir dir;
  const auto station = station_file(dir, "bench-1", pg.uri());
  const auto db = dir / "station.db";
  const auto wrong =
      ampbench::testing::run_ampbench({"run", kCiSequence, "--station", station, "--db", db,
                                       "--serial", "GOOD-1", "--serial", "SIM-LOW-GAIN", "--quiet"},
                                      "", "PGPASSWORD=wrong");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;  // the low-gain unit fails: the DUT's verdict
  std::size_t warnings = 0;
  for (std::size_t at = 0; (at = wrong.err.find("warning:", at)) != std::string::npos; ++at)
    ++warnings;
  EXPECT_EQ(warnings, 1u) << wrong.err;
  EXPECT_NE(wrong.err.find("password authentication failed"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("2 run(s) queued"), std::string::npos) << wrong.err;

  int unused_port = 0;
  {
    PgServer other;  // a port that was a server's a moment ago and now has nothing on it
    unused_port = other.port();
  }
  const auto nowhere = station_file(
      dir, "bench-2", "postgresql://ampbench@127.0.0.1:" + std::to_string(unused_port) + "/line");
  const auto unreachable =
      ampbench::testing::run_ampbench({"run", kCiSequence, "--station", nowhere, "--db",
                                       dir / "other.db", "--serial", "GOOD-2", "--quiet"},
                                      "", "PGPASSWORD=" + std::string(PgServer::kPassword));
  EXPECT_EQ(unreachable.exit_code, 0) << unreachable.err;
  EXPECT_NE(unreachable.err.find("warning:"), std::string::npos);
  EXPECT_NE(unreachable.err.find("1 run(s) queued"), std::string::npos) << unreachable.err;

  // Queued with a retry time after the run, not sent.
  EXPECT_EQ(ampbench::testing::query(db,
                                     "SELECT count(*) FROM forwards f JOIN runs r ON r.id = "
                                     "f.run_id WHERE f.sent_at IS NULL AND f.attempts = 1 "
                                     "AND f.next_attempt_at > r.finished_at")[0][0],
            "2");
  const auto later =
      ampbench::testing::run_ampbench({"sync", "--db", db, "--station", station}, "",
                                      "PGPASSWORD=" + std::string(PgServer::kPassword));
  EXPECT_EQ(later.exit_code, 0) << later.err;
  EXPECT_EQ(pg.scalar("SELECT string_agg(serial || ':' || verdict, ',' ORDER BY serial) FROM runs"),
            "GOOD-1:PASS,SIM-LOW-GAIN:FAIL");
}

// TLS settings are libpq's URI parameters, passed through: against a server that takes TCP
// clients over TLS only, no TLS is refused, a certificate from the wrong CA is refused, and
// verify-full against the server's own certificate sends the runs.
TEST(Forwarding, TlsOnlyServerWithAVerifiedCertificate) {
  PgServer pg(PgServer::Tls::required);
  TempDir dir;
  const auto db = dir / "station.db";
  {
    auto local = ResultStore::open(db);
    for (int i = 0; i < 3; ++i) stored_run(*local, "bench-1", "T" + std::to_string(i), 2, 4, 10);
  }
  const auto other_ca = dir / "other-ca.crt";
  ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                         "-keyout " +
                         ampbench::testing::shell_quote(dir / "other.key") + " -out " +
                         ampbench::testing::shell_quote(other_ca) + " >/dev/null 2>&1")
                            .c_str()),
            0);
  const std::string password = "PGPASSWORD=" + std::string(PgServer::kPassword);
  const auto sync = [&](const std::string& parameters) {
    return ampbench::testing::run_ampbench(
        {"sync", "--db", db, "--to", pg.uri() + "?" + parameters, "--json"}, "", password);
  };
  const auto plain = sync("sslmode=disable");
  EXPECT_EQ(plain.exit_code, 74) << plain.err;
  EXPECT_NE(plain.err.find("no encryption"), std::string::npos) << plain.err;
  const auto wrong_ca = sync("sslmode=verify-full&sslrootcert=" + other_ca);
  EXPECT_EQ(wrong_ca.exit_code, 74) << wrong_ca.err;
  EXPECT_NE(wrong_ca.err.find("certificate verify failed"), std::string::npos) << wrong_ca.err;
  EXPECT_EQ(pg.scalar("SELECT to_regclass('runs') IS NULL"), "t");  // nothing got in

  const auto verified = sync("sslmode=verify-full&sslrootcert=" + pg.ca_file().string());
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_EQ(nlohmann::json::parse(verified.out)["sent"], 3) << verified.out;
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM runs"), "3");
}

TEST(Forwarding, APasswordInTheStationFileIsRefusedWithItsLine) {
  TempDir dir;
  const auto station =
      station_file(dir, "bench-1", "postgresql://ampbench:hunter2@127.0.0.1:5432/line");
  const auto r = ampbench::testing::run_ampbench({"validate", kCiSequence, "--station", station});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_NE(r.err.find("results.forward"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("PGPASSWORD"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
}

// A station upgraded after a crash: its file was written by the schema-2 binary (878fbef),
// one run left RUNNING by a killed process. Opening it migrates it with every value intact,
// ends the dead run as ABORTED, and `sync` sends all three runs whole.
TEST(Forwarding, AFileFromTheSchema2BinaryMigratesAndForwardsWhole) {
  TempDir dir;
  const auto db = dir / "station.db";
  {
    std::ifstream in(std::string(AMPBENCH_SOURCE_DIR) + "/tests/data/schema2-878fbef.sql");
    std::stringstream dump;
    dump << in.rdbuf();
    char host[256] = {};
    ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    // As if the crashed station were this machine; no process has pid 2^31 − 1.
    const std::string sql = dump.str() + "UPDATE runs SET host = '" + host +
                            "', pid = 2147483647 WHERE verdict = 'RUNNING';";
    ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(raw);
    sqlite3_close(raw);
  }
  const std::string kValues =
      "SELECT group_concat(quote(value) || quote(low) || quote(high) || verdict, ',') FROM "
      "(SELECT * FROM measurements ORDER BY id)";
  const std::string kCurves =
      "SELECT group_concat(hex(x) || hex(y), ',') FROM (SELECT * FROM curves ORDER BY id)";
  const auto values_before = ampbench::testing::scalar(db, kValues);
  const auto curves_before = ampbench::testing::scalar(db, kCurves);
  ASSERT_EQ(ampbench::testing::scalar(db, "PRAGMA user_version"), "2");

  PgServer pg;
  const auto sync =
      ampbench::testing::run_ampbench({"sync", "--db", db, "--to", pg.uri(), "--json"}, "",
                                      "PGPASSWORD=" + std::string(PgServer::kPassword));
  EXPECT_EQ(sync.exit_code, 0) << sync.err;
  EXPECT_EQ(nlohmann::json::parse(sync.out)["sent"], 3) << sync.out;

  EXPECT_EQ(ampbench::testing::scalar(db, "PRAGMA user_version"),
            std::to_string(ResultStore::kSchemaVersion));
  EXPECT_EQ(ampbench::testing::scalar(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(ampbench::testing::scalar(db, kValues), values_before);
  EXPECT_EQ(ampbench::testing::scalar(db, kCurves), curves_before);
  EXPECT_EQ(ampbench::testing::scalar(db,
                                      "SELECT group_concat(serial || ':' || verdict, ',') FROM "
                                      "(SELECT * FROM runs ORDER BY id)"),
            "AMP-0001:PASS,SIM-LOW-GAIN:FAIL,AMP-0002:ABORTED");
  EXPECT_EQ(pg.scalar("SELECT string_agg(serial || ':' || verdict || ':' || line, ',' ORDER BY "
                      "station_run_id) FROM runs"),
            "AMP-0001:PASS:,SIM-LOW-GAIN:FAIL:,AMP-0002:ABORTED:");
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM measurements"),
            ampbench::testing::scalar(db, "SELECT count(*) FROM measurements"));
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM curves"),
            ampbench::testing::scalar(db, "SELECT count(*) FROM curves"));
  // The killed run keeps the step it finished; the one it was in is ABORTED.
  EXPECT_EQ(pg.scalar("SELECT string_agg(s.step_id || ':' || s.verdict, ',' ORDER BY s.ordinal) "
                      "FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.serial = 'AMP-0002'"),
            "gain_1k:PASS,response:ABORTED");
}
