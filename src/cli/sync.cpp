#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "common/postgres_uri.hpp"
#include "sequence/station.hpp"
#include "store/forwarder.hpp"
#include "store/postgres_store.hpp"

namespace ampbench::cli {
namespace {

struct SyncOptions {
  std::string db = "ampbench.db";
  std::string station;
  std::string to;
  int connect_timeout_s = 10;
  bool json = false;
  bool quiet = false;
  bool retry = false;
  std::string retry_run;
  bool retry_all = false;
};

int run_sync(const SyncOptions& o) {
  std::string target = o.to;
  if (target.empty()) {
    if (o.station.empty())
      throw UsageError("sync needs --station FILE (its [results] forward) or --to URI");
    const auto station = sequence::load_station(o.station);
    if (!station.forward_uri)
      throw InputError(o.station, "no [results] forward in this station; give --to URI");
    target = *station.forward_uri;
  } else if (!is_postgres_uri(target)) {
    throw UsageError("--to must be a postgresql:// URI");
  }
  std::error_code ec;
  if (!std::filesystem::exists(o.db, ec)) throw IoError(o.db + ": no such database");
  if (o.retry_all && !o.retry) throw UsageError("--all goes with --retry");
  if (o.retry && o.retry_run.empty() == !o.retry_all)
    throw UsageError("--retry takes a run (id, uuid or unique prefix) or --all");
  auto local = store::ResultStore::open(o.db);
  if (o.retry) {
    const int put_back = local->retry_forwards(
        redacted_uri(target), o.retry_all ? std::nullopt : std::optional<std::string>(o.retry_run));
    if (!o.quiet) std::fprintf(stderr, "sync: %d run(s) back in the queue\n", put_back);
  }
  const bool tty = ::isatty(STDERR_FILENO);
  store::ForwardOptions options;
  options.connect_timeout = std::chrono::seconds(o.connect_timeout_s);
  if (!o.quiet) {
    options.progress = [tty](int done, int total) {
      if (tty)
        std::fprintf(stderr, "\rsync: %d/%d runs", done, total);
      else if (done == total || done % 100 == 0)
        std::fprintf(stderr, "sync: %d/%d runs\n", done, total);
    };
  }
  const auto report = store::forward_runs(*local, target, options);
  if (tty && !o.quiet && report.sent + report.already > 0) std::fputc('\n', stderr);
  const std::string name = redacted_uri(target);
  nlohmann::json set_aside = nlohmann::json::array();
  for (const auto& r : report.rejected)
    set_aside.push_back({{"uuid", r.uuid}, {"serial", r.serial}, {"error", r.error}});
  if (o.json) {
    std::printf("%s\n", nlohmann::json{{"target", name},
                                       {"sent", report.sent},
                                       {"already_there", report.already},
                                       {"queued", report.queued},
                                       {"set_aside", set_aside},
                                       {"error", report.error}}
                            .dump(2)
                            .c_str());
  } else if (!o.quiet) {
    std::fprintf(stderr, "%s → %s: %d run(s) sent, %d already there, %d queued\n", o.db.c_str(),
                 name.c_str(), report.sent, report.already, report.queued);
  }
  // Set aside, not forgotten: each says why until someone deals with it, and the sync is
  // not a success while any is.
  for (const auto& r : report.rejected)
    std::fprintf(stderr, "ampbench: run %s (serial %s) set aside: %s\n", r.uuid.c_str(),
                 r.serial.c_str(), r.error.c_str());
  if (!report.error.empty())
    throw IoError(report.error + " (" + std::to_string(report.queued) + " run(s) still queued)");
  if (!report.rejected.empty()) {
    std::fprintf(stderr,
                 "ampbench: %zu run(s) set aside by %s; once the cause is fixed: ampbench sync "
                 "--db %s --retry RUN (or --retry --all)\n",
                 report.rejected.size(), name.c_str(), o.db.c_str());
    return static_cast<int>(ExitCode::error);
  }
  return 0;
}

}  // namespace

Subcommand add_sync_command(CLI::App& parent) {
  auto o = std::make_shared<SyncOptions>();
  CLI::App* app = parent.add_subcommand(
      "sync", "Send a station's finished runs to the line's central PostgreSQL store");
  app->add_option("--db", o->db, "The station's results database (default ampbench.db)");
  app->add_option("--station", o->station, "Station file whose [results] forward is the target");
  app->add_option("--to", o->to, "Target instead: postgresql://USER@HOST[:PORT]/DATABASE");
  app->add_option("--connect-timeout", o->connect_timeout_s,
                  "Seconds to wait for the server (default 10)");
  app->add_flag("--json", o->json, "Print what was sent as JSON");
  app->add_flag("--quiet", o->quiet, "No progress output");
  CLI::Option* retry =
      app->add_option(
             "--retry", o->retry_run,
             "Put a run set aside (or waiting its backoff) back in the queue first: its id, "
             "uuid or unique prefix; with --all every one")
          ->expected(0, 1);
  app->add_flag("--all", o->retry_all, "With --retry: every run set aside or waiting");
  return {app, [o, retry] {
            o->retry = retry->count() > 0;
            return run_sync(*o);
          }};
}

}  // namespace ampbench::cli
