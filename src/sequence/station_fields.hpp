// sequence: reading a station file's fields — the number rules every table shares, and the
// [sim] table (station_sim.cpp), kept apart from station.cpp's instruments and safety.
#pragma once

#include <optional>
#include <string_view>

#include "common/toml_reader.hpp"
#include "sim/models.hpp"

namespace ampbench::sequence::station_fields {

double required_number(const TomlReader& r, const toml::table& t, std::string_view key,
                       std::string_view prefix);
// fallback empty: the field is required.
double positive(const TomlReader& r, const toml::table& t, std::string_view key,
                std::string_view prefix, std::optional<double> fallback);
double non_negative(const TomlReader& r, const toml::table& t, std::string_view key,
                    std::string_view prefix, double fallback);
// The [sim] table of a station with `channels` DUT channels.
sim::SimConfig parse_sim(const TomlReader& r, const toml::table& t, int channels,
                         double sample_rate_hz);

}  // namespace ampbench::sequence::station_fields
