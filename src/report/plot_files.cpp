#include "report/plot_files.hpp"

#include "common/output_file.hpp"
#include "report/files.hpp"

namespace ampbench::report {

std::vector<std::filesystem::path> write_plot_files(const record::RunRecord& run,
                                                    const std::filesystem::path& dir,
                                                    const PlotOptions& options) {
  std::filesystem::create_directories(dir);
  std::vector<std::filesystem::path> written;
  const std::string unit = safe_file_stem(run.serial) + "-run" + std::to_string(run.id);
  for (const auto& step : run.steps)
    for (const auto& p : step_plots(step, options)) {
      const auto stem = dir / (unit + "-" + safe_file_stem(step.step_id) + "-" + p.name);
      auto svg = stem;
      svg += ".svg";
      write_file_atomically(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
                                     render_svg(p.plot, p.width, p.height) + "\n");
      auto csv = stem;
      csv += ".csv";
      write_file_atomically(csv, plot_csv(p.plot));
      written.push_back(svg);
      written.push_back(csv);
    }
  return written;
}

}  // namespace ampbench::report
