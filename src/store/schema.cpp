#include "store/schema.hpp"

#include <algorithm>

namespace ampbench::store {
namespace {

constexpr Column kRunColumns[] = {
    {"id", ColumnType::key},
    {"uuid", ColumnType::uuid, false, {}, Holder::both, true},
    {"sequence_name", ColumnType::text},
    {"sequence_sha256", ColumnType::text},
    {"sequence_text", ColumnType::text, false, {}, Holder::both, false, "sequence_sha256"},
    {"station_name", ColumnType::text},
    {"line", ColumnType::text, false, "''"},
    {"station_text", ColumnType::text, false, {}, Holder::both, false, "station_sha256"},
    {"serial", ColumnType::text},
    {"operator", ColumnType::text},
    {"software_version", ColumnType::text},
    {"started_at", ColumnType::time},
    {"finished_at", ColumnType::time, true},
    {"verdict", ColumnType::text},
    {"host", ColumnType::text, false, {}, Holder::station},
    {"pid", ColumnType::integer, false, {}, Holder::station},
    {"station_run_id", ColumnType::big_integer, false, {}, Holder::central},
    {"received_at", ColumnType::time, false, "now()", Holder::central},
    {"slot", ColumnType::text, true},  // from here on where ALTER TABLE puts them in older files
    // How long the run held its bench (schema 10 in SQLite, 7 in PostgreSQL): NULL while it
    // runs and in older runs.
    {"stimulus_s", ColumnType::real, true},
    {"unit_s", ColumnType::real, true},
    {"analysis_s", ColumnType::real, true},
    {"transfers", ColumnType::integer, true},
    // The limits file layered on the sequence's (SPEC §16); NULL without one (same schemas).
    {"limits_sha256", ColumnType::text, true},
    {"limits_text", ColumnType::text, true, {}, Holder::both, false, "limits_sha256"},
    // The station file's sha256 (schema 11, 8): its text is in `texts` with the sequence's.
    {"station_sha256", ColumnType::text, true},
};

constexpr Column kStepColumns[] = {
    {"id", ColumnType::key},          {"run_id", ColumnType::parent},
    {"ordinal", ColumnType::integer}, {"step_id", ColumnType::text},
    {"kind", ColumnType::text},       {"params_json", ColumnType::json},
    {"started_at", ColumnType::time}, {"finished_at", ColumnType::time, true},
    {"verdict", ColumnType::text},    {"message", ColumnType::text, false, "''"},
};

constexpr Column kMeasurementColumns[] = {
    {"id", ColumnType::key},
    {"step_id", ColumnType::parent},
    {"channel", ColumnType::text},
    {"name", ColumnType::text},
    {"value", ColumnType::real, true},
    {"unit", ColumnType::text},
    {"low", ColumnType::real, true},
    {"high", ColumnType::real, true},
    {"verdict", ColumnType::text},
    {"point_json", ColumnType::json},
    {"note", ColumnType::text, false, "''"},
    {"uncertainty", ColumnType::real, true},  // schema 8 (SQLite), 5 (PostgreSQL)
    {"coverage_k", ColumnType::real, true},
    {"flags", ColumnType::text, false, "''"},
    // The central store's measurements name their run too (schema 8), so that they can be
    // partitioned by it (docs/line.md) and a run's are found without its steps.
    {"run_id", ColumnType::big_integer, true, {}, Holder::central},
};

constexpr Column kCurveColumns[] = {
    {"id", ColumnType::key},
    {"step_id", ColumnType::parent},
    {"channel", ColumnType::text},
    {"name", ColumnType::text},
    {"x_unit", ColumnType::text},
    {"y_unit", ColumnType::text},
    {"x", ColumnType::bytes},
    {"y", ColumnType::bytes},
    {"point_json", ColumnType::json, false, "'{}'"},
    {"style_json", ColumnType::json, false, "'{}'"},  // schema 7 (SQLite), 4 (PostgreSQL)
    {"run_id", ColumnType::big_integer, true, {}, Holder::central},  // as measurements'
};

// Sequence, station and limits files, each once however many runs used it (schema 11 in
// SQLite, 8 in PostgreSQL): 4.7 KB a run otherwise.
constexpr Column kTextColumns[] = {
    {"id", ColumnType::key},
    {"sha256", ColumnType::text, false, {}, Holder::both, true},
    {"text", ColumnType::text},
};

// SPEC §15: never updated; a new calibration is a new row (schema 8 in SQLite, 5 in
// PostgreSQL).
constexpr Column kCalibrationColumns[] = {
    {"id", ColumnType::key},
    {"uuid", ColumnType::uuid, false, {}, Holder::both, true},
    {"station_name", ColumnType::text},
    {"channel", ColumnType::integer},
    {"direction", ColumnType::text},
    {"sample_rate_hz", ColumnType::real},
    {"range", ColumnType::text, true},
    {"vrms_at_0dbfs", ColumnType::real},
    {"u_db", ColumnType::real},
    {"coverage_k", ColumnType::real},
    {"created_at", ColumnType::time},
    {"valid_until", ColumnType::time, true},
    {"operator", ColumnType::text},
    {"reference_idn", ColumnType::text},
    {"reference_due", ColumnType::text, false, "''"},
    {"temperature_c", ColumnType::real, true},
    {"readings_json", ColumnType::json},
    {"note", ColumnType::text, false, "''"},
};

constexpr Column kRunCalibrationColumns[] = {
    {"run_id", ColumnType::parent},
    {"calibration_id", ColumnType::big_integer},
};

// SPEC §15: the bench's self-tests, never updated (schema 9 in SQLite, 6 in PostgreSQL).
constexpr Column kSelftestColumns[] = {
    {"id", ColumnType::key},
    {"uuid", ColumnType::uuid, false, {}, Holder::both, true},
    {"station_name", ColumnType::text},
    {"started_at", ColumnType::time},
    {"verdict", ColumnType::text},
    {"result_json", ColumnType::json},
};

struct Index {
  std::string_view name;
  std::string_view table;
  std::string_view columns;
  bool central_only = false;
};

constexpr Index kIndexes[] = {
    {"runs_serial", "runs", "serial"},
    {"runs_started", "runs", "started_at"},
    {"runs_station", "runs", "station_name, started_at"},
    {"runs_sequence", "runs", "sequence_name, started_at"},
    {"runs_line", "runs", "line, started_at"},
    {"runs_slot", "runs", "slot, started_at"},
    {"runs_verdict", "runs", "verdict, started_at"},
    {"steps_run", "steps", "run_id"},
    {"measurements_step", "measurements", "step_id"},
    {"curves_step", "curves", "step_id"},
    {"calibrations_station", "calibrations", "station_name, sample_rate_hz, channel, direction"},
    {"run_calibrations_run", "run_calibrations", "run_id"},
    {"selftests_station", "selftests", "station_name, id"},
    {"measurements_run", "measurements", "run_id", true},
    {"curves_run", "curves", "run_id", true},
};

bool held_by(const Column& c, Dialect dialect) {
  return c.holder == Holder::both || (c.holder == Holder::station) == (dialect == Dialect::sqlite);
}

std::string type_sql(const Column& c, const Table& table, Dialect dialect) {
  const bool pg = dialect == Dialect::postgres;
  switch (c.type) {
    case ColumnType::key:
      return pg ? "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY";
    case ColumnType::parent:
      return std::string(pg ? "bigint" : "INTEGER") + " NOT NULL REFERENCES " +
             std::string(table.parent_table) + "(id) ON DELETE CASCADE";
    case ColumnType::integer:
      return pg ? "integer" : "INTEGER";
    case ColumnType::big_integer:
      return pg ? "bigint" : "INTEGER";
    case ColumnType::text:
      return pg ? "text" : "TEXT";
    case ColumnType::real:
      return pg ? "double precision" : "REAL";
    case ColumnType::bytes:
      return pg ? "bytea" : "BLOB";
    case ColumnType::json:
      return pg ? "jsonb" : "TEXT";
    case ColumnType::time:
      return pg ? "timestamptz" : "TEXT";
    case ColumnType::uuid:
      return pg ? "uuid" : "TEXT";
  }
  return "";
}

std::string create_table_sql(const Table& table, Dialect dialect) {
  std::string sql = "CREATE TABLE " + std::string(table.name) + "(";
  const char* separator = "\n  ";
  for (const Column& c : table.columns) {
    if (!held_by(c, dialect)) continue;
    sql += separator + std::string(c.name) + " " + type_sql(c, table, dialect);
    if (c.unique) sql += " UNIQUE";
    if (!c.nullable && c.type != ColumnType::key && c.type != ColumnType::parent)
      sql += " NOT NULL";
    if (!c.default_sql.empty()) sql += " DEFAULT " + std::string(c.default_sql);
    separator = ",\n  ";
  }
  return sql + ");\n";
}

std::string qualified(std::string_view alias, std::string_view column) {
  return alias.empty() ? std::string(column) : std::string(alias) + "." + std::string(column);
}

}  // namespace

const Table kRunsTable{"runs", kRunColumns};
const Table kStepsTable{"steps", kStepColumns, "runs"};
const Table kMeasurementsTable{"measurements", kMeasurementColumns, "steps"};
const Table kCurvesTable{"curves", kCurveColumns, "steps"};
const Table kCalibrationsTable{"calibrations", kCalibrationColumns};
const Table kRunCalibrationsTable{"run_calibrations", kRunCalibrationColumns, "runs"};
const Table kSelftestsTable{"selftests", kSelftestColumns};
const Table kTextsTable{"texts", kTextColumns};

std::string create_tables_sql(std::initializer_list<const Table*> tables, Dialect dialect) {
  std::string sql;
  for (const Table* t : tables) sql += create_table_sql(*t, dialect);
  for (const Index& i : kIndexes)
    for (const Table* t : tables)
      if (i.table == t->name && (!i.central_only || dialect == Dialect::postgres))
        sql += "CREATE INDEX " + std::string(i.name) + " ON " + std::string(i.table) + "(" +
               std::string(i.columns) + ");\n";
  return sql;
}

std::string create_indexes_sql(std::span<const std::string_view> names) {
  std::string sql;
  for (const auto name : names)
    for (const Index& i : kIndexes)
      if (i.name == name)
        sql += "CREATE INDEX " + std::string(i.name) + " ON " + std::string(i.table) + "(" +
               std::string(i.columns) + ");\n";
  return sql;
}

std::string create_results_sql(Dialect dialect) {
  return create_tables_sql(
      {&kRunsTable, &kStepsTable, &kMeasurementsTable, &kCurvesTable, &kCalibrationsTable,
       &kRunCalibrationsTable, &kSelftestsTable, &kTextsTable},
      dialect);
}

std::string read_columns(const Table& table, Dialect dialect, std::string_view alias,
                         bool with_key) {
  const bool pg = dialect == Dialect::postgres;
  std::string out;
  for (const Column& c : table.columns) {
    const bool key = c.type == ColumnType::key;
    if ((key && !with_key) || c.type == ColumnType::parent || c.holder != Holder::both) continue;
    std::string e = qualified(alias, c.name);
    if (pg && c.type == ColumnType::time)
      e = "to_char(" + e + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
    else if (pg && (c.type == ColumnType::uuid || c.type == ColumnType::json))
      e += "::text";
    if (c.type == ColumnType::time && c.nullable) e = "COALESCE(" + e + ", '')";
    if (!c.text_by_hash.empty())
      e = "COALESCE(NULLIF(" + e + ", ''), (SELECT t.text FROM texts t WHERE t.sha256 = " +
          qualified(alias, c.text_by_hash) + "), " + e + ")";
    out += (out.empty() ? "" : ", ") + e;
  }
  return out;
}

std::string postgres_bridge_view_sql(const Table& table, const std::vector<std::string>& present) {
  const auto has = [&](std::string_view name) {
    return std::find(present.begin(), present.end(), name) != present.end();
  };
  std::string added;
  for (const Column& c : table.columns) {
    if (c.holder == Holder::station || has(c.name)) continue;
    const bool id = c.type == ColumnType::key || c.type == ColumnType::parent;
    const std::string type = id ? "bigint" : type_sql(c, table, Dialect::postgres);
    const std::string value =
        c.default_sql.empty() || c.default_sql == "now()" ? "NULL" : std::string(c.default_sql);
    added += (added.empty() ? "" : ", ") + ("CAST(" + value + " AS " + type + ") AS ") +
             std::string(c.name);
  }
  if (added.empty()) return "";
  const std::string name(table.name);
  if (present.empty()) return "CREATE TEMP VIEW " + name + " AS SELECT " + added + " WHERE false";
  return "CREATE TEMP VIEW " + name + " AS SELECT *, " + added + " FROM public." + name;
}

std::vector<std::string_view> record_columns(const Table& table) {
  std::vector<std::string_view> out;
  for (const Column& c : table.columns)
    if (c.type != ColumnType::key && c.type != ColumnType::parent && c.holder == Holder::both)
      out.push_back(c.name);
  return out;
}

std::string run_filter_sql(Dialect dialect, std::string_view alias, std::optional<unsigned> only) {
  struct Condition {
    std::string_view column, op, pg_type;
  };
  constexpr Condition kConditions[] = {
      {"serial", "LIKE", "text"},          {"verdict", "=", "text"},
      {"started_at", ">=", "timestamptz"}, {"started_at", "<", "timestamptz"},
      {"station_name", "=", "text"},       {"line", "=", "text"},
      {"sequence_name", "=", "text"},      {"slot", "=", "text"}};
  std::string sql;
  int n = 0;
  for (const auto& c : kConditions) {
    const std::string number = std::to_string(++n);
    if (only && !(*only & (1u << (n - 1)))) continue;
    const std::string param =
        dialect == Dialect::postgres ? "$" + number + "::" + std::string(c.pg_type) : "?" + number;
    std::string condition = (only ? std::string("(") : "(" + param + " IS NULL OR ") +
                            qualified(alias, c.column) + " " + std::string(c.op) + " " + param;
    // SQLite's LIKE takes no escape character unless told; glob_to_like escapes with '\'.
    if (c.op == "LIKE" && dialect == Dialect::sqlite) condition += " ESCAPE '\\'";
    sql += (sql.empty() ? "" : " AND ") + condition + ")";
  }
  return sql.empty() ? "1 = 1" : sql;
}

std::string sqlite_insert_sql(const Table& table, std::vector<std::string_view> leading) {
  for (auto column : record_columns(table)) leading.push_back(column);
  std::string columns, params;
  for (std::size_t k = 0; k < leading.size(); ++k) {
    columns += (k ? ", " : "") + std::string(leading[k]);
    params += (k ? ", ?" : "?") + std::to_string(k + 1);
  }
  return "INSERT INTO " + std::string(table.name) + "(" + columns + ") VALUES(" + params + ")";
}

}  // namespace ampbench::store
