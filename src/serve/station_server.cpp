#include "serve/station_server.hpp"

#include <httplib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

#include "common/error.hpp"
#include "common/text.hpp"
#include "report/export.hpp"
#include "report/html.hpp"
#include "sequence/checks.hpp"
#include "serve/pages.hpp"
#include "serve/slot_unit.hpp"
#include "stats/line_stats.hpp"
#include "stats/pareto.hpp"
#include "stats/stats_json.hpp"

namespace ampbench::serve {
namespace {

constexpr std::size_t kMaxRequestBytes = 16 * 1024;
// Each open page holds one event stream, and cpp-httplib gives each a worker for its life:
// the pool has room for kMaxStreams of them and still answers everything else at once.
constexpr int kMaxStreams = 64;
constexpr std::size_t kWorkers = kMaxStreams + 16;
// How often a quiet stream is written to: a page that closed is found (the write fails) and
// its worker freed within about this.
constexpr auto kStreamProbe = std::chrono::seconds(1);
constexpr std::size_t kMaxAnswerBytes = 1000;
constexpr std::size_t kMaxOperatorBytes = 64;
// A browser signed in with the token holds a session cookie this long (a long shift).
constexpr auto kSessionLife = std::chrono::hours(14);
constexpr const char* kSessionCookie = "ampbench_session";

struct Listen {
  std::string host;
  int port = 0;
  bool loopback = false;
  bool wildcard = false;  // 0.0.0.0 or ::, every address of this computer
};

Listen parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw UsageError("--listen '" + text + "': expected HOST:PORT, e.g. 127.0.0.1:8080");
  Listen out;
  out.host = text.substr(0, colon);
  if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  try {
    std::size_t used = 0;
    out.port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || out.port < 0 || out.port > 65535) throw 0;
  } catch (...) {
    throw UsageError("--listen '" + text + "': the port must be a number from 0 to 65535");
  }
  out.loopback = out.host == "127.0.0.1" || out.host == "::1" || out.host == "localhost";
  out.wildcard = out.host == "0.0.0.0" || out.host == "::";
  return out;
}

std::string sha256(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// Printable text of at most `limit` bytes (tabs and line ends refused too): what a name or
// an answer may hold before it goes into the store and the pages.
std::string text_problem(const std::string& text, std::size_t limit) {
  if (text.size() > limit)
    return "is " + std::to_string(text.size()) + " bytes long; at most " + std::to_string(limit);
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return "holds a control character";
  return "";
}

// The prompt step admits these pictures only (sequence/steps/prompt.cpp).
const char* picture_type(const std::string& path) {
  const auto dot = path.rfind('.');
  const std::string extension = dot == std::string::npos ? "" : path.substr(dot);
  if (extension == ".jpg" || extension == ".jpeg") return "image/jpeg";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".webp") return "image/webp";
  return "image/png";
}

void reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void refuse(httplib::Response& res, int status, const std::string& why) {
  reply(res, status, {{"error", why}});
}

// The request's JSON object, or nullopt after answering 400.
std::optional<nlohmann::json> json_body(const httplib::Request& req, httplib::Response& res) {
  try {
    auto body = nlohmann::json::parse(req.body);
    if (body.is_object()) return body;
  } catch (const nlohmann::json::exception&) {
  }
  refuse(res, 400, "the request body must be a JSON object");
  return std::nullopt;
}

