// record: a result's sweep point as people say it — "6.6 kHz, 4 Ω, 10 W" — for the console,
// reports, legends and messages alike. Frequency first, then load, level and the rest.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ampbench::record {

std::string point_in_words(const nlohmann::json& point);

// A step's stored conditions (its params' "conditions": weighting, band, reference, load, the
// DUT's settings) as one phrase: "A-weighted, 20 Hz–20 kHz, re 1 W, into 8 Ω"; "" without.
std::string conditions_in_words(const nlohmann::json& step_params);

// "6.6 kHz", "20 Hz", "1.25 kHz": three significant digits, trailing zeros dropped.
std::string frequency_in_words(double frequency_hz);
// "10 W", "25.5 mW", "-20 dBV": a level string as written, its number to 3 significant
// digits with an SI prefix for W and V below 1.
std::string level_in_words(const std::string& level);

}  // namespace ampbench::record
