// Fault injection on the whole binary: the disk filling up, the database locked by another
// writer, and SIGKILL at random points of a run. Every case must leave a readable
// database with every finished step kept and the run marked ERROR or ABORTED.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "cli_fixtures.hpp"
#include "db_query.hpp"
#include "run_binary.hpp"
#include "store/result_store.hpp"

using ampbench::testing::run_ampbench;
using ampbench::testing::scalar;
using ampbench::testing::spawn_ampbench;
using ampbench::testing::TempDir;
using ampbench::testing::wait_exit;

namespace {

const std::string kSource = AMPBENCH_SOURCE_DIR;

// Finished steps of kinds that measure must carry their measurements: a step commits
// its verdict and measurements in one transaction.
void expect_finished_steps_complete(const std::string& db) {
  EXPECT_EQ(scalar(db, "PRAGMA integrity_check"), "ok");
  const std::string incomplete = ampbench::testing::scalar_if_ready(
      db,
      "SELECT count(*) FROM steps s WHERE s.verdict IN ('PASS', 'FAIL') AND s.kind NOT IN "
      "('cleanup', 'prompt', 'set') AND NOT EXISTS (SELECT 1 FROM measurements m WHERE m.step_id = "
      "s.id)");
  EXPECT_TRUE(incomplete == "0" || incomplete.empty())
      << incomplete << " finished steps lost their measurements";
}

}  // namespace

TEST(Faults, DiskFullKeepsFinishedStepsAndMarksTheRunError) {
  TempDir dir;
  const auto sequence = kSource + "/sequences/poweramp-production.toml";
  run_ampbench({"run", sequence, "--db", dir / "full.db", "--quiet"});
  const long pages = std::stol(scalar(dir / "full.db", "PRAGMA page_count"));
  ampbench::store::ResultStore::open(dir / "empty.db");
  const long schema_pages = std::stol(scalar(dir / "empty.db", "PRAGMA page_count"));
  ASSERT_GT(pages, schema_pages + 10);
  const auto db = dir / "small.db";
  // Room for the schema and half of the run's data.
  auto r = run_ampbench({"run", sequence, "--db", db, "--quiet"}, "",
                        "AMPBENCH_DB_MAX_PAGES=" + std::to_string((pages + schema_pages) / 2));
  EXPECT_EQ(r.exit_code, 74) << r.err;
  EXPECT_NE(r.err.find("full"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run marked ERROR, finished steps kept"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  expect_finished_steps_complete(db);
  EXPECT_EQ(scalar(db, "SELECT verdict FROM runs"), "ERROR");
  // The message names the file, and no step is left RUNNING.
  EXPECT_NE(r.err.find("small.db: database or disk is full"), std::string::npos) << r.err;
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM steps WHERE verdict = 'RUNNING'"), "0");
  const int kept = std::stoi(scalar(db, "SELECT count(*) FROM steps WHERE verdict = 'PASS'"));
  EXPECT_GE(kept, 1);
  EXPECT_LT(kept, 10);
}

// An output that cannot be written is found before the first unit, not after measuring.
TEST(Faults, AReportDirThatIsAFileIsRefusedBeforeAnyUnit) {
  TempDir dir;
  std::ofstream(dir / "reports") << "not a folder";
  const auto r = run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--db", dir / "r.db",
                               "--report-dir", dir / "reports", "--quiet"});
  EXPECT_EQ(r.exit_code, 74) << r.err;
  EXPECT_NE(r.err.find("--report-dir " + (dir / "reports") + " is a file"), std::string::npos)
      << r.err;
  EXPECT_EQ(scalar(dir / "r.db", "SELECT count(*) FROM runs"), "0");
}

