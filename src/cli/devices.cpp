#include <cstdio>

#include "cli/command.hpp"
#include "instruments/drivers.hpp"
#include "instruments/usbtmc.hpp"
#ifdef AMPBENCH_WITH_PORTAUDIO
#include "audio/portaudio_port.hpp"
#endif

namespace ampbench::cli {
namespace {

void list_audio() {
  std::printf("Audio devices:\n");
#ifdef AMPBENCH_WITH_PORTAUDIO
  const auto devices = audio::list_portaudio_devices();
  if (devices.empty()) std::printf("  none\n");
  for (const auto& d : devices) std::printf("  %s\n", d.c_str());
#else
  std::printf("  (built without PortAudio: configure with -DAMPBENCH_WITH_PORTAUDIO=ON)\n");
#endif
}

// Each USBTMC instrument with its VISA resource and, where it can be opened, *IDN?.
void list_usbtmc() {
  std::printf("USBTMC instruments:\n");
  std::vector<instruments::UsbtmcDeviceInfo> devices;
  try {
    devices = instruments::list_usbtmc_devices();
  } catch (const instruments::InstrumentError& e) {
    std::printf("  (%s)\n", e.what());
    return;
  }
  if (devices.empty()) std::printf("  none attached\n");
  for (const auto& d : devices) {
    std::printf("  %s  bus %d address %d", d.resource().c_str(), d.bus, d.address);
    if (!d.problem.empty()) {
      std::printf("\n    %s\n", d.problem.c_str());
      continue;
    }
    std::printf("  %s %s\n", d.manufacturer.c_str(), d.product.c_str());
    try {
      instruments::InstrumentProfile generic;
      generic.timeout = instruments::Milliseconds(1000);
      instruments::ScpiSession session(
          instruments::open_transport(instruments::parse_visa_resource(d.resource()), generic),
          d.resource(), generic.timeout);
      std::printf("    *IDN? %s\n", session.identify().c_str());
    } catch (const Error& e) {
      std::printf("    *IDN? failed: %s\n", e.what());
    }
  }
}

}  // namespace

Subcommand add_devices_command(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "devices", "List audio devices (host API, channels, default rate) and USBTMC instruments");
  return {app, [] {
            list_audio();
            list_usbtmc();
            return 0;
          }};
}

}  // namespace ampbench::cli
