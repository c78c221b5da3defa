// The self-tests of a station's SQLite file (SPEC §15): written once by `selftest`, the latest
// read by a run to flag results at the analyzer's own floor.
#include "common/error.hpp"
#include "store/result_store.hpp"
#include "store/rows.hpp"
#include "store/schema.hpp"
#include "store/sqlite_statement.hpp"

namespace ampbench::store {

void ResultStore::add_selftest(const nlohmann::json& result) {
  Statement s(db_,
              "INSERT INTO selftests(uuid, station_name, started_at, verdict, result_json) "
              "VALUES(?1, ?2, ?3, ?4, ?5)");
  s.bind_all(1, selftest_values(result));
  s.run();
}

std::optional<nlohmann::json> ResultStore::latest_selftest(
    const std::string& station_name, const std::optional<std::string>& started_by) const {
  // ISO 8601 UTC times in one format sort as text.
  Statement q(db_,
              "SELECT result_json FROM selftests WHERE station_name = ?1 AND (?2 IS NULL OR "
              "started_at <= ?2) ORDER BY id DESC LIMIT 1");
  q.bind_all(1, {station_name, started_by ? SqlValue(*started_by) : SqlValue(std::monostate{})});
  if (!q.step()) return std::nullopt;
  auto result = nlohmann::json::parse(q.text(0), nullptr, false);
  if (result.is_discarded()) throw IoError(path_ + ": a self-test's result_json is not JSON");
  return result;
}

}  // namespace ampbench::store
