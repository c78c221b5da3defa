// store: the PostgreSQL store's own helpers — its connection, a result row as rows.hpp
// reads it, a run filter's parameters, and database calls whose failures name the store.
#pragma once

#include <cstring>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "store/postgres_store.hpp"
#include "store/rows.hpp"

namespace ampbench::store {

struct PostgresStore::Connection {
  explicit Connection(const std::string& options) : db(options) {}
  pqxx::connection db;
};

inline const char* nullable(const std::optional<std::string>& s) {
  return s ? s->c_str() : nullptr;
}

inline std::vector<double> float64_array(const pqxx::field& f) {
  const pqxx::binarystring bytes(f);
  std::vector<double> out(bytes.size() / sizeof(double));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(double));
  return out;
}

struct FilterParams {
  std::optional<std::string> serial, verdict, since, until, station, line, sequence, slot;
  explicit FilterParams(const RunFilter& f)
      : serial(f.serial ? std::optional(glob_to_like(*f.serial)) : std::nullopt),
        verdict(f.verdict ? std::optional(std::string(record::verdict_name(*f.verdict)))
                          : std::nullopt),
        since(f.since),
        until(f.until),
        station(f.station),
        line(f.line),
        sequence(f.sequence),
        slot(f.slot) {}
};

// `sql` run with the filter's conditions as $1…$8 (run_filter_sql), then `extra` from $9.
template <typename... Extra>
pqxx::result exec_filtered(pqxx::transaction_base& t, const std::string& sql, const RunFilter& f,
                           Extra&&... extra) {
  const FilterParams p(f);
  return t.exec_params(sql, nullable(p.serial), nullable(p.verdict), nullable(p.since),
                       nullable(p.until), nullable(p.station), nullable(p.line),
                       nullable(p.sequence), nullable(p.slot), std::forward<Extra>(extra)...);
}

inline std::optional<double> optional_real(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

// A result row as rows.hpp reads it.
struct PgRow {
  const pqxx::row& row;
  std::string text(int i) const { return row[i].is_null() ? "" : row[i].as<std::string>(); }
  std::int64_t integer(int i) const { return row[i].as<std::int64_t>(); }
  std::optional<double> real(int i) const { return optional_real(row[i]); }
  std::vector<double> floats(int i) const { return float64_array(row[i]); }
};

// libpq's messages may span lines (the statement, a caret under the error); ampbench's
// errors are one line: the first.
inline std::string one_line(const std::exception& e) {
  std::string what = e.what();
  what = what.substr(0, what.find('\n'));
  while (!what.empty() && what.back() == ' ') what.pop_back();
  return what;
}

// Runs a database call, its failures as IoError naming the store.
template <typename F>
auto guarded(const std::string& name, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::failure& e) {
    throw IoError(name + ": " + one_line(e));
  }
}

}  // namespace ampbench::store
