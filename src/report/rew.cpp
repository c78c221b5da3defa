#include "report/rew.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "common/output_file.hpp"
#include "record/point_words.hpp"
#include "report/files.hpp"

namespace ampbench::report {
namespace {

// The phase curve measured with a response (same channel and point), if any.
const record::CurveRecord* phase_of(const record::StepRecord& step,
                                    const record::CurveRecord& response) {
  if (response.name != "response_db") return nullptr;
  for (const auto& p : step.curves)
    if (p.name == "phase_deg" && p.channel == response.channel && p.point == response.point &&
        p.x.size() == response.x.size())
      return &p;
  return nullptr;
}

}  // namespace

std::string render_rew(const record::RunRecord& run, const record::StepRecord& step,
                       const record::CurveRecord& response, const record::CurveRecord* phase) {
  std::ostringstream o;
  o << "* ampbench " << run.software_version << " frequency response\n"
    << "* Serial: " << run.serial << "\n* Sequence: " << run.sequence_name
    << "\n* Step: " << step.step_id << "\n* Channel: " << response.channel;
  if (const auto where = record::point_in_words(response.point); !where.empty())
    o << "\n* Condition: " << where;
  o << "\n* Run: " << run.uuid << " " << run.started_at << "\n* Freq(Hz) Magnitude(dB)"
    << (phase ? " Phase(degrees)" : "") << "\n";
  for (std::size_t i = 0; i < response.x.size(); ++i) {
    char line[96];
    if (phase)
      std::snprintf(line, sizeof line, "%.6f %.6f %.4f\n", response.x[i], response.y[i],
                    phase->y[i]);
    else
      std::snprintf(line, sizeof line, "%.6f %.6f\n", response.x[i], response.y[i]);
    o << line;
  }
  return o.str();
}

std::string render_curve_csv(const record::CurveRecord& curve, const record::CurveRecord* phase) {
  std::ostringstream o;
  const auto column = [](const std::string& name, const std::string& unit) {
    return unit.empty() ? name : name + " (" + unit + ")";
  };
  o << column(curve.x_unit == "Hz" ? "frequency" : "x", curve.x_unit) << ','
    << column(curve.name, curve.y_unit) << (phase ? ",phase_deg (deg)" : "") << '\n';
  for (std::size_t i = 0; i < curve.x.size(); ++i) {
    char line[128];
    if (phase)
      std::snprintf(line, sizeof line, "%.10g,%.10g,%.6g\n", curve.x[i], curve.y[i], phase->y[i]);
    else
      std::snprintf(line, sizeof line, "%.10g,%.10g\n", curve.x[i], curve.y[i]);
    o << line;
  }
  return o.str();
}

std::string curve_file_name(const record::RunRecord& run, const record::StepRecord& step,
                            const record::CurveRecord& curve, const std::string& suffix) {
  std::string stem = safe_file_stem(run.serial) + "-run" + std::to_string(run.id) + "-" +
                     safe_file_stem(step.step_id);
  if (const auto where = record::point_in_words(curve.point); !where.empty())
    stem += "-" + safe_file_stem(where);
  return stem + "-" + safe_file_stem(curve.channel) + suffix;
}

std::vector<std::filesystem::path> write_curve_files(const record::RunRecord& run,
                                                     const std::filesystem::path& dir, bool rew) {
  std::filesystem::create_directories(dir);
  std::vector<std::filesystem::path> written;
  for (const auto& step : run.steps) {
    for (const auto& c : step.curves) {
      if (rew && c.name != "response_db") continue;
      // A response's phase goes beside it, not in a file of its own.
      if (!rew && c.name == "phase_deg" &&
          std::any_of(step.curves.begin(), step.curves.end(),
                      [&](const record::CurveRecord& r) { return phase_of(step, r) == &c; }))
        continue;
      const auto* phase = phase_of(step, c);
      const auto path = dir / curve_file_name(run, step, c, rew ? ".txt" : "-" + c.name + ".csv");
      write_file_atomically(path,
                            rew ? render_rew(run, step, c, phase) : render_curve_csv(c, phase));
      written.push_back(path);
    }
  }
  return written;
}

}  // namespace ampbench::report
