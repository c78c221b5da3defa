// store: the SQLite store's own helpers — a prepared statement bound from records' values
// and read as a row (rows.hpp), a run filter bound to it, exec, and a transaction that
// rolls back unless committed.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "store/rows.hpp"

namespace ampbench::store {

// The file a connection has open, for messages: "/srv/r.db: database or disk is full".
inline std::string database_name(sqlite3* db) {
  const char* file = sqlite3_db_filename(db, "main");
  return file && *file ? file : "database";
}

// One prepared statement, finalised on scope exit; bind by 1-based index.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw IoError(database_name(db) + ": cannot prepare statement: " + sqlite3_errmsg(db));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, const std::optional<double>& v) {
    if (v)
      sqlite3_bind_double(stmt_, i, *v);
    else
      sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Statement& bind_blob(int i, const std::vector<double>& v) {
    // float64 little-endian, as SPEC §7 says; this host is little-endian (checked at open).
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size() * sizeof(double)),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, const SqlValue& v) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) return bind(i, *n);
    if (const auto* d = std::get_if<double>(&v)) return bind(i, *d);
    if (const auto* t = std::get_if<std::string>(&v)) return bind(i, *t);
    if (const auto* a = std::get_if<const std::vector<double>*>(&v)) return bind_blob(i, **a);
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // Binds `values` from parameter `first` on.
  Statement& bind_all(int first, const std::vector<SqlValue>& values) {
    for (std::size_t k = 0; k < values.size(); ++k) bind(first + static_cast<int>(k), values[k]);
    return *this;
  }
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw IoError(database_name(db_) + ": " + sqlite3_errmsg(db_));
  }
  void run() {
    step();
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : "";
  }
  // Valid until the next step or reset.
  std::string_view view(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p),
                                static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<double> real(int col) const {
    if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(stmt_, col);
  }
  std::vector<double> floats(int col) const {
    const auto* p = static_cast<const double*>(sqlite3_column_blob(stmt_, col));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)) / sizeof(double);
    return p ? std::vector<double>(p, p + n) : std::vector<double>{};
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Which of run_filter_sql's conditions the filter sets (bit i: placeholder i + 1).
inline unsigned filter_present(const RunFilter& f) {
  const bool set[] = {f.serial.has_value(),   f.verdict.has_value(), f.since.has_value(),
                      f.until.has_value(),    f.station.has_value(), f.line.has_value(),
                      f.sequence.has_value(), f.slot.has_value()};
  unsigned present = 0;
  for (unsigned i = 0; i < 8; ++i)
    if (set[i]) present |= 1u << i;
  return present;
}

inline void bind_filter(Statement& q, const RunFilter& f) {
  if (f.serial) q.bind(1, glob_to_like(*f.serial));
  if (f.verdict) q.bind(2, std::string(record::verdict_name(*f.verdict)));
  if (f.since) q.bind(3, *f.since);
  if (f.until) q.bind(4, *f.until);
  if (f.station) q.bind(5, *f.station);
  if (f.line) q.bind(6, *f.line);
  if (f.sequence) q.bind(7, *f.sequence);
  if (f.slot) q.bind(8, *f.slot);
}

inline void exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw IoError(database_name(db) + ": " + what);
  }
}

// A transaction that rolls back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { exec(db, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    exec(db_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3* db_;
  bool done_ = false;
};

}  // namespace ampbench::store
