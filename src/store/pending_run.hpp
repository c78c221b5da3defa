// store: a run the database could not take (locked past the busy timeout, full, failing)
// is kept whole in a side file beside it, DB-pending/UUID.json, which the next open of the
// database for writing imports — replacing whatever of the run was stored — and removes
// (ResultStore::import_pending_runs). The file's room is reserved when the run begins and
// held under an OFD lock while it runs, so an importer never takes a live run's file, and
// at least the run's verdict and why fit even on a filesystem with no space left.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "record/record.hpp"

namespace ampbench::store {

// DB-pending, beside the database file.
std::filesystem::path pending_dir(const std::string& db_path);

class PendingRunFile {
 public:
  // Reserves DB-pending/UUID.json (best effort: without room the run goes on unreserved).
  PendingRunFile(const std::string& db_path, const std::string& uuid);
  ~PendingRunFile();  // removes the reservation unless the run was kept in it
  PendingRunFile(const PendingRunFile&) = delete;
  PendingRunFile& operator=(const PendingRunFile&) = delete;

  // Writes the whole run, its verdict and `reason`; where the disk has no room for that,
  // the verdict and reason alone into the reserved room. Returns the file's path, or
  // nullopt when nothing could be written.
  std::optional<std::filesystem::path> keep(const record::RunRecord& run,
                                            const std::string& reason);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool kept_ = false;
};

// What a side file holds: the run (with its steps when the whole run was written) and why.
struct PendingRun {
  record::RunRecord run;
  bool whole = false;  // false: only the run's verdict and reason fitted
  std::string reason;
};
// Throws std::invalid_argument for a file that holds no run (a reservation never used).
PendingRun parse_pending_run(const std::string& text);
// Whether a live run still holds the file (its writer's OFD lock).
bool pending_file_in_use(const std::filesystem::path& path);

}  // namespace ampbench::store
