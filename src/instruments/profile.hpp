// instruments: profiles — an instrument model's SCPI dialect as data
// (instruments/profiles/NAME.toml): which abstract operation (set frequency, amplitude in
// Vrms, output on, close relay, read AC volts, set and read a supply) is which command, how to
// recognise the model in *IDN?, its limits and USBTMC quirks. One C++ driver per kind reads them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "instruments/transport.hpp"
#include "instruments/usbtmc.hpp"

namespace ampbench::instruments {

enum class InstrumentKind { fgen, dmm, relay, psu };
std::string_view instrument_kind_name(InstrumentKind kind);

struct InstrumentProfile {
  std::string name;
  std::string path;
  InstrumentKind kind = InstrumentKind::fgen;
  std::string description;
  std::string idn_contains;  // *IDN? must contain this ("" = any)
  std::string sim_idn;       // what a simulated one answers to *IDN?
  Milliseconds timeout{2000};
  double settle_s = 0.0;  // after output on or a relay change
  UsbtmcQuirks quirks;
  std::vector<std::string> quirk_names;
  std::optional<std::uint16_t> usb_vendor_id;
  std::vector<std::uint16_t> usb_product_ids;
  std::optional<double> max_frequency_hz;       // fgen
  std::optional<double> max_vrms;               // fgen: the model's own ceiling into high-Z
  std::vector<std::string> init;                // after connecting, in order
  std::map<std::string, std::string> commands;  // operation → template

  const std::string& command(const std::string& operation) const;  // throws UsageError
};

// Operations each kind must define, and the numeric values their templates may use.
const std::vector<std::string>& required_operations(InstrumentKind kind);

// NAME (looked up in `profile_dirs`, first match wins) or a path ending in .toml.
// Throws InputError naming file, line and field.
InstrumentProfile load_profile(const std::string& name_or_path,
                               const std::vector<std::string>& profile_dirs);
InstrumentProfile parse_profile(const std::string& text, const std::string& path);

// Where profiles are looked for: beside the station (its folder's profiles/) and then
// the ones shipped with ampbench.
std::vector<std::string> profile_dirs_for(const std::string& station_path);

// Fills a template's {name} placeholders with numbers (never text, so nothing typed by an
// operator or read from a serial number can become SCPI). Throws UsageError for a
// placeholder without a value.
std::string render_command(const std::string& templ, const std::map<std::string, double>& values);

}  // namespace ampbench::instruments
