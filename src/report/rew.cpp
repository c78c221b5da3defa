#include "report/rew.hpp"

#include <cstdio>
#include <sstream>

namespace ampbench::report {

std::string render_rew(const record::RunRecord& run, const record::StepRecord& step,
                       const record::CurveRecord& response, const record::CurveRecord* phase) {
  std::ostringstream o;
  o << "* ampbench " << run.software_version << " frequency response\n"
    << "* Serial: " << run.serial << "\n* Sequence: " << run.sequence_name
    << "\n* Step: " << step.step_id << "\n* Channel: " << response.channel
    << "\n* Run: " << run.uuid << " " << run.started_at
    << "\n* Freq(Hz) Magnitude(dB) Phase(degrees)\n";
  for (std::size_t i = 0; i < response.x.size(); ++i) {
    const double p = phase && i < phase->y.size() ? phase->y[i] : 0.0;
    char line[96];
    std::snprintf(line, sizeof line, "%.6f %.6f %.4f\n", response.x[i], response.y[i], p);
    o << line;
  }
  return o.str();
}

}  // namespace ampbench::report
