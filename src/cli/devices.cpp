#include <cstdio>

#include "cli/command.hpp"
#ifdef AMPBENCH_WITH_PORTAUDIO
#include "audio/portaudio_port.hpp"
#endif

namespace ampbench::cli {

Subcommand add_devices_command(CLI::App& parent) {
  CLI::App* app =
      parent.add_subcommand("devices", "List audio devices (host API, channels, default rate)");
  return {app, [] {
#ifdef AMPBENCH_WITH_PORTAUDIO
            const auto devices = audio::list_portaudio_devices();
            if (devices.empty()) std::printf("no PortAudio devices\n");
            for (const auto& d : devices) std::printf("%s\n", d.c_str());
#else
            std::printf("this ampbench was built without PortAudio: configure with -DAMPBENCH_WITH_PORTAUDIO=ON\n");
#endif
            return 0;
          }};
}

}  // namespace ampbench::cli
