// record: which results carry an uncertainty from the interface's calibration (SPEC §15),
// and how much. Levels and powers at the DUT's output come through the input converter
// (its record's u), a gain through both; a ratio within one capture (THD, a response re its
// reference tone, crosstalk) does not depend on the calibration and has none modelled here.
#pragma once

#include <optional>
#include <string_view>

namespace ampbench::record {

// Whether `name` is a result whose uncertainty is modelled: gain_db, level_dbv, level_vrms,
// power_w.
bool uncertainty_modelled(std::string_view name);

// The expanded uncertainty (k times the standard one) of `value` of result `name`, in its
// unit, from the standard uncertainties (dB) of the channel's input and output calibration
// records; none when not modelled or a record it needs is missing.
std::optional<double> calibration_uncertainty(std::string_view name, double value,
                                              std::optional<double> u_input_db,
                                              std::optional<double> u_output_db, double k);

}  // namespace ampbench::record
