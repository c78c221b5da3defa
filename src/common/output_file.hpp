// Files a command writes land whole or not at all: written under a temporary name beside
// their own, flushed to the disk and renamed over it. A failed write, flush or close is an
// IoError naming the file (exit 74) and leaves nothing behind; standard output is checked
// the same way before a command exits. A target that is not a regular file (a terminal,
// /dev/stdout, a pipe) is written in place, every write checked.
#pragma once

#include <filesystem>
#include <string_view>

namespace ampbench {

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// For a library that writes by name (libsndfile): temp() is where to write; commit()
// flushes it to the disk and renames it over the target; destroyed uncommitted, it removes
// what was written.
class PendingFile {
 public:
  explicit PendingFile(std::filesystem::path target);
  ~PendingFile();
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;
  const std::filesystem::path& temp() const { return temp_; }
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

// Flushes standard output; throws IoError when any write to it failed (a full disk behind
// a redirection, a closed pipe, /dev/full).
void finish_standard_output();

}  // namespace ampbench
