// serve: `ampbench serve` through its JSON API, without a browser (SPEC §12, docs/serve.md):
// a unit started by the API runs to its verdict and is stored; a second start is refused;
// hostile serials are refused or stored as plain text; cross-origin POSTs are refused; a
// listener beyond loopback needs a token and refuses requests without it; a prompt is
// answered through the API; Abort and SIGKILL leave the run ABORTED.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "cli_fixtures.hpp"
#include "db_query.hpp"
#include "run_binary.hpp"
#include "serve/unit_counts.hpp"

using namespace ampbench::testing;

namespace {

// A port nobody listens on now (bound and released: another process could take it, rarely).
int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(s);
  return ntohs(address.sin_port);
}

// `ampbench serve` in the background, stopped (SIGTERM) at the end of the test.
struct Served {
  pid_t pid = -1;
  int port = 0;
  std::string log;
  httplib::Headers auth;
  Served(const TempDir& dir, const std::string& sequence, std::vector<std::string> extra = {},
         const std::string& host = "127.0.0.1")
      : port(free_port()), log(dir / "serve.log") {
    std::vector<std::string> args = {"serve",
                                     "--sequence",
                                     sequence,
                                     "--db",
                                     dir / "r.db",
                                     "--listen",
                                     host + ":" + std::to_string(port)};
    args.insert(args.end(), extra.begin(), extra.end());
    pid = spawn_ampbench(args, log);
  }
  ~Served() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      wait_exit(pid);
    }
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30, 0);
    c.set_default_headers(auth);
    return c;
  }
  bool ready() const {
    for (int i = 0; i < 200; ++i) {
      if (auto r = client().Get("/api/state"); r && (r->status == 200 || r->status == 401))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  nlohmann::json state() const {
    const auto r = client().Get("/api/state");
    if (!r || r->status != 200) {
      ADD_FAILURE() << "GET /api/state: " << (r ? r->body : httplib::to_string(r.error()));
      return {{"slots", {{{"state", "unreachable"}, {"prompt", nullptr}}}}};
    }
    return nlohmann::json::parse(r->body);
  }
  httplib::Result post(const std::string& path, const nlohmann::json& body) const {
    return client().Post(path.c_str(), body.dump(), "application/json");
  }
  // Waits until slot 1 is in `wanted` (idle, running, finished); its state then.
  nlohmann::json wait_for(const std::string& wanted, int seconds = 60) const {
    for (int i = 0; i < seconds * 20; ++i) {
      const auto slot = state()["slots"][0];
      if (slot["state"] == wanted) return slot;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return nullptr;
  }
};

// One short level step: a unit done in a moment.
std::string quick_sequence(const TempDir& dir) {
  const auto path = dir / "quick.toml";
  write(path, R"([sequence]
name = "quick"
channels = ["L", "R"]
[[step]]
id = "gain"
kind = "level"
capture_s = 0.1
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
)");
  return path;
}

std::string prompt_sequence(const TempDir& dir) {
  const auto path = dir / "prompt.toml";
  write(path, R"([sequence]
name = "with a prompt"
channels = ["L", "R"]
[[step]]
id = "gain"
kind = "level"
capture_s = 0.2
stimulus = { frequency_hz = 1000, level = "-20 dBV" }
[[step]]
id = "fan"
kind = "prompt"
message = "Does the fan run?"
choices = ["yes", "no"]
expect = "yes"
[[step]]
id = "tidy"
kind = "cleanup"
)");
  return path;
}

}  // namespace

TEST(Serve, AUnitStartedByTheApiRunsToItsVerdictAndASecondStartIsRefused) {
  TempDir dir;
  Served served(dir, prompt_sequence(dir));
  ASSERT_TRUE(served.ready()) << slurp(served.log);
  const auto state = served.state();
  EXPECT_EQ(state["sequence"], "with a prompt");
  ASSERT_EQ(state["slots"].size(), 1u);
  auto r = served.post("/api/slots/1/start", {{"serial", "API-1"}, {"operator", "Ann"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202) << r->body;
  // The prompt waits for its answer: meanwhile the slot is busy.
  nlohmann::json prompt;
  for (int i = 0; i < 1200 && prompt.is_null(); ++i) {
    prompt = served.state()["slots"][0]["prompt"];
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_FALSE(prompt.is_null()) << slurp(served.log);
  EXPECT_EQ(prompt["choices"], (nlohmann::json{"yes", "no"}));
  r = served.post("/api/slots/1/start", nlohmann::json{{"serial", "API-2"}});
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(r->body.find("is testing a unit"), std::string::npos) << r->body;
  EXPECT_EQ(served.post("/api/slots/1/answer", {{"prompt_id", 999999}, {"answer", "yes"}})->status,
            409);
  EXPECT_EQ(
      served.post("/api/slots/1/answer", {{"prompt_id", prompt["id"]}, {"answer", "yes"}})->status,
      200);
  const auto done = served.wait_for("finished");
  ASSERT_FALSE(done.is_null()) << slurp(served.log);
  EXPECT_EQ(done["verdict"], "PASS");
  EXPECT_EQ(done["last_units"][0]["serial"], "API-1");
  EXPECT_EQ(scalar(dir / "r.db", "SELECT serial || ' ' || operator || ' ' || verdict FROM runs"),
            "API-1 Ann PASS");
  EXPECT_EQ(scalar(dir / "r.db", "SELECT message FROM steps WHERE step_id = 'fan'"), "answer: yes");
  const auto runs = nlohmann::json::parse(served.client().Get("/api/runs")->body);
  ASSERT_EQ(runs.size(), 1u);
  const auto report = served.client().Get(
      ("/api/runs/" + std::to_string(runs[0]["id"].get<int>()) + "/report").c_str());
  EXPECT_EQ(report->status, 200);
  EXPECT_NE(report->body.find("API-1"), std::string::npos);
  const auto sequence = nlohmann::json::parse(served.client().Get("/api/sequence")->body);
  EXPECT_EQ(sequence["steps"].size(), 3u);
  EXPECT_NE(sequence["text"].get<std::string>().find("Does the fan run?"), std::string::npos);
  const auto station = nlohmann::json::parse(served.client().Get("/api/station")->body);
  EXPECT_EQ(station["name"], "sim-bench");
}

TEST(Serve, HostileSerialsAreRefusedOrKeptAsPlainText) {
  TempDir dir;
  Served served(dir, quick_sequence(dir));
  ASSERT_TRUE(served.ready()) << slurp(served.log);
  for (const std::string& serial :
       {std::string("A\nB"), std::string(5000, 'X'), std::string(""), std::string("tab\there")})
    EXPECT_EQ(served.post("/api/slots/1/start", nlohmann::json{{"serial", serial}})->status, 400)
        << serial.size();
  EXPECT_EQ(served.post("/api/slots/1/start", {{"serial", "OK"}, {"operator", "x\ny"}})->status,
            400);
  EXPECT_EQ(served.client()
                .Post("/api/slots/1/start", "serial=X", "application/x-www-form-urlencoded")
                ->status,
            415);
  // Markup and quotes are text: stored as typed, escaped in the report.
  const std::string hostile = "<script>alert(\"x\")</script>'";
  ASSERT_EQ(served.post("/api/slots/1/start", nlohmann::json{{"serial", hostile}})->status, 202);
  ASSERT_FALSE(served.wait_for("finished").is_null());
  EXPECT_EQ(scalar(dir / "r.db", "SELECT serial FROM runs"), hostile);
  const auto report = served.client().Get("/api/runs/1/report")->body;
  EXPECT_EQ(report.find("<script>alert"), std::string::npos);
  EXPECT_NE(report.find("&lt;script&gt;"), std::string::npos);
  // A page of another site may not start units here.
  httplib::Client other("127.0.0.1", served.port);
  const auto cross = other.Post("/api/slots/1/start", {{"Origin", "http://evil.example"}},
                                R"({"serial": "X"})", "application/json");
  EXPECT_EQ(cross->status, 403);
  EXPECT_EQ(served.post("/api/slots/9/start", nlohmann::json{{"serial", "X"}})->status, 404);
  EXPECT_EQ(served.client()
                .Post("/api/slots/1/start", std::string(20000, ' '), "application/json")
                ->status,
            413);
}

TEST(Serve, BeyondLoopbackATokenIsRequiredAndChecked) {
  TempDir dir;
  const auto refused = run_ampbench({"serve", "--sequence", kSource + "/sequences/ci-loopback.toml",
                                     "--db", dir / "r.db", "--listen", "0.0.0.0:0"});
  EXPECT_EQ(refused.exit_code, 64);
  EXPECT_NE(refused.err.find("--token-file"), std::string::npos) << refused.err;
  const std::string token = "a-long-enough-token-0123456789";
  write(dir / "token", token + "\n");
  Served served(dir, kSource + "/sequences/ci-loopback.toml", {"--token-file", dir / "token"},
                "0.0.0.0");
  ASSERT_TRUE(served.ready()) << slurp(served.log);
  EXPECT_EQ(served.client().Get("/api/state")->status, 401);
  served.auth = {{"Authorization", "Bearer wrong-token-wrong-token"}};
  EXPECT_EQ(served.client().Get("/api/state")->status, 401);
  EXPECT_EQ(served.post("/api/slots/1/start", nlohmann::json{{"serial", "X"}})->status, 401);
  served.auth = {{"Authorization", "Bearer " + token}};
  EXPECT_EQ(served.client().Get("/api/state")->status, 200);
  EXPECT_EQ(served.client().Get("/")->status, 200);  // the page itself holds no data
  // Signing in: the token once, for an HttpOnly, SameSite=Strict session cookie.
  served.auth = {};
  EXPECT_EQ(served.post("/api/session", {{"token", "wrong-token-wrong-token"}})->status, 401);
  const auto signed_in = served.post("/api/session", {{"token", token}});
  ASSERT_EQ(signed_in->status, 200);
  const std::string cookie = signed_in->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  served.auth = {{"Cookie", cookie.substr(0, cookie.find(';'))}};
  EXPECT_EQ(served.client().Get("/api/state")->status, 200);
  served.auth = {{"Cookie", "ampbench_session=0123456789abcdef0123456789abcdef"}};
  EXPECT_EQ(served.client().Get("/api/state")->status, 401);
  EXPECT_EQ(slurp(served.log).find(token), std::string::npos);
}

TEST(Serve, AbortAndSigkillLeaveTheRunAborted) {
  TempDir dir;
  {
    Served served(dir, long_sequence(dir.path));
    ASSERT_TRUE(served.ready()) << slurp(served.log);
    ASSERT_EQ(served.post("/api/slots/1/start", nlohmann::json{{"serial", "AB-1"}})->status, 202);
    ASSERT_TRUE(wait_for_passed_steps(dir / "r.db", 1));
    EXPECT_EQ(served.post("/api/slots/1/abort", nlohmann::json::object())->status, 202);
    const auto done = served.wait_for("finished");
    ASSERT_FALSE(done.is_null());
    EXPECT_EQ(done["verdict"], "ABORTED");
    EXPECT_EQ(scalar(dir / "r.db", "SELECT verdict FROM runs WHERE serial = 'AB-1'"), "ABORTED");
    EXPECT_EQ(scalar(dir / "r.db", "SELECT verdict FROM steps WHERE step_id = 'tidy'"), "PASS");
    EXPECT_EQ(served.post("/api/slots/1/abort", nlohmann::json::object())->status, 409);
    ASSERT_EQ(served.post("/api/slots/1/start", nlohmann::json{{"serial", "KILL-1"}})->status, 202);
    ASSERT_TRUE(wait_for_passed_steps(dir / "r.db", 3));  // AB-1's two, KILL-1's first
    ::kill(served.pid, SIGKILL);
    EXPECT_EQ(wait_exit(served.pid), 128 + SIGKILL);
    served.pid = -1;
  }
  EXPECT_EQ(scalar(dir / "r.db", "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(scalar(dir / "r.db", "SELECT verdict FROM runs WHERE serial = 'KILL-1'"), "RUNNING");
  ASSERT_EQ(run_ampbench(
                {"run", kSource + "/sequences/ci-loopback.toml", "--db", dir / "r.db", "--quiet"})
                .exit_code,
            0);
  EXPECT_EQ(scalar(dir / "r.db", "SELECT verdict FROM runs WHERE serial = 'KILL-1'"), "ABORTED");
  EXPECT_EQ(scalar(dir / "r.db",
                   "SELECT count(*) FROM steps s JOIN runs r ON r.id = s.run_id WHERE r.serial = "
                   "'KILL-1' AND s.verdict = 'PASS'"),
            "1");
}

// A station that requires a calibration serves its pages without one, says why, and refuses
// every start until `calibrate` stores records — then starts units without a restart.
// On a production line every run names its operator: a start without one (or only spaces)
// is refused, saying to sign in; a signed-in start runs and stores the name and the line.
TEST(Serve, ALineStationStartsUnitsOnlyForASignedInOperator) {
  TempDir dir;
  const std::string station = dir / "station.toml";
  std::string text = slurp(kStation);
  const std::string key = "name = \"sim-bench\"";
  text.replace(text.find(key), key.size(), key + "\nline = \"L1\"");
  write(station, text);
  Served served(dir, quick_sequence(dir), {"--station", station});
  ASSERT_TRUE(served.ready()) << slurp(served.log);
  for (const nlohmann::json& body : {nlohmann::json{{"serial", "L-1"}},
                                     nlohmann::json{{"serial", "L-1"}, {"operator", "  "}}}) {
    const auto r = served.post("/api/slots/1/start", body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_NE(r->body.find("production line L1: sign in"), std::string::npos) << r->body;
  }
  EXPECT_EQ(served.state()["slots"][0]["state"], "idle");
  ASSERT_EQ(served.post("/api/slots/1/start", {{"serial", "L-1"}, {"operator", "Ann"}})->status,
            202);
  ASSERT_FALSE(served.wait_for("finished").is_null()) << slurp(served.log);
  EXPECT_EQ(scalar(dir / "r.db", "SELECT serial || ' ' || operator || ' ' || line FROM runs"),
            "L-1 Ann L1");
}

TEST(Serve, AnUncalibratedStationRefusesUnitsUntilCalibrated) {
  TempDir dir;
  const std::string station = dir / "station.toml";
  write(station, slurp(kStation) + "\n[calibration]\nrequired = true\n");
  Served served(dir, prompt_sequence(dir), {"--station", station});
  ASSERT_TRUE(served.ready()) << slurp(served.log);
  const auto problem = served.state()["calibration"]["problem"];
  ASSERT_TRUE(problem.is_string());
  EXPECT_NE(problem.get<std::string>().find("output 1: no calibration record"), std::string::npos)
      << problem;
  auto r = served.post("/api/slots/1/start", {{"serial", "UNCAL-1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409);
  EXPECT_NE(r->body.find("requires a valid calibration"), std::string::npos) << r->body;
  EXPECT_EQ(served.state()["slots"][0]["state"], "idle");
  // A typed reading of 0.2 V at −20 dBFS: 2.0 V per full scale, the station's own claim.
  const auto calibrated = run_ampbench({"calibrate", "--station", station, "--db", dir / "r.db",
                                        "--reading", "0.2", "--settle", "0.05", "--duration", "1"});
  ASSERT_EQ(calibrated.exit_code, 0) << calibrated.err;
  r = served.post("/api/slots/1/start", {{"serial", "CAL-1"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202) << r->body;
  EXPECT_TRUE(served.state()["calibration"]["problem"].is_null());
}

namespace {

// An open page's event stream on a socket of its own; its response's status code.
struct OpenStream {
  int fd = -1;
  int status = 0;
  explicit OpenStream(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return;
    const std::string request =
        "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
    if (::send(fd, request.data(), request.size(), 0) < 0) return;
    char head[16] = {};
    if (::recv(fd, head, 12, MSG_WAITALL) == 12) status = std::atoi(head + 9);
  }
  ~OpenStream() { ::close(fd); }
  OpenStream(const OpenStream&) = delete;
  OpenStream& operator=(const OpenStream&) = delete;
};

}  // namespace

// Fifty open pages take none of the workers the API needs; beyond 64 a page is refused with
// a reason; pages that close free their streams within seconds.
TEST(Serve, FiftyOpenPagesLeaveTheApiAnsweringAndClosedOnesAreReleased) {
  TempDir dir;
  Served served(dir, prompt_sequence(dir));
  ASSERT_TRUE(served.ready()) << slurp(served.log);
  std::vector<std::unique_ptr<OpenStream>> pages;
  for (int i = 0; i < 50; ++i) pages.push_back(std::make_unique<OpenStream>(served.port));
  for (const auto& page : pages) ASSERT_EQ(page->status, 200);
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = served.client().Get("/api/state");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  EXPECT_LT(ms[ms.size() / 2], 100.0) << "median /api/state with 50 pages open, ms";
  for (int i = 0; i < 15; ++i) pages.push_back(std::make_unique<OpenStream>(served.port));
  const auto refused =
      std::count_if(pages.begin(), pages.end(), [](const auto& p) { return p->status == 503; });
  EXPECT_EQ(refused, 1) << "65 pages: the 65th is refused";
  // With every stream the station allows open, a start is still answered at once: no request
  // waits for a worker, so none is carried out after its client gave up.
  auto impatient = served.client();
  impatient.set_read_timeout(1, 0);
  const auto t0 = std::chrono::steady_clock::now();
  const auto started = impatient.Post(
      "/api/slots/1/start", nlohmann::json{{"serial", "BUSY-1"}}.dump(), "application/json");
  ASSERT_TRUE(started) << "a start waited more than 1 s with 64 pages open";
  EXPECT_EQ(started->status, 202);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  pages.clear();
  // Closed pages are found by the next write (one a second) and let go.
  bool all_open = false;
  for (int attempt = 0; attempt < 10 && !all_open; ++attempt) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    for (int i = 0; i < 64; ++i) pages.push_back(std::make_unique<OpenStream>(served.port));
    all_open =
        std::all_of(pages.begin(), pages.end(), [](const auto& p) { return p->status == 200; });
    pages.clear();
  }
  EXPECT_TRUE(all_open) << "64 new pages after the old ones closed";
}

// A page of another site resolving its own name to this station (DNS rebinding) is refused;
// every response carries the security headers.
TEST(Serve, ForeignHostNamesAreRefusedAndResponsesCarrySecurityHeaders) {
  TempDir dir;
  Served served(dir, prompt_sequence(dir), {"--allowed-host", "bench7.line.example"});
  ASSERT_TRUE(served.ready()) << slurp(served.log);
  auto client = served.client();
  const auto rebound =
      client.Get("/api/state", {{"Host", "evil.example:" + std::to_string(served.port)}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 421);
  const auto named = client.Get("/api/state", {{"Host", "bench7.line.example"}});
  ASSERT_TRUE(named);
  EXPECT_EQ(named->status, 200);
  const auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  const auto unknown = client.Get("/api/runs/0123abcd-0000-4000-8000-000000000000");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(unknown->body.find(dir / "r.db"), std::string::npos) << "no database path in a reply";
}

// The header's counts against a hand count: units are serial numbers, aborted and running
// runs test nothing, a unit's later runs are retests; the day and the shift are local.
TEST(UnitCounts, CountsUnitsFirstPassAndRetestsPerLocalDayAndShift) {
  using ampbench::record::RunRecord;
  using ampbench::record::Verdict;
  const auto run = [](const std::string& serial, Verdict verdict, const std::string& at) {
    RunRecord r;
    r.serial = serial;
    r.verdict = verdict;
    r.started_at = at;
    return r;
  };
  const std::vector<RunRecord> runs = {
      run("E", Verdict::pass, "2026-12-03T20:00:00.000Z"),  // before the period
      run("A", Verdict::pass, "2026-12-03T23:10:00.000Z"),
      run("B", Verdict::fail, "2026-12-03T23:20:00.000Z"),
      run("B", Verdict::pass, "2026-12-03T23:30:00.000Z"),
      run("C", Verdict::aborted, "2026-12-03T23:40:00.000Z"),
      run("D", Verdict::running, "2026-12-03T23:50:00.000Z"),
      run("A", Verdict::pass, "2026-12-04T00:10:00.000Z")};
  const auto counts = ampbench::serve::count_units(runs, "2026-12-03T23:00:00.000Z");
  EXPECT_EQ(counts.units, 2);
  EXPECT_EQ(counts.first_pass, 1);
  EXPECT_EQ(counts.retests, 2);

  const char* old_tz = std::getenv("TZ");
  const std::string saved = old_tz ? old_tz : "";
  ::setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);  // Berlin, without tzdata
  ::tzset();
  const std::time_t at_0530_local = 1796358600;  // 2026-12-04T04:30:00Z, 05:30 in Berlin
  const auto day = ampbench::serve::local_day(at_0530_local);
  EXPECT_EQ(day.name, "2026-12-04");
  EXPECT_EQ(day.since_utc, "2026-12-03T23:00:00.000Z");
  const auto night = ampbench::serve::current_shift(at_0530_local, {360, 840, 1320});
  ASSERT_TRUE(night.has_value());
  EXPECT_EQ(night->name, "shift 22:00");
  EXPECT_EQ(night->since_utc, "2026-12-03T21:00:00.000Z");
  const auto early = ampbench::serve::current_shift(at_0530_local + 3600, {360, 840, 1320});
  EXPECT_EQ(early->since_utc, "2026-12-04T05:00:00.000Z");
  EXPECT_FALSE(ampbench::serve::current_shift(at_0530_local, {}).has_value());
  if (old_tz)
    ::setenv("TZ", saved.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
}
