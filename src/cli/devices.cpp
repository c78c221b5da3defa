#include <cstdio>

#include "audio/qa40x_port.hpp"
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

// Each QuantAsylum QA402/QA403: an analyzer with its own USB protocol, no audio class.
void list_qa40x() {
  std::printf("QuantAsylum QA40x analyzers:\n");
  std::vector<audio::Qa40xListing> units;
  try {
    units = audio::list_qa40x_units();
  } catch (const Error& e) {
    std::printf("  (%s)\n", e.what());
    return;
  }
  if (units.empty()) std::printf("  none attached\n");
  for (const auto& unit : units) {
    std::printf("  bus %d address %d: ", unit.usb.bus, unit.usb.address);
    if (unit.identity)
      std::printf("%s\n    station: [audio] backend = \"qa40x\", device = \"serial:%s\"\n",
                  audio::describe_qa40x(*unit.identity).c_str(), unit.usb.serial.c_str());
    else
      std::printf("%s\n", unit.problem.c_str());
  }
}

}  // namespace

Subcommand add_devices_command(CLI::App& parent) {
  CLI::App* app = parent.add_subcommand(
      "devices",
      "List audio devices (host API, channels, default rate), QA40x analyzers and USBTMC "
      "instruments");
  return {app, [] {
            list_audio();
            list_qa40x();
            list_usbtmc();
            return 0;
          }};
}

}  // namespace ampbench::cli
