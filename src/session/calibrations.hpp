// session: the calibration records a station's run or `serve` uses (SPEC §15): the newest
// valid record of each interface channel and direction at the station's sample rate, put
// into the station (sequence::Station::calibration_records) before its benches open; and
// the bench's residuals from its latest self-test (Station::analyzer_residuals).
#pragma once

#include <string>

#include "sequence/station.hpp"
#include "store/result_store.hpp"

namespace ampbench::session {

// With [calibration] required, throws MeasurementError naming every channel without a
// valid record and why (none; expired; older than max_age_days; only for another sample
// rate). Without it, valid records are used where there are any, and the station file's
// nominal values elsewhere: the returned text says which channels use nominal values (""
// when every channel has its record).
std::string attach_calibrations(sequence::Station& station, const store::ResultStore& store);

}  // namespace ampbench::session
