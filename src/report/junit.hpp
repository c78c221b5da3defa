// JUnit XML for CI servers (Jenkins, GitLab): a testsuite per run, a testcase per step,
// FAIL as <failure>, ERROR and ABORTED as <error>, measurements as system-out.
#pragma once

#include <string>
#include <vector>

#include "record/record.hpp"

namespace ampbench::report {

std::string render_junit(const std::vector<record::RunRecord>& runs);

}  // namespace ampbench::report
