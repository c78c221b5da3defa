// sequence/steps: a measured frequency response and the figures read off it (pure
// functions: -3 dB corners, gains at 100 Hz and 10 kHz, shelf turnovers).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ampbench::sequence {

// A frequency response of one channel, however it was measured.
struct ResponseData {
  std::vector<double> frequency_hz;
  std::vector<double> gain_db;
  std::vector<double> phase_deg;   // swept only
  std::vector<double> thd_pct;     // swept only; NaN where no harmonic was in band
  double reference_gain_db = 0.0;  // at the reference frequency
  std::optional<int> polarity;     // +1 / −1, or none with the reason
  std::string no_polarity_reason;
};

// -3 dB corner below (direction -1) or above (+1) the reference frequency: the first
// crossing of reference − 3 dB, interpolated in log-frequency.
std::optional<double> corner_hz(const ResponseData& d, double reference_hz, int direction);
// Gain re the reference at this frequency, read off the curve in log frequency; nothing
// outside the measured band.
std::optional<double> gain_re_reference_db(const ResponseData& d, double frequency_hz);
// A shelf's turnover: where the response is half its deviation at the band edge (low or
// high), in dB; nothing when the edge deviates by less than 1 dB.
std::optional<double> shelf_turnover_hz(const ResponseData& d, bool low);

}  // namespace ampbench::sequence