// An archive: a results file in a folder this user cannot write. SQLite cannot create the
// WAL's shared-memory file there; results, show, stats and report still read it.
TEST(Faults, AResultsFileInAReadOnlyFolderCanBeRead) {
  TempDir dir;
  const auto archive = dir / "archive";
  std::filesystem::create_directory(archive);
  ASSERT_EQ(run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--db", archive + "/r.db",
                          "--serial", "ARCHIVED-1", "--quiet"})
                .exit_code,
            0);
  // Root writes anywhere, so as root the reader runs as nobody instead.
  std::string as_reader;
  if (::geteuid() == 0) {
    if (std::system("setpriv --version >/dev/null 2>&1") != 0)
      GTEST_SKIP() << "running as root without setpriv: cannot take write access away";
    as_reader = "setpriv --reuid=65534 --regid=65534 --clear-groups";
  }
  namespace fs = std::filesystem;
  const auto read_only = fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                         fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec;
  fs::permissions(dir.path, read_only | fs::perms::owner_write);
  fs::permissions(archive, read_only);
  const auto out = dir / "out";
  fs::create_directory(out);
  fs::permissions(out, fs::perms::all);
  const std::string db = archive + "/r.db";
  const auto list = run_ampbench({"results", "list", "--db", db}, "", as_reader);
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("ARCHIVED-1"), std::string::npos) << list.out;
  const auto show = run_ampbench({"results", "show", "1", "--db", db}, "", as_reader);
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("ARCHIVED-1"), std::string::npos) << show.out;
  const auto stats = run_ampbench({"stats", "--db", db}, "", as_reader);
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  const auto report =
      run_ampbench({"report", "1", "--db", db, "--output", out + "/r.html"}, "", as_reader);
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_TRUE(fs::exists(out + "/r.html"));
  EXPECT_FALSE(fs::exists(db + "-shm")) << "the reader wrote into the archive";
  // A run into it is refused by name before anything is measured.
  const auto run = run_ampbench(
      {"run", kSource + "/sequences/ci-loopback.toml", "--db", db, "--serial", "LATE", "--quiet"},
      "", as_reader);
  EXPECT_EQ(run.exit_code, 74) << run.err;
  EXPECT_EQ(run.err.rfind("ampbench: " + db + ": ", 0), 0u) << run.err;
  EXPECT_NE(run.err.find("is read-only"), std::string::npos) << run.err;
  EXPECT_EQ(ampbench::testing::scalar(db, "SELECT count(*) FROM runs"), "1");
  fs::permissions(archive, fs::perms::owner_all);
}

