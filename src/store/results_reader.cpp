#include "store/results_reader.hpp"

#include <filesystem>

#include "common/error.hpp"
#include "common/postgres_uri.hpp"
#include "store/pending_run.hpp"
#include "store/postgres_store.hpp"
#include "store/result_store.hpp"

namespace ampbench::store {

std::unique_ptr<ResultsReader> open_results(const std::string& name) {
  if (is_postgres_uri(name)) return PostgresStore::open(name, PostgresStore::Mode::read_only);
  std::error_code ec;
  if (!std::filesystem::exists(name, ec)) throw IoError(name + ": no such database");
  auto reader = ResultStore::open(name, ResultStore::Mode::read_only);
  // A run its writer could not finish (the database locked or full) is finished by the
  // first reader that can write the file: its side file imported, a dead run marked.
  bool side_files = false;
  for (const auto& entry : std::filesystem::directory_iterator(pending_dir(name), ec))
    side_files = side_files || entry.path().extension() == ".json";
  if (side_files || reader->has_unfinished_runs()) {
    try {
      ResultStore::open(name, ResultStore::Mode::read_write);
      reader = ResultStore::open(name, ResultStore::Mode::read_only);
    } catch (const IoError&) {
      // Read-only or still full: read what is there; a later reader finishes them.
    }
  }
  return reader;
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

std::string ambiguous_run_prefix(const std::string& key,
                                 const std::vector<record::RunRecord>& candidates) {
  std::string text = "run prefix '" + key + "' matches several runs:";
  for (std::size_t i = 0; i < candidates.size(); ++i)
    text += std::string(i ? ";" : "") + " " + candidates[i].uuid + " (serial " +
            candidates[i].serial + ", started " + candidates[i].started_at + ")";
  return text + (candidates.size() > 5 ? "; and more" : "") + ": give more of the uuid";
}

}  // namespace ampbench::store
