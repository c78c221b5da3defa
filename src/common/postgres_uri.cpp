#include "common/postgres_uri.hpp"

namespace ampbench {
namespace {

std::string authority_of(const std::string& uri, std::size_t& start) {
  start = uri.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  const auto end = uri.find_first_of("/?", start);
  return uri.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool query_has_password(const std::string& uri) {
  const auto q = uri.find('?');
  if (q == std::string::npos) return false;
  const std::string query = "&" + uri.substr(q + 1);
  return query.find("&password=") != std::string::npos;
}

}  // namespace

bool is_postgres_uri(const std::string& name) {
  return name.rfind("postgresql://", 0) == 0 || name.rfind("postgres://", 0) == 0;
}

std::optional<std::string> forward_target_problem(const std::string& uri) {
  if (!is_postgres_uri(uri))
    return "must be a postgresql:// URI (e.g. postgresql://ampbench@results.line/ampbench)";
  std::size_t start = 0;
  const std::string authority = authority_of(uri, start);
  const auto at = authority.rfind('@');
  if ((at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos) ||
      query_has_password(uri))
    return "holds a password: a station file is no place for one; give it to libpq in "
           "PGPASSWORD, ~/.pgpass or a service file (postgresql:///?service=NAME)";
  return std::nullopt;
}

std::string redacted_uri(const std::string& uri) {
  std::size_t start = 0;
  const std::string authority = authority_of(uri, start);
  std::string out = uri;
  const auto at = authority.rfind('@');
  if (at != std::string::npos) {
    const auto colon = authority.substr(0, at).find(':');
    if (colon != std::string::npos) out.replace(start + colon + 1, at - colon - 1, "***");
  }
  const auto key = out.find("password=");
  if (key != std::string::npos && out.find('?') < key) {
    const auto value = key + 9;
    const auto end = out.find('&', value);
    out.replace(value, (end == std::string::npos ? out.size() : end) - value, "***");
  }
  return out;
}

}  // namespace ampbench