TEST(Faults, ALockedDatabaseIsWaitedForOrFailsClearly) {
  TempDir dir;
  const auto db = dir / "r.db";
  const auto sequence = kSource + "/sequences/ci-loopback.toml";
  ASSERT_EQ(run_ampbench({"run", sequence, "--db", db, "--quiet"}).exit_code, 0);
  const auto hold_lock = [&](std::chrono::milliseconds how_long) {
    return std::thread([db, how_long] {
      sqlite3* c = nullptr;
      sqlite3_open(db.c_str(), &c);
      sqlite3_exec(c, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
      std::this_thread::sleep_for(how_long);
      sqlite3_exec(c, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(c);
    });
  };
  {  // Another writer for 1.5 s: the run waits (busy timeout 30 s) and succeeds.
    auto locker = hold_lock(std::chrono::milliseconds(1500));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(run_ampbench({"run", sequence, "--db", db, "--quiet"}).exit_code, 0);
    locker.join();
  }
  {  // Longer than the station's busy timeout (4 s), between two steps: waited for 4 s
     // with a line saying so, the run ends ERROR naming the step that could not be stored,
     // and what was measured, kept in a side file, is imported by the next reader.
    TempDir d2;
    const auto seq = d2 / "long.toml";
    std::ofstream(seq) << "[sequence]\nname = \"long\"\nchannels = [\"L\", \"R\"]\n"
                          "[[step]]\nid = \"first\"\nkind = \"level\"\nstimulus = { frequency_hz = "
                          "1000, level = \"-20 dBV\" }\n"
                          "[[step]]\nid = \"sweep\"\nkind = \"thdn\"\ncapture_s = 0.3\nstimulus = "
                          "{ frequency_hz = 1000 }\n"
                          "sweep = { parameter = \"stimulus.level\", from = \"-40 dBV\", to = "
                          "\"-10 dBV\", points = 8 }\n"
                          "[[step]]\nid = \"after\"\nkind = \"level\"\nstimulus = { frequency_hz = "
                          "1000, level = \"-20 dBV\" }\n";
    std::ifstream station_in(kSource + "/instruments/sim-bench.toml");
    std::stringstream station_text;
    station_text << station_in.rdbuf() << "\n[results]\nbusy_timeout_s = 4\n";
    std::ofstream(d2 / "station.toml") << station_text.str();
    const pid_t pid = spawn_ampbench(
        {"run", seq, "--station", d2 / "station.toml", "--db", db, "--serial", "LOCKED"},
        d2 / "log");
    for (int i = 0;
         i < 400 &&
         ampbench::testing::scalar_if_ready(
             db,
             "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.serial = "
             "'LOCKED' AND s.step_id = 'first' AND s.verdict = 'PASS'") != "1";
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::atomic<bool> release{false};
    std::thread locker([&] {
      sqlite3* c = nullptr;
      sqlite3_open(db.c_str(), &c);
      sqlite3_exec(c, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      sqlite3_exec(c, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(c);
    });
    const int code = wait_exit(pid);
    const std::string log = ampbench::testing::slurp(d2 / "log");
    EXPECT_EQ(code, 74) << log;
    // One line while waiting (after 2 s), none after the first timeout: the run no longer
    // asks the locked database for anything.
    std::size_t waiting_lines = 0;
    for (std::size_t at = 0;
         (at = log.find("is locked by another writer", at)) != std::string::npos; ++at)
      ++waiting_lines;
    EXPECT_EQ(waiting_lines, 1u) << log;
    EXPECT_NE(log.find("step 'sweep' could not be stored"), std::string::npos) << log;
    EXPECT_NE(log.find("-pending/"), std::string::npos) << log;
    EXPECT_NE(log.find("sweep"), log.rfind("step 'sweep'"))
        << "the console shows the step: " << log;
    release = true;
    locker.join();
    // The next reader imports the side file: the run ERROR, the sweep with every point.
    const auto list = run_ampbench({"results", "list", "--db", db, "--serial", "LOCKED"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.out.find("ERROR"), std::string::npos) << list.out;
    EXPECT_EQ(scalar(db, "SELECT verdict FROM runs WHERE serial = 'LOCKED'"), "ERROR");
    EXPECT_EQ(scalar(db,
                     "SELECT group_concat(step_id || ':' || verdict) FROM (SELECT s.step_id, "
                     "s.verdict FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.serial = "
                     "'LOCKED' ORDER BY s.ordinal)"),
              "first:PASS,sweep:PASS");
    EXPECT_EQ(scalar(db,
                     "SELECT count(*) FROM measurements m JOIN steps s ON s.id = m.step_id JOIN "
                     "runs r ON r.id = s.run_id WHERE r.serial = 'LOCKED' AND s.step_id = 'sweep' "
                     "AND m.name = 'thdn_db'"),
              "16");
    EXPECT_TRUE(std::filesystem::is_empty(db + "-pending"));
  }
}

namespace {

// Files left in `dir` whose names say they are unfinished.
std::vector<std::string> partial_files(const std::filesystem::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.path().filename().string().find(".partial") != std::string::npos)
      found.push_back(e.path().string());
  return found;
}

// The binary with its standard output on `stdout_path`; its exit code.
int exit_code_writing_to(const std::vector<std::string>& args, const std::string& stdout_path,
                         const std::string& err_path) {
  std::string cmd = ampbench::testing::shell_quote(AMPBENCH_BINARY);
  for (const auto& a : args) cmd += " " + ampbench::testing::shell_quote(a);
  const int status = std::system((cmd + " >" + stdout_path + " 2>" + err_path).c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

// Every writer on a full disk (a 2 KB file-size limit stands for it: writes fail as on a
// full filesystem) exits 74 naming its file and leaves no partial file; a file that was
// there keeps its old contents. Standard output to /dev/full exits 74 too.
TEST(Faults, AFullDiskLeavesNoPartialFileAndEveryWriterExits74) {
  TempDir dir;
  const auto db = dir / "r.db";
  ASSERT_EQ(run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--db", db, "--serial",
                          "FULL-1", "--serial", "FULL-2", "--serial", "FULL-3", "--quiet"})
                .exit_code,
            0);
  // A rollback journal instead of the WAL: a reader then needs no shared-memory file, which
  // the limit would refuse before any output is written.
  {
    sqlite3* c = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &c), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(c, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(c);
  }
  const auto out = dir / "out";
  std::filesystem::create_directory(out);
  const std::string full_disk = "ulimit -f 4; trap '' XFSZ;";  // 4 blocks of 512 bytes
  std::ofstream(out + "/kept.csv") << "old contents\n";
  const std::vector<std::pair<std::vector<std::string>, std::string>> writers = {
      {{"results", "export", "--db", db, "-o", out + "/kept.csv"}, out + "/kept.csv"},
      {{"results", "export", "--db", db, "--format", "json", "-o", out + "/all.json"},
       out + "/all.json"},
      {{"report", "1", "--db", db, "-o", out + "/r.html"}, out + "/r.html"},
      {{"report", "1", "--db", db, "--format", "junit", "-o", out + "/r.xml"}, out + "/r.xml"},
      {{"report", "1", "--db", db, "--format", "curves", "-o", out + "/curves"}, out + "/curves"},
      {{"stats", "--db", db, "--html", out + "/line.html"}, out + "/line.html"},
  };
  for (const auto& [args, file] : writers) {
    SCOPED_TRACE(args[0] + " " + args[1] + " → " + file);
    const auto r = run_ampbench(args, "", full_disk);
    EXPECT_EQ(r.exit_code, 74) << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
    EXPECT_EQ(partial_files(dir.path), std::vector<std::string>{});
  }
  EXPECT_EQ(ampbench::testing::slurp(out + "/kept.csv"), "old contents\n");
  for (const char* name : {"all.json", "r.html", "r.xml", "line.html"})
    EXPECT_FALSE(std::filesystem::exists(out + "/" + name)) << name;
  // With room, the same writers finish.
  EXPECT_EQ(run_ampbench({"results", "export", "--db", db, "-o", out + "/kept.csv"}).exit_code, 0);
  EXPECT_NE(ampbench::testing::slurp(out + "/kept.csv").find("FULL-3"), std::string::npos);

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"results", "list", "--db", db},
           {"results", "show", "1", "--db", db},
           {"results", "export", "--db", db},
           {"results", "export", "--db", db, "--format", "json"},
           {"stats", "--db", db},
           {"report", "1", "--db", db, "--format", "csv", "-o", "/dev/full"}}) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    EXPECT_EQ(exit_code_writing_to(args, "/dev/full", dir / "err"), 74)
        << ampbench::testing::slurp(dir / "err");
    EXPECT_NE(ampbench::testing::slurp(dir / "err").find("write failed"), std::string::npos)
        << ampbench::testing::slurp(dir / "err");
  }
}

// A filesystem with no room at all for the database (a 32 KB file-size limit stands for it:
// the WAL cannot grow, nor can a side file): the run's measuring ends, its cleanup runs, and
// the verdict goes into the room its side file reserved when it began. Once there is room,
// the next reader (`results list`) finishes it: ERROR, no step left RUNNING.
TEST(Faults, AReallyFullFilesystemGetsTheVerdictWrittenByTheNextReader) {
  TempDir dir;
  const auto db = dir / "r.db";
  const auto sequence = kSource + "/sequences/poweramp-production.toml";
  ASSERT_EQ(run_ampbench({"run", sequence, "--db", db, "--serial", "ROOMY", "--quiet"}).exit_code,
            0);
  const auto full = run_ampbench({"run", sequence, "--db", db, "--serial", "FULL", "--quiet"}, "",
                                 "ulimit -f 64; trap '' XFSZ;");
  EXPECT_EQ(full.exit_code, 74) << full.err;
  EXPECT_NE(full.err.find("could not be stored"), std::string::npos) << full.err;
  EXPECT_NE(scalar(db, "SELECT verdict FROM runs WHERE serial = 'FULL'"), "PASS");
  const auto list = run_ampbench({"results", "list", "--db", db});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(scalar(db, "SELECT verdict FROM runs WHERE serial = 'FULL'"), "ERROR") << list.out;
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM steps WHERE verdict = 'RUNNING'"), "0");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM runs WHERE verdict = 'RUNNING'"), "0");
  EXPECT_TRUE(std::filesystem::is_empty(db + "-pending"));
  expect_finished_steps_complete(db);
}