std::string string_field(const nlohmann::json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

class Server {
 public:
  Server(const ServeOptions& options, const Listen& listen, ServeBench& bench,
         std::optional<std::string> token)
      : options_(options), listen_(listen), bench_(bench), live_(initial_state()) {
    if (token) token_hash_ = sha256(*token);
    for (std::size_t s = 0; s < bench_.slots().size(); ++s)
      units_.push_back(std::make_unique<SlotUnit>(bench_, live_, s));
    if (!options.serial_pattern.empty()) {
      try {
        serial_pattern_.emplace(options.serial_pattern);
      } catch (const std::regex_error& e) {
        throw UsageError("--serial-pattern '" + options.serial_pattern + "': " + e.what());
      }
    }
    routes();
  }

  httplib::Server& http() { return http_; }

  // The counts move with the clock too (midnight, a shift's start), not only with units.
  void refresh_counts() {
    const auto counts = bench_.unit_counts();
    if (live_.snapshot()["today"] != counts)
      live_.update([&](nlohmann::json& state) { state["today"] = counts; });
  }

  void stop(int signal) {
    for (auto& unit : units_) unit->abort(signal);
    for (auto& unit : units_) unit->join();
    live_.close();
    http_.stop();
  }

 private:
  nlohmann::json initial_state() {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& step : bench_.plan().steps)
      steps.push_back({{"id", step.id}, {"kind", step.kind_name()}, {"verdict", nullptr}});
    nlohmann::json slots = nlohmann::json::array();
    for (std::size_t s = 0; s < bench_.slots().size(); ++s)
      slots.push_back({{"index", s + 1},
                       {"name", bench_.slots()[s].name},
                       {"state", "idle"},
                       {"steps", steps},
                       {"failures", nlohmann::json::array()},
                       {"notices", nlohmann::json::array()},
                       {"last_units", nlohmann::json::array()},
                       {"expected_step_s", nlohmann::json::array()},
                       {"prompt", nullptr}});
    return {{"station", bench_.station().name},
            {"sequence", bench_.plan().name},
            {"serial_pattern", options_.serial_pattern},
            {"slots", slots},
            {"today", bench_.unit_counts()},
            {"calibration", calibration_state(bench_.recheck_calibration())}};
  }

  nlohmann::json calibration_state(const std::string& problem) const {
    return {{"problem", problem.empty() ? nlohmann::json() : nlohmann::json(problem)},
            {"note", bench_.calibration_note()}};
  }

  SlotUnit* unit_named(const std::string& key) {
    for (std::size_t s = 0; s < units_.size(); ++s)
      if (bench_.slots()[s].name == key || std::to_string(s + 1) == key) return units_[s].get();
    return nullptr;
  }

  // Requests under /api/ need the token when there is one; state-changing ones must come
  // from this station's own pages (same origin) or from a program that sends no Origin.
  // Whether a Host header names this station: its listen address (for loopback, any of
  // its loopback names), or one of --allowed-host; with or without the port. A page of
  // another site that resolves its own name to this address (DNS rebinding) sends its own.
  bool host_allowed(const std::string& host) const {
    if (listen_.wildcard && options_.allowed_hosts.empty()) return true;  // token-guarded
    const std::string port = ":" + std::to_string(listen_.port);
    std::vector<std::string> names = options_.allowed_hosts;
    const bool v6 = listen_.host.find(':') != std::string::npos;
    names.push_back(v6 ? "[" + listen_.host + "]" : listen_.host);
    if (listen_.loopback) names.insert(names.end(), {"localhost", "127.0.0.1", "[::1]"});
    for (const auto& name : names)
      if (host == name || host == name + port) return true;
    return false;
  }

  // The value of the session cookie in the request, or "".
  static std::string session_cookie(const httplib::Request& req) {
    const std::string cookies = req.get_header_value("Cookie");
    const std::string name = std::string(kSessionCookie) + "=";
    for (std::size_t at = 0; at < cookies.size();) {
      while (at < cookies.size() && (cookies[at] == ' ' || cookies[at] == ';')) ++at;
      const auto end = std::min(cookies.find(';', at), cookies.size());
      if (cookies.compare(at, name.size(), name) == 0)
        return cookies.substr(at + name.size(), end - at - name.size());
      at = end;
    }
    return "";
  }

  bool session_valid(const std::string& session) {
    if (session.empty()) return false;
    std::lock_guard lock(sessions_mutex_);
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(sessions_, [&](const auto& s) { return s.second < now; });
    return sessions_.count(sha256(session)) > 0;
  }

  bool token_given(const httplib::Request& req) const {
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    const std::string given =
        header.rfind(prefix, 0) == 0 ? sha256(header.substr(prefix.size())) : std::string();
    return given.size() == token_hash_->size() &&
           CRYPTO_memcmp(given.data(), token_hash_->data(), given.size()) == 0;
  }

  // POST /api/session {"token": …}: the token once, for an HttpOnly, SameSite=Strict cookie
  // that every tab of the browser sends with every request — pictures and reports too, which
  // cannot carry a header.
  void sign_in(const httplib::Request& req, httplib::Response& res) {
    const auto body = json_body(req, res);
    if (!body) return;
    if (!token_hash_) return reply(res, 200, {{"session", false}});
    const std::string token = string_field(*body, "token");
    const std::string given = sha256(token);
    if (CRYPTO_memcmp(given.data(), token_hash_->data(), given.size()) != 0)
      return refuse(res, 401, "that is not this station's token");
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1) return refuse(res, 500, "no random numbers");
    std::string session;
    for (unsigned char b : random) session += fmt("%02x", b);
    {
      std::lock_guard lock(sessions_mutex_);
      sessions_[sha256(session)] = std::chrono::steady_clock::now() + kSessionLife;
    }
    res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + session +
                                     "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" +
                                     std::to_string(std::chrono::seconds(kSessionLife).count()));
    reply(res, 200, {{"session", true}});
  }

  httplib::Server::HandlerResponse guard(const httplib::Request& req, httplib::Response& res) {
    if (!host_allowed(req.get_header_value("Host"))) {
      refuse(res, 421,
             "this station does not answer to the host name '" +
                 req.get_header_value("Host").substr(0, 100) + "' (serve --allowed-host adds one)");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.path.rfind("/api/", 0) != 0) return httplib::Server::HandlerResponse::Unhandled;
    const bool signing_in = req.path == "/api/session" && req.method == "POST";
    if (token_hash_ && !signing_in && !token_given(req) && !session_valid(session_cookie(req))) {
      res.set_header("WWW-Authenticate", "Bearer");
      refuse(res, 401,
             "this station needs its token: sign in (POST /api/session) or send "
             "'Authorization: Bearer TOKEN'");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "POST") {
      const std::string origin = req.get_header_value("Origin");
      const std::string host = req.get_header_value("Host");
      const bool same = origin.empty() || origin == "http://" + host || origin == "https://" + host;
      if (!same || req.get_header_value("Sec-Fetch-Site") == "cross-site") {
        refuse(res, 403, "cross-origin requests may not change this station");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
        refuse(res, 415, "send the request body as application/json");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  void routes() {
    http_.set_payload_max_length(kMaxRequestBytes);
    http_.set_pre_routing_handler([this](const auto& req, auto& res) { return guard(req, res); });
    http_.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    http_.set_exception_handler([](const auto&, auto& res, std::exception_ptr error) {
      try {
        std::rethrow_exception(error);
      } catch (const InputError&) {
        // A run or record that is not there; the message would name the database file.
        refuse(res, 404, "not found");
      } catch (const UsageError& e) {
        refuse(res, 400, e.what());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "serve: internal error: %s\n", e.what());
        refuse(res, 500, "internal error (the station's log says more)");
      } catch (...) {
        refuse(res, 500, "internal error");
      }
    });
    // Every response: no framing by other sites, no sniffing a JSON answer into a script,
    // scripts and styles only from this station (the pages' own are inline).
    http_.set_post_routing_handler([](const auto&, auto& res) {
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("X-Frame-Options", "DENY");
      res.set_header("Referrer-Policy", "no-referrer");
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' "
                     "'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'; "
                     "base-uri 'none'; form-action 'self'");
    });
    // One line per request, never a header (a token stays out of the log).
    http_.set_logger([](const auto& req, const auto& res) {
      if (req.path != "/api/events")
        std::fprintf(stderr, "serve: %s %s %d\n", req.method.c_str(), req.path.c_str(), res.status);
    });
    http_.Get("/", [](const auto&, auto& res) { res.set_content(kOperatorPage, "text/html"); });
    http_.Get("/supervisor",
              [](const auto&, auto& res) { res.set_content(kSupervisorPage, "text/html"); });
    http_.Get("/station.css",
              [](const auto&, auto& res) { res.set_content(kStationStyle, "text/css"); });
    http_.Get("/api/state", [this](const auto&, auto& res) { reply(res, 200, live_.snapshot()); });
    http_.Post("/api/session", [this](const auto& req, auto& res) { sign_in(req, res); });
    http_.Get("/api/events", [this](const auto&, auto& res) { events(res); });
    http_.Post(R"(/api/slots/([^/]+)/start)",
               [this](const auto& req, auto& res) { start(req, res); });
    http_.Post(R"(/api/slots/([^/]+)/abort)", [this](const auto& req, auto& res) {
      SlotUnit* unit = unit_named(req.matches[1]);
      if (!unit) return refuse(res, 404, "no such slot");
      if (!unit->abort()) return refuse(res, 409, "no unit is being tested in this slot");
      reply(res, 202, {{"aborting", true}});
    });
    http_.Post(R"(/api/slots/([^/]+)/answer)",
               [this](const auto& req, auto& res) { answer(req, res); });
    http_.Get(R"(/api/slots/([^/]+)/prompt-image)", [this](const auto& req, auto& res) {
      SlotUnit* unit = unit_named(req.matches[1]);
      const std::string path = unit ? unit->prompt_image() : "";
      if (path.empty()) return refuse(res, 404, "no picture is waiting");
      std::ifstream in(path, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      res.set_content(bytes.str(), picture_type(path));
    });
    http_.Get("/api/runs", [this](const auto& req, auto& res) { runs(req, res); });
    http_.Get(R"(/api/runs/([0-9a-f-]+))", [this](const auto& req, auto& res) {
      const auto run =
          bench_.with_store([&](auto& store) { return store.load_run(req.matches[1]); });
      reply(res, 200, report::run_to_json(run, false));
    });
    http_.Get(R"(/api/runs/([0-9a-f-]+)/report)", [this](const auto& req, auto& res) {
      const auto run =
          bench_.with_store([&](auto& store) { return store.load_run(req.matches[1]); });
      res.set_content(report::render_html(run), "text/html");
    });
    http_.Get("/api/stats", [this](const auto&, auto& res) {
      store::RunFilter filter;
      filter.station = bench_.station().name;
      filter.limit = 0;
      // Gathered by the store: a station's years of runs in the figures' memory.
      auto [j, pareto] = bench_.with_store([&](auto& store) {
        return std::pair{stats::to_json(stats::line_stats(store, filter, {})),
                         stats::to_json(stats::pareto(store, filter))};
      });
      j["pareto"] = std::move(pareto);
      reply(res, 200, j);
    });
    http_.Get("/api/station", [this](const auto&, auto& res) {
      reply(res, 200,
            {{"name", bench_.station().name},
             {"line", bench_.station().line},
             {"path", bench_.station().path},
             {"text", bench_.station().text},
             {"slots", live_.snapshot()["slots"].size()}});
    });
    http_.Get("/api/sequence", [this](const auto&, auto& res) {
      nlohmann::json steps = nlohmann::json::array();
      for (const auto& step : bench_.plan().steps)
        steps.push_back({{"id", step.id}, {"kind", step.kind_name()}, {"params", step.params}});
      reply(res, 200,
            {{"name", bench_.plan().name},
             {"path", bench_.plan().path},
             {"text", bench_.plan().text},
             {"channels", bench_.plan().channels},
             {"steps", steps}});
    });
    http_.set_error_handler([](const auto& req, auto& res) {
      if (res.body.empty() && req.path.rfind("/api/", 0) == 0)
        refuse(res, res.status, res.status == 413 ? "the request is too large" : "not found");
    });
  }

  void start(const httplib::Request& req, httplib::Response& res) {
    SlotUnit* unit = unit_named(req.matches[1]);
    if (!unit) return refuse(res, 404, "no such slot");
    const auto body = json_body(req, res);
    if (!body) return;
    const std::string serial = string_field(*body, "serial");
    const std::string operator_name = string_field(*body, "operator");
    if (const auto problem = record::serial_problem(serial); !problem.empty())
      return refuse(res, 400, "the serial " + problem);
    if (serial_pattern_ && !std::regex_match(serial, *serial_pattern_))
      return refuse(res, 400,
                    "the serial does not match this station's pattern " + options_.serial_pattern +
                        ": a wrong label scanned?");
    if (const auto problem = text_problem(operator_name, kMaxOperatorBytes); !problem.empty())
      return refuse(res, 400, "the operator name " + problem);
    // A line's runs name who tested each unit, as they name the unit.
    if (const auto& line = bench_.station().line;
        !line.empty() && operator_name.find_first_not_of(' ') == std::string::npos)
      return refuse(res, 400,
                    "this station is on production line " + line +
                        ": sign in (the operator field) before starting a unit");
    const std::string uncalibrated = bench_.recheck_calibration();
    const auto calibration = calibration_state(uncalibrated);
    live_.update([&](nlohmann::json& state) {
      if (state["calibration"] != calibration) state["calibration"] = calibration;
    });
    if (!uncalibrated.empty()) return refuse(res, 409, uncalibrated);
    try {
      unit->start(serial, operator_name);
    } catch (const UsageError& e) {
      return refuse(res, 409, e.what());
    }
    reply(res, 202, {{"started", serial}});
  }

  void answer(const httplib::Request& req, httplib::Response& res) {
    SlotUnit* unit = unit_named(req.matches[1]);
    if (!unit) return refuse(res, 404, "no such slot");
    const auto body = json_body(req, res);
    if (!body) return;
    const std::string text = string_field(*body, "answer");
    if (const auto problem = text_problem(text, kMaxAnswerBytes); !problem.empty())
      return refuse(res, 400, "the answer " + problem);
    const auto id = body->find("prompt_id");
    if (id == body->end() || !id->is_number_unsigned())
      return refuse(res, 400, "prompt_id: the id of the prompt answered (from the state)");
    try {
      unit->answer(id->get<std::uint64_t>(), text);
    } catch (const UsageError& e) {
      return refuse(res, 409, e.what());
    }
    reply(res, 200, {{"answered", true}});
  }

  void runs(const httplib::Request& req, httplib::Response& res) {
    store::RunFilter filter;
    filter.station = bench_.station().name;
    filter.limit = 50;
    if (req.has_param("limit"))
      filter.limit = std::clamp(std::atoi(req.get_param_value("limit").c_str()), 1, 1000);
    if (req.has_param("serial")) filter.serial = req.get_param_value("serial");
    if (req.has_param("slot")) filter.slot = req.get_param_value("slot");
    const auto runs = bench_.with_store([&](auto& store) { return store.list_runs(filter); });
    nlohmann::json out = nlohmann::json::array();
    for (const auto& run : runs) out.push_back(report::run_to_json(run, false));
    reply(res, 200, out);
  }

  // Server-Sent Events: the whole state now, then again after each change; a comment every
  // 15 s keeps proxies from closing a quiet stream.
  // Server-Sent Events: the whole state now, then again after each change. A quiet stream
  // gets a comment every kStreamProbe, so a page that closed frees its worker at once; at
  // most kMaxStreams pages, the next one refused with a reason (it retries in 5 s).
  void events(httplib::Response& res) {
    if (streams_.fetch_add(1) >= kMaxStreams) {
      streams_.fetch_sub(1);
      res.set_header("Retry-After", "5");
      return refuse(res, 503,
                    "too many pages are open on this station (" + std::to_string(kMaxStreams) +
                        "): close one");
    }
    res.set_header("Cache-Control", "no-store");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, version = std::uint64_t{0}](std::size_t, httplib::DataSink& sink) mutable {
          if (version == 0) {
            const auto now = live_.snapshot();
            const std::string first = "retry: 1000\ndata: " + now.dump() + "\n\n";
            version = 1;
            return sink.write(first.data(), first.size());
          }
          const auto seen = live_.wait_newer(version, kStreamProbe);
          if (!sink.is_writable()) return false;
          if (!seen) {
            static const std::string keep_alive = ":\n\n";
            return sink.write(keep_alive.data(), keep_alive.size());
          }
          version = seen->version;
          const std::string event = "data: " + seen->state.dump() + "\n\n";
          return sink.write(event.data(), event.size());
        },
        [this](bool) { streams_.fetch_sub(1); });
  }

  const ServeOptions& options_;
  Listen listen_;
  ServeBench& bench_;
  std::atomic<int> streams_{0};
  LiveState live_;
  std::vector<std::unique_ptr<SlotUnit>> units_;
  std::optional<std::string> token_hash_;
  std::mutex sessions_mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> sessions_;  // sha256 → expiry
  std::optional<std::regex> serial_pattern_;
  httplib::Server http_;
};

}  // namespace

