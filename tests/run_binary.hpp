// Runs the ampbench binary for end-to-end tests and collects exit code, stdout and stderr.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

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

inline RunResult run_ampbench(const std::vector<std::string>& args,
                              const std::string& stdin_text = "", const std::string& env = "") {
  static int counter = 0;
  const auto base =
      std::filesystem::temp_directory_path() /
      ("ampbench-run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::string cmd = env + " " + shell_quote(AMPBENCH_BINARY);
  for (const auto& a : args) cmd += " " + shell_quote(a);
  { std::ofstream(base.string() + ".in") << stdin_text; }
  cmd += " <" + base.string() + ".in >" + base.string() + ".out 2>" + base.string() + ".err";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(base.string() + ".out");
  r.err = slurp(base.string() + ".err");
  for (const char* ext : {".in", ".out", ".err"}) std::filesystem::remove(base.string() + ext);
  return r;
}

// Starts ampbench without waiting; stdout and stderr go to `log_path`, stdin is /dev/null.
inline pid_t spawn_ampbench(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> argv_storage = {AMPBENCH_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  posix_spawn(&pid, AMPBENCH_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// Exit code of a spawned process (128 + signal when killed).
inline int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace ampbench::testing