TEST(Faults, SigkillAtTwentyRandomPoints) {
  TempDir dir;
  const auto db = dir / "r.db";
  const auto sequence = kSource + "/sequences/lab-characterisation.toml";
  std::mt19937 random(20261124);
  std::uniform_int_distribution<int> delay_ms(20, 2200);
  int mid_run = 0, finished = 0, steps_kept = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const pid_t pid = spawn_ampbench(
        {"run", sequence, "--db", db, "--serial", "K" + std::to_string(trial), "--quiet"},
        dir / "log");
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
    ::kill(pid, SIGKILL);
    const int code = wait_exit(pid);
    // A kill during the very first schema migration leaves an empty, valid database.
    const std::string verdict = ampbench::testing::scalar_if_ready(
        db, "SELECT verdict FROM runs WHERE serial = 'K" + std::to_string(trial) + "'");
    if (code == 128 + SIGKILL && verdict != "PASS")
      ++mid_run;
    else
      ++finished;
    expect_finished_steps_complete(db);
  }
  steps_kept =
      std::stoi(scalar(db, "SELECT count(*) FROM steps WHERE verdict IN ('PASS', 'FAIL')"));
  // The next writer marks every run a killed process left RUNNING as ABORTED.
  ASSERT_EQ(run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--db", db, "--quiet"})
                .exit_code,
            0);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM runs WHERE verdict = 'RUNNING'"), "0");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM steps WHERE verdict = 'RUNNING'"), "0");
  expect_finished_steps_complete(db);
  std::printf(
      "20 SIGKILL trials: %d killed mid-run, %d had finished or not begun; %d finished steps kept, "
      "%s runs ABORTED\n",
      mid_run, finished, steps_kept,
      scalar(db, "SELECT count(*) FROM runs WHERE verdict = 'ABORTED'").c_str());
  EXPECT_GE(mid_run, 10);
}

