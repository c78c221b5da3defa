// JUnit XML for CI servers (Jenkins, GitLab): a testsuite per run, a testcase per step,
// FAIL as <failure>, ERROR and ABORTED as <error>, measurements as system-out.
#pragma once

#include <string>
#include <vector>

#include "record/record.hpp"

namespace ampbench::report {

std::string render_junit(const std::vector<record::RunRecord>& runs);

// What render_junit reads of a run, without its curves and texts: a batch keeps this much
// of each unit until the file is written.
record::RunRecord junit_essentials(const record::RunRecord& run);

}  // namespace ampbench::report
