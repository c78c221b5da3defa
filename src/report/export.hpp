// report: writers that read only the run record — JSON (the whole run) and CSV (one row
// per measurement, sweep coordinates flattened). HTML, JUnit and REW come later.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "record/record.hpp"

namespace ampbench::report {

// with_curves: include curve arrays; with_texts: include the sequence and station files.
nlohmann::json run_to_json(const record::RunRecord& run, bool with_curves = true,
                           bool with_texts = false);
void write_csv(std::ostream& out, const std::vector<record::RunRecord>& runs);
// RFC 4180 quoting when needed.
std::string csv_field(const std::string& text);

}  // namespace ampbench::report
