#include "store/results_reader.hpp"

#include <filesystem>

#include "common/error.hpp"
#include "common/postgres_uri.hpp"
#include "store/postgres_store.hpp"
#include "store/result_store.hpp"

namespace ampbench::store {

std::unique_ptr<ResultsReader> open_results(const std::string& name) {
  if (is_postgres_uri(name)) return PostgresStore::open(name, PostgresStore::Mode::read_only);
  std::error_code ec;
  if (!std::filesystem::exists(name, ec)) throw IoError(name + ": no such database");
  return ResultStore::open(name, ResultStore::Mode::read_only);
}

std::string glob_to_like(const std::string& glob) {
  std::string like;
  for (char c : glob) {
    if (c == '*')
      like += '%';
    else if (c == '?')
      like += '_';
    else if (c == '%' || c == '_' || c == '\\')
      like += std::string("\\") + c;
    else
      like += c;
  }
  return like;
}

}  // namespace ampbench::store
