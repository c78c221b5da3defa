#include <atomic>
#include <cstdio>
#include <memory>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "instruments/profile.hpp"
#include "instruments/sim_server.hpp"

namespace ampbench::cli {
namespace {

struct SimInstrumentOptions {
  std::string listen = "127.0.0.1:5025";
  std::string kind;
  std::string profile;
  std::string log;
  long stall_after = 0;
};

int run_sim_instrument(const SimInstrumentOptions& o) {
  const std::size_t colon = o.listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == o.listen.size())
    throw UsageError("--listen '" + o.listen + "': expected HOST:PORT, e.g. 127.0.0.1:5025");
  const std::string host = o.listen.substr(0, colon);
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(o.listen.substr(colon + 1), &used);
    if (used != o.listen.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535)
    throw UsageError("--listen '" + o.listen + "': the port must be 0 to 65535 (0: any free)");
  const std::string profile_name = o.profile.empty() ? "sim-" + o.kind : o.profile;
  const auto profile = instruments::load_profile(profile_name, instruments::profile_dirs_for(""));
  if (instruments::instrument_kind_name(profile.kind) != o.kind)
    throw UsageError("--profile " + profile_name + " is a " +
                     std::string(instruments::instrument_kind_name(profile.kind)) +
                     " profile, not " + o.kind);
  instruments::SimInstrumentServer server(host, static_cast<std::uint16_t>(port),
                                          std::make_shared<instruments::SimInstrument>(profile),
                                          o.log);
  const std::atomic<bool>& stop = stop_flag_on_signals();
  std::printf("ampbench sim-instrument: %s '%s' listening on %s:%u\n", o.kind.c_str(),
              profile.name.c_str(), host.c_str(), server.port());
  std::fflush(stdout);
  server.serve(stop, o.stall_after);
  return 0;
}

}  // namespace

Subcommand add_sim_instrument_command(CLI::App& parent) {
  auto o = std::make_shared<SimInstrumentOptions>();
  CLI::App* app = parent.add_subcommand(
      "sim-instrument", "Serve a simulated generator, DMM or relay box as a SCPI socket");
  app->add_option("--listen", o->listen, "HOST:PORT (default 127.0.0.1:5025; port 0: any free)");
  app->add_option("--kind", o->kind, "fgen, dmm, relay or psu")
      ->required()
      ->check(CLI::IsMember({"fgen", "dmm", "relay", "psu"}));
  app->add_option("--profile", o->profile,
                  "Speak this profile's dialect (default sim-KIND), e.g. rigol-dg1000z");
  app->add_option("--log", o->log, "Append every line received to this file");
  app->add_option("--stall-after", o->stall_after,
                  "Fault injection: answer nothing after this many lines (a hung instrument)");
  return {app, [o] { return run_sim_instrument(*o); }};
}

}  // namespace ampbench::cli
