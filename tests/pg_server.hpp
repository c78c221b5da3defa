// A real PostgreSQL server for one test: initdb into a temporary directory, started on a
// free loopback port, password (SCRAM) authentication for TCP, stopped and removed at the
// end. As root (CI), the server runs as the `postgres` user, which PostgreSQL insists on.
// With Tls::required it accepts TCP clients over TLS only, with a self-signed certificate
// for 127.0.0.1 (ca_file()) that clients can verify.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

#include "run_binary.hpp"

namespace ampbench::testing {

class PgServer {
 public:
  static constexpr const char* kPassword = "line-secret";
  enum class Tls { off, required };

  explicit PgServer(Tls tls = Tls::off) : tls_(tls) {
    bin_ = find_bindir();
    std::string tmpl = "/tmp/ampbench-pg-XXXXXX";
    dir_ = ::mkdtemp(tmpl.data());
    std::ofstream(dir_ / "pw") << kPassword << "\n";
    const std::string as_user = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    if (::geteuid() == 0) sh("chown -R postgres " + shell_quote(dir_.string()));
    sh(as_user + shell_quote(bin_ + "/initdb") + " -D " + shell_quote((dir_ / "data").string()) +
       " -U ampbench --pwfile=" + shell_quote((dir_ / "pw").string()) +
       " --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >" +
       shell_quote((dir_ / "initdb.log").string()) + " 2>&1");
    if (tls_ == Tls::required) require_tls(as_user);
    port_ = free_port();
    start();
    pqxx::connection admin(uri("postgres") + "?password=" + kPassword);
    pqxx::nontransaction(admin).exec0("CREATE DATABASE line");
  }
  ~PgServer() {
    stop("immediate");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // fast: disconnect clients, roll back; immediate: as a crash.
  void stop(const std::string& mode) {
    if (!running_) return;
    pg_ctl("stop -m " + mode);
    running_ = false;
  }
  void start() {
    std::string options = "-p " + std::to_string(port_) + " -k " + dir_.string() +
                          " -c listen_addresses=127.0.0.1 -c fsync=off";
    if (tls_ == Tls::required)
      options += " -c ssl=on -c ssl_cert_file=" + (dir_ / "data/server.crt").string() +
                 " -c ssl_key_file=" + (dir_ / "data/server.key").string();
    pg_ctl("start -w -t 30 -l " + shell_quote((dir_ / "server.log").string()) + " -o " +
           shell_quote(options));
    running_ = true;
  }
  // The server's certificate, to verify it by (sslrootcert).
  std::filesystem::path ca_file() const { return dir_ / "data/server.crt"; }

  int port() const { return port_; }
  // Without a password: the stations get it from PGPASSWORD, as on a real line.
  std::string uri(const std::string& database = "line") const {
    return "postgresql://ampbench@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }
  std::string uri_with_password() const { return uri() + "?password=" + kPassword; }

  // The first column of the first row, as text ("" for NULL).
  std::string scalar(const std::string& sql) const {
    pqxx::connection c(uri_with_password());
    pqxx::nontransaction t(c);
    const auto r = t.exec(sql);
    return r.empty() || r[0][0].is_null() ? "" : r[0][0].as<std::string>();
  }

 private:
  // A certificate for 127.0.0.1 and a pg_hba.conf whose only TCP entry is hostssl.
  void require_tls(const std::string& as_user) const {
    const auto data = dir_ / "data";
    sh(as_user + "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 " +
       "-addext subjectAltName=IP:127.0.0.1 -keyout " +
       shell_quote((data / "server.key").string()) + " -out " +
       shell_quote((data / "server.crt").string()) + " >/dev/null 2>&1");
    sh(as_user + "chmod 600 " + shell_quote((data / "server.key").string()));
    std::ofstream(data / "pg_hba.conf")
        << "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n";
    if (::geteuid() == 0) sh("chown postgres " + shell_quote((data / "pg_hba.conf").string()));
  }
  static void sh(const std::string& cmd) {
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  }
  void pg_ctl(const std::string& args) const {
    const std::string as_user = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
    sh(as_user + shell_quote(bin_ + "/pg_ctl") + " -D " + shell_quote((dir_ / "data").string()) +
       " " + args + " >>" + shell_quote((dir_ / "pg_ctl.log").string()) + " 2>&1");
  }
  static std::string find_bindir() {
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen("pg_config --bindir", "r"), ::pclose);
    char line[512] = {};
    if (p && std::fgets(line, sizeof line, p.get())) {
      std::string dir = line;
      while (!dir.empty() && dir.back() == '\n') dir.pop_back();
      if (std::filesystem::exists(dir + "/initdb")) return dir;
    }
    for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql"))
      if (std::filesystem::exists(e.path() / "bin/initdb")) return (e.path() / "bin").string();
    throw std::runtime_error("no PostgreSQL server binaries (Debian: apt-get install postgresql)");
  }
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    ::close(fd);
    return ntohs(a.sin_port);
  }

  std::string bin_;
  std::filesystem::path dir_;
  Tls tls_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace ampbench::testing
