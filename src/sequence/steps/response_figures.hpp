// sequence/steps: a measured frequency response and the figures read off it (pure
// functions: -3 dB corners, gains at 100 Hz and 10 kHz, shelf turnovers), and the target
// curve a response's deviation is measured from (frequency_response and multitone).
#pragma once

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/toml_reader.hpp"
#include "dsp/target_curve.hpp"
#include "sequence/plan.hpp"

namespace ampbench::sequence {

class StepContext;

// The curve the response should follow (deviation is measured from it).
struct TargetCurve {
  std::string name;  // "riaa" (or a variant) or "table"
  dsp::RiaaOptions riaa;
  dsp::TargetTable table;
  double db(double frequency_hz) const {
    return name == "table" ? dsp::target_table_db(table, frequency_hz)
                           : dsp::riaa_playback_db(frequency_hz, riaa);
  }
};
// The step's `target`: "riaa" (or riaa-iec, riaa-50khz, riaa-iec-50khz) or a table of
// [Hz, dB] rows; throws InputError at `field`.
TargetCurve parse_target(const TomlReader& reader, const toml::node* target,
                         const std::string& field);

// A frequency response of one channel, however it was measured.
struct ResponseData {
  std::vector<double> frequency_hz;
  std::vector<double> gain_db;
  std::vector<double> phase_deg;   // none from an external generator
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

// The deviation nearest the mask's lower edge and the one nearest its upper edge, over the
// frequencies the mask covers (every one without a mask), with the mask's bounds there: with
// one segment, simply the lowest and highest deviation. min_db is +inf when it covers none.
struct DeviationRange {
  double min_db = INFINITY;
  double max_db = -INFINITY;
  std::optional<double> min_limit_db;
  std::optional<double> max_limit_db;
};
DeviationRange deviation_range(const std::vector<double>& frequency_hz,
                               const std::vector<double>& deviation_db, const Limit* mask);

// Adds gain_100hz_db, gain_10khz_db, bass_turnover_hz and treble_turnover_hz where the curve
// gives them (three points at least).
void add_shelf_figures(StepContext& ctx, const ResponseData& d, const std::string& channel,
                       const nlohmann::json& point);

// Group delay −dφ/dω in ms from a phase curve in degrees over rising frequencies: the phase
// unwrapped point to point (each step taken as under 180°: a delay under 1/(2·Δf) between
// neighbours), central differences inside, one-sided at the ends. Empty below 3 points.
std::vector<double> group_delay_ms(const std::vector<double>& frequency_hz,
                                   const std::vector<double>& phase_deg);

}  // namespace ampbench::sequence
