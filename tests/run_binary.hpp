// Runs the ampbench binary for end-to-end tests and collects exit code, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace ampbench::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh directory per test, removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ampbench-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

inline RunResult run_ampbench(const std::vector<std::string>& args, const std::string& stdin_text = "",
                              const std::string& env = "") {
  static int counter = 0;
  const auto base = std::filesystem::temp_directory_path() /
                    ("ampbench-run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::string cmd = env + " " + shell_quote(AMPBENCH_BINARY);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  {
    std::ofstream(base.string() + ".in") << stdin_text;
  }
  cmd += " <" + base.string() + ".in >" + base.string() + ".out 2>" + base.string() + ".err";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(base.string() + ".out");
  r.err = slurp(base.string() + ".err");
  for (const char* ext : {".in", ".out", ".err"}) std::filesystem::remove(base.string() + ext);
  return r;
}

}  // namespace ampbench::testing