// SIGKILL in the middle of a round of four slots: every slot's run is RUNNING with its
// finished step kept, the file is intact, and the next writer marks all four ABORTED.
TEST(Faults, SigkillWithFourSlotsLeavesFourRunsAborted) {
  TempDir dir;
  const auto db = dir / "r.db";
  const pid_t pid =
      spawn_ampbench({"run", ampbench::testing::long_sequence(dir.path), "--station",
                      kSource + "/instruments/sim-4up.toml", "--serial", "S1=K1", "--serial",
                      "S2=K2", "--serial", "S3=K3", "--serial", "S4=K4", "--db", db, "--quiet"},
                     dir / "log");
  ASSERT_TRUE(ampbench::testing::wait_for_passed_steps(db, 4));
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_exit(pid), 128 + SIGKILL);
  EXPECT_EQ(scalar(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM runs WHERE verdict = 'RUNNING'"), "4");
  ASSERT_EQ(run_ampbench({"run", kSource + "/sequences/ci-loopback.toml", "--db", db, "--quiet"})
                .exit_code,
            0);
  EXPECT_EQ(scalar(db,
                   "SELECT group_concat(v, ' ') FROM (SELECT slot || ':' || verdict AS v "
                   "FROM runs WHERE slot IS NOT NULL ORDER BY slot)"),
            "S1:ABORTED S2:ABORTED S3:ABORTED S4:ABORTED");
  // Each slot's finished step, with its 15 measurements.
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM measurements m JOIN steps s ON s.id = m.step_id WHERE "
                   "s.step_id = 'quick' AND s.verdict = 'PASS'"),
            "60");
  expect_finished_steps_complete(db);
}
