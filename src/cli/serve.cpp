#include <memory>

#include "cli/command.hpp"
#include "serve/station_server.hpp"

namespace ampbench::cli {

Subcommand add_serve_command(CLI::App& parent) {
  struct Options {
    std::string station, sequence, limits;
    serve::ServeOptions serve;
  };
  auto o = std::make_shared<Options>();
  CLI::App* app = parent.add_subcommand(
      "serve", "The operator station in a browser: serve its pages and JSON API (docs/serve.md)");
  app->add_option("--station", o->station, "Station file (default instruments/sim-bench.toml)");
  app->add_option("--sequence", o->sequence, "Sequence file (TOML)")->required();
  app->add_option("--db", o->serve.db_path, "Results database (default ampbench.db)");
  app->add_option("--listen", o->serve.listen,
                  "HOST:PORT to listen on (default 127.0.0.1:8080; another host needs "
                  "--token-file)");
  app->add_option("--token-file", o->serve.token_file,
                  "File holding the token API requests must send (Authorization: Bearer)");
  app->add_option("--allowed-host", o->serve.allowed_hosts,
                  "A host name the pages may be reached by besides the listen address (a DNS "
                  "name, a reverse proxy's); repeat for more. Other Host headers are refused");
  app->add_option("--limits", o->limits,
                  "A limits file (`ampbench limits derive`) layered on the sequence's limits");
  app->add_option("--serial-pattern", o->serve.serial_pattern,
                  "Regular expression a scanned serial must match whole (e.g. AMP-[0-9]{6})");
  return {app, [o] {
            auto [plan, station] =
                load_checked(o->sequence, o->station.empty() ? default_station_path() : o->station,
                             {}, o->limits);
            return serve::serve(o->serve, std::move(plan), std::move(station), stop_on_signals());
          }};
}

}  // namespace ampbench::cli
