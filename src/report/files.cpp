#include "report/files.hpp"

#include <cctype>

namespace ampbench::report {

std::string safe_file_stem(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    const bool keep = std::isalnum(c) || c == '-' || c == '_';
    if (keep)
      out += static_cast<char>(c);
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && (out.back() == '_' || out.back() == '-')) out.pop_back();
  while (!out.empty() && (out.front() == '_' || out.front() == '-')) out.erase(out.begin());
  if (out.size() > 64) out.resize(64);
  return out.empty() ? "unit" : out;
}

std::filesystem::path unique_report_path(const std::filesystem::path& dir,
                                         const record::RunRecord& run,
                                         const std::string& extension) {
  const std::string base =
      safe_file_stem(run.serial) + "-run" + std::to_string(run.id) + "-" + run.uuid.substr(0, 8);
  std::filesystem::path path = dir / (base + extension);
  for (int n = 2; std::filesystem::exists(path); ++n)
    path = dir / (base + "-" + std::to_string(n) + extension);
  return path;
}

}  // namespace ampbench::report