std::optional<std::string> read_token(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream in(path);
  if (!in) throw UsageError("--token-file " + path + ": cannot read it");
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.size() < 16)
    throw UsageError("--token-file " + path + ": the token must be at least 16 characters");
  return token;
}

int serve(const ServeOptions& options, sequence::SequencePlan plan, sequence::Station station,
          const std::atomic<int>& stop_signal) {
  const Listen listen = parse_listen(options.listen);
  const auto token = read_token(options.token_file);
  if (!listen.loopback && !token)
    throw UsageError("--listen " + options.listen +
                     " reaches beyond this computer: give --token-file (SPEC §12)");
  ServeBench bench(std::move(plan), std::move(station), options.db_path);
  Server server(options, listen, bench, token);
  if (!server.http().bind_to_port(listen.host, listen.port))
    throw IoError("--listen " + options.listen + ": cannot listen there (in use?)");
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    auto counted = std::chrono::steady_clock::now();
    while (stop_signal.load() == 0 && !done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (std::chrono::steady_clock::now() - counted > std::chrono::seconds(30)) {
        counted = std::chrono::steady_clock::now();
        try {
          server.refresh_counts();
        } catch (const std::exception& e) {
          std::fprintf(stderr, "serve: counting today's units: %s\n", e.what());
        }
      }
    }
    server.stop(stop_signal.load() != 0 ? stop_signal.load() : SIGTERM);
  });
  std::fprintf(stderr, "serve: %s on http://%s:%d/ (%s), results in %s\n",
               bench.station().name.c_str(), listen.host.c_str(), listen.port,
               bench.plan().name.c_str(), options.db_path.c_str());
  server.http().listen_after_bind();
  done.store(true);
  watcher.join();
  return 0;
}

}  // namespace ampbench::serve
