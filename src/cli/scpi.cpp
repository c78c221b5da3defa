#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "instruments/drivers.hpp"
#include "instruments/profile.hpp"
#include "instruments/visa.hpp"

namespace ampbench::cli {
namespace {

struct ScpiOptions {
  std::string resource;
  std::string command;
  std::string profile;
  int timeout_ms = 0;
  bool no_error_check = false;
};

// A USB instrument's shipped profile, found by its vendor and product ID, for its quirks.
std::optional<instruments::InstrumentProfile> profile_for_usb(const instruments::VisaResource& r) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& dir : instruments::profile_dirs_for("")) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (entry.path().extension() != ".toml") continue;
      const auto p = instruments::load_profile(entry.path().string(), {});
      if (p.usb_vendor_id == r.vendor_id &&
          std::find(p.usb_product_ids.begin(), p.usb_product_ids.end(), r.product_id) !=
              p.usb_product_ids.end())
        return p;
    }
  }
  return std::nullopt;
}

int run_scpi(const ScpiOptions& o) {
  const auto resource = instruments::parse_visa_resource(o.resource);
  instruments::InstrumentProfile profile;
  profile.name = "generic";
  if (!o.profile.empty()) {
    profile = instruments::load_profile(o.profile, instruments::profile_dirs_for(""));
  } else if (resource.kind == instruments::VisaResource::Kind::sim) {
    throw UsageError("a SIM:: resource needs --profile (the dialect it speaks)");
  } else if (resource.kind == instruments::VisaResource::Kind::usb) {
    if (auto found = profile_for_usb(resource)) profile = *found;
  }
  if (o.timeout_ms > 0) profile.timeout = instruments::Milliseconds(o.timeout_ms);
  instruments::ScpiSession session(instruments::open_transport(resource, profile), o.resource,
                                   profile.timeout);
  const bool query = !o.command.empty() && o.command.back() == '?';
  // Entries already queued (from an earlier session, or the front panel) are read first
  // and said as such: they are not this command's.
  if (!o.no_error_check) {
    for (const auto& e : session.drain_errors())
      std::fprintf(stderr, "ampbench: %s: already in the error queue, not from '%s': %d,\"%s\"\n",
                   o.resource.c_str(), o.command.c_str(), e.code, e.message.c_str());
  }
  session.write_raw(o.command);
  if (query) std::printf("%s\n", session.read_raw().c_str());
  if (o.no_error_check) return 0;
  const auto errors = session.drain_errors();
  for (const auto& e : errors)
    std::fprintf(stderr, "ampbench: %s: '%s' → %d,\"%s\"\n", o.resource.c_str(), o.command.c_str(),
                 e.code, e.message.c_str());
  return errors.empty() ? 0 : static_cast<int>(ExitCode::error);
}

}  // namespace

Subcommand add_scpi_command(CLI::App& parent) {
  auto o = std::make_shared<ScpiOptions>();
  CLI::App* app = parent.add_subcommand(
      "scpi", "Send one SCPI command (a query when it ends in '?') and check the error queue");
  app->add_option("resource", o->resource, "VISA resource, e.g. TCPIP0::192.0.2.5::5025::SOCKET")
      ->required();
  app->add_option("command", o->command, "SCPI command or query, e.g. '*IDN?'")->required();
  app->add_option("--profile", o->profile,
                  "Instrument profile (USB quirks, a simulator's dialect)");
  app->add_option("--timeout-ms", o->timeout_ms, "Reply timeout (default: the profile's, 2000)");
  app->add_flag("--no-error-check", o->no_error_check, "Do not read SYST:ERR? afterwards");
  return {app, [o] { return run_scpi(*o); }};
}

}  // namespace ampbench::cli
