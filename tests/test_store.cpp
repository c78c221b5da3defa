// store: record helpers and the SQLite store — round trip, migrations, recovery of runs
// left RUNNING by dead processes only.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.hpp"
#include "run_binary.hpp"
#include "store/result_store.hpp"

using namespace ampbench;
using namespace ampbench::store;
using ampbench::testing::TempDir;

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
  step.measurements.push_back(
      {"L", "gain_db", 25.97, "dB", 25.5, 26.5, Verdict::pass, {{"stimulus.level", "-20 dBV"}}});
  step.measurements.push_back(
      {"R", "gain_db", 19.9, "dB", 25.5, std::nullopt, Verdict::fail, nlohmann::json::object()});
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
