#include "sim/models.hpp"

namespace ampbench::sim {
namespace {
struct FaultSpelling {
  std::string_view name;
  Fault fault;
};
constexpr FaultSpelling kFaults[] = {{"none", Fault::none},
                                     {"low_gain", Fault::low_gain},
                                     {"hum", Fault::hum},
                                     {"early_clip", Fault::early_clip},
                                     {"dead_channel", Fault::dead_channel},
                                     {"riaa_error", Fault::riaa_error},
                                     {"dead_mic", Fault::dead_mic},
                                     {"dc_offset", Fault::dc_offset},
                                     {"inverted", Fault::inverted},
                                     {"crossover", Fault::crossover},
                                     {"low_efficiency", Fault::low_efficiency},
                                     {"supply_coupling", Fault::supply_coupling},
                                     {"slew", Fault::slew},
                                     {"poor_cmrr", Fault::poor_cmrr}};
}  // namespace

std::optional<Fault> parse_fault(std::string_view name) {
  for (const auto& f : kFaults)
    if (f.name == name) return f.fault;
  return std::nullopt;
}

std::string fault_names() {
  std::string out;
  for (const auto& f : kFaults)
    if (f.fault != Fault::none) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

std::string_view fault_name(Fault fault) {
  for (const auto& f : kFaults)
    if (f.fault == fault) return f.name;
  return "none";
}

}  // namespace ampbench::sim
