// JUnit XML for CI servers (Jenkins, GitLab): a testsuite per run, a testcase per step,
// FAIL as <failure>, ERROR and ABORTED as <error>, measurements as system-out.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/output_file.hpp"
#include "record/record.hpp"

namespace ampbench::report {

std::string render_junit(const std::vector<record::RunRecord>& runs);

// A batch's JUnit file written as it goes: each unit's testsuite is rendered when the unit
// ends and kept on disk beside the target (common/output_file.hpp's temporary), so a shift of
// units costs no memory; finish() writes the file whole, with the totals its root element
// carries, and renames it into place (IoError naming the file).
class JunitFile {
 public:
  explicit JunitFile(std::filesystem::path target);
  void add(const record::RunRecord& run);
  void finish();

 private:
  std::filesystem::path target_;
  PendingFile suites_;
  std::ofstream suites_out_;
  std::size_t count_ = 0;
  int tests_ = 0, failures_ = 0, errors_ = 0;
  double time_s_ = 0.0;
};

}  // namespace ampbench::report
