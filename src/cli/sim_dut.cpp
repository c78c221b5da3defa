#include <algorithm>
#include <atomic>
#include <memory>

#include "cli/command.hpp"
#include "common/error.hpp"
#include "sequence/bench.hpp"
#include "sequence/slot_serials.hpp"
#include "sequence/station.hpp"
#ifdef AMPBENCH_WITH_PORTAUDIO
#include "sim/jack_dut.hpp"
#endif

namespace ampbench::cli {
namespace {

struct SimDutOptions {
  bool jack = false;
  std::string station;
  std::vector<std::string> serials;
  std::string name = "dut";
  double stall_after_s = 0.0;
  int stall_ms = 0;
  int stall_count = 1;
};

int run_sim_dut(const SimDutOptions& o) {
  if (!o.jack) throw UsageError("sim-dut: only --jack is available (the DUT as a JACK client)");
  const auto station =
      sequence::load_station(o.station.empty() ? default_station_path() : o.station);
  if (!station.sim)
    throw InputError(station.path, 0, "sim", "sim-dut needs the station's [sim] table");
#ifdef AMPBENCH_WITH_PORTAUDIO
  const std::atomic<bool>& stop = stop_flag_on_signals();
  sim::JackDutOptions options{o.name, {}, o.stall_after_s, o.stall_ms, o.stall_count};
  if (station.slots.empty()) {
    if (o.serials.size() > 1) throw UsageError("sim-dut: one --serial on a station without slots");
    std::vector<int> ports;
    for (int c = 0; c < station.channel_count(); ++c) ports.push_back(c);
    options.units.push_back({o.serials.empty() ? "" : o.serials.front(), ports});
  } else {
    // Every slot holds a unit, the serial given for it or none.
    const auto given = sequence::assign_serials(station, o.serials);
    for (const auto& slot : station.slots) {
      sim::JackDutUnit unit;
      for (const auto& g : given)
        if (g.slot == &slot) unit.serial = g.serial;
      for (int output : slot.outputs) {
        const auto& all = station.audio.outputs;
        unit.ports.push_back(
            static_cast<int>(std::find(all.begin(), all.end(), output) - all.begin()));
      }
      options.units.push_back(std::move(unit));
    }
  }
  sim::run_jack_dut(*station.sim, sequence::sim_converter_calibration(station),
                    station.audio.sample_rate_hz, station.channel_count(), options, stop);
  return 0;
#else
  throw MeasurementError(
      "this ampbench was built without JACK: configure with -DAMPBENCH_WITH_PORTAUDIO=ON");
#endif
}

}  // namespace

Subcommand add_sim_dut_command(CLI::App& parent) {
  auto o = std::make_shared<SimDutOptions>();
  CLI::App* app = parent.add_subcommand(
      "sim-dut", "Run the simulated DUT of a station's [sim] table as a JACK client");
  app->add_flag("--jack", o->jack, "As a JACK client (ports NAME:in_N, NAME:out_N)");
  app->add_option("--station", o->station, "Station file whose [sim] table models the DUT");
  app->add_option("--serial", o->serials,
                  "Serial number (selects its [sim.faults]); on a station with slots SLOT=SN, "
                  "repeatable");
  app->add_option("--name", o->name, "JACK client name (default dut)");
  app->add_option("--stall-after", o->stall_after_s,
                  "Test hook: stall the process callback after S seconds");
  app->add_option("--stall-ms", o->stall_ms,
                  "Test hook: how long that stall lasts (forces an xrun)");
  app->add_option("--stall-count", o->stall_count,
                  "Test hook: stall this many times, each S seconds after the last");
  return {app, [o] { return run_sim_dut(*o); }};
}

}  // namespace ampbench::cli
