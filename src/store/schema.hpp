// store: the results tables (SPEC §7) described once. Both stores create their tables,
// list the columns they read and write, map rows to records and filter runs from this
// description, each rendering it in its own SQL dialect; a new column is one line here
// (and, when it carries a record field, one line in rows.hpp).
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ampbench::store {

enum class Dialect { sqlite, postgres };

enum class ColumnType {
  key,          // the row id
  parent,       // the id of the row this one belongs to (cascading delete)
  integer,      // 32-bit
  big_integer,  // 64-bit
  text,
  real,   // float64
  bytes,  // float64 little-endian arrays (curves)
  json,
  time,  // ISO 8601 UTC text in SQLite, timestamptz in PostgreSQL
  uuid,
};

// Which database holds a column: both, only a station's SQLite file (who is writing it),
// or only the line's PostgreSQL database (where it came from).
enum class Holder { both, station, central };

struct Column {
  std::string_view name;
  ColumnType type;
  bool nullable = false;
  std::string_view default_sql = {};
  Holder holder = Holder::both;
  bool unique = false;
  // A text kept once per distinct content in `texts` (schema 11 in SQLite, 8 in PostgreSQL),
  // found by the sha256 in this column of the same row; the column itself holds '' (or
  // NULL) in newer rows and the text in older ones.
  std::string_view text_by_hash = {};
};

struct Table {
  std::string_view name;
  std::span<const Column> columns;
  std::string_view parent_table = {};  // what a `parent` column references
};

extern const Table kRunsTable;
extern const Table kStepsTable;
extern const Table kMeasurementsTable;
extern const Table kCurvesTable;
extern const Table kCalibrationsTable;
extern const Table kRunCalibrationsTable;
extern const Table kSelftestsTable;
extern const Table kTextsTable;

// CREATE TABLE and CREATE INDEX statements for these tables (a migration adding them).
std::string create_tables_sql(std::initializer_list<const Table*> tables, Dialect dialect);
// The CREATE INDEX statements of the named indexes (of kIndexes), for a migration.
std::string create_indexes_sql(std::span<const std::string_view> names);
// What schema 12 (PostgreSQL 9) adds: every run filter of `stats`, `limits derive` and
// `results list` reaches the runs by an index, however many there are.
inline constexpr std::string_view kRunFilterIndexes[] = {"runs_sequence", "runs_line", "runs_slot",
                                                         "runs_verdict"};
// The same for every results table.
std::string create_results_sql(Dialect dialect);

// The columns a record is read from, in description order, as expressions of this dialect
// that give SQLite's text forms (times as ISO 8601 UTC, uuid and JSON as text, a missing
// time as ''); `alias` qualifies them ("r" → r.serial). Key, parent and one-database
// columns are left out unless `with_key` (the key first) is set.
std::string read_columns(const Table& table, Dialect dialect, std::string_view alias = {},
                         bool with_key = false);
// For a PostgreSQL database of an older schema read by a newer ampbench: a TEMP VIEW named
// as the table (PostgreSQL looks in pg_temp first) that adds the columns the database lacks
// (`present`: the ones it has; empty: the table itself is missing) as their defaults or
// NULL, so that read_columns reads it; "" when nothing is missing.
std::string postgres_bridge_view_sql(const Table& table, const std::vector<std::string>& present);
// The columns both stores write for a record (no key, no parent, no one-database columns).
std::vector<std::string_view> record_columns(const Table& table);

// INSERT INTO table(columns) VALUES(?1, …) for the columns both stores write, after
// `leading` columns of this store's own (SQLite's placeholders).
std::string sqlite_insert_sql(const Table& table, std::vector<std::string_view> leading);

// The conditions of a RunFilter on runs (alias.), with placeholders 1…8 in this order:
// serial LIKE, verdict, since, until, station, line, sequence, slot; a null parameter drops
// its condition. `only` (bit i for placeholder i + 1) leaves out the conditions of the
// filter's unset fields altogether: SQLite plans a statement before its parameters are
// bound, and "?3 IS NULL OR started_at >= ?3" would keep it from the index on started_at.
// PostgreSQL plans with the values and needs every placeholder's type: all conditions.
std::string run_filter_sql(Dialect dialect, std::string_view alias = {},
                           std::optional<unsigned> only = std::nullopt);

}  // namespace ampbench::store
