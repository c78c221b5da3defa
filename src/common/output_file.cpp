#include "common/output_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "common/error.hpp"

namespace ampbench {
namespace {

std::string failure(const std::filesystem::path& path, const std::string& what, int error) {
  return path.string() + ": " + what + ": " + std::strerror(error);
}

bool written_in_place(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  return !ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status);
}

// Unique among this process's files and any other writer's: name, pid and a counter.
std::filesystem::path temporary_beside(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  const auto name = "." + target.filename().string() + ".partial-" + std::to_string(::getpid()) +
                    "-" + std::to_string(counter++);
  return target.parent_path() / name;
}

void write_all(int fd, std::string_view bytes, const std::filesystem::path& shown) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IoError(failure(shown, "write failed", n < 0 ? errno : EIO));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// fsync before the rename: otherwise a power cut can leave the new name on an empty file.
void sync_and_rename(const std::filesystem::path& temp, const std::filesystem::path& target) {
  const int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(failure(target, "cannot reopen what was written", errno));
  const int synced = ::fsync(fd);
  const int sync_error = errno;
  ::close(fd);
  if (synced != 0) throw IoError(failure(target, "cannot flush to the disk", sync_error));
  if (std::rename(temp.c_str(), target.c_str()) != 0)
    throw IoError(failure(target, "cannot rename the finished file into place", errno));
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  const bool in_place = written_in_place(path);
  std::optional<PendingFile> pending;
  if (!in_place) pending.emplace(path);
  const int fd =
      in_place ? ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC)
               : ::open(pending->temp().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) throw IoError(failure(path, "cannot write", errno));
  try {
    write_all(fd, bytes, path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) throw IoError(failure(path, "write failed", errno));
  if (pending) pending->commit();
}

PendingFile::PendingFile(std::filesystem::path target) : target_(std::move(target)) {
  if (written_in_place(target_)) {
    temp_ = target_;
    committed_ = true;
  } else {
    temp_ = temporary_beside(target_);
  }
}

PendingFile::~PendingFile() {
  if (committed_) return;
  std::error_code ignored;
  std::filesystem::remove(temp_, ignored);
}

void PendingFile::commit() {
  if (committed_) return;
  sync_and_rename(temp_, target_);
  committed_ = true;
}

// std::cout writes through stdout (synchronised with stdio), so one fflush flushes both and
// its errno says why.
void finish_standard_output() {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  const int error = errno;
  std::cout.flush();
  if (flushed && !std::ferror(stdout) && std::cout.good()) return;
  throw IoError(std::string("standard output: write failed") +
                (error ? std::string(": ") + std::strerror(error) : std::string()));
}

}  // namespace ampbench
