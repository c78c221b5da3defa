// common: what a postgresql:// URI says, read as text: whether it is one, whether a
// station file may hold it, and how to show it without its password. No libpq here, so
// the station parser checks a forward target without linking the database client.
#pragma once

#include <optional>
#include <string>

namespace ampbench {

bool is_postgres_uri(const std::string& name);
// Why a station file's forward URI is refused (not postgresql://, or a password in it),
// or nothing when it is acceptable.
std::optional<std::string> forward_target_problem(const std::string& uri);
// The URI with any password replaced by "***": what messages and the forward queue show.
std::string redacted_uri(const std::string& uri);

}  // namespace ampbench
