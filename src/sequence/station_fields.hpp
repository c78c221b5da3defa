// sequence: reading a station file's fields — the number rules every table shares, and the
// [sim] table (station_sim.cpp), kept apart from station.cpp's instruments and safety.
#pragma once

#include <optional>
#include <string_view>

#include "common/toml_reader.hpp"
#include "sequence/station.hpp"
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

// [audio] of a QA40x (station_qa40x.cpp): its rates and channels, and its ranges chosen from
// [safety]'s max_output_vrms and max_input_vrms (none: the top input range).
void parse_qa40x_audio(const TomlReader& r, const toml::table& audio, const toml::table& safety,
                       double max_output_vrms, AudioSettings& settings);

}  // namespace ampbench::sequence::station_fields
