// serve: the operator station's pages (pages/ in the source tree), compiled in so the
// station serves them without files at run time and the page loads nothing from elsewhere.
#pragma once

namespace ampbench::serve {

extern const char* const kOperatorPage;    // pages/operator.html
extern const char* const kSupervisorPage;  // pages/supervisor.html
extern const char* const kStationStyle;    // pages/station.css

}  // namespace ampbench::serve
