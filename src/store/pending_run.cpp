#include "store/pending_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/output_file.hpp"
#include "store/rows.hpp"

namespace ampbench::store {
namespace {

// Room for a run's verdict, its reason and the run's own fields without its texts.
constexpr off_t kReservedBytes = 16384;
constexpr const char* kFormat = "ampbench pending run 1";

struct flock whole_file(short type) {
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  return lock;
}

nlohmann::json to_json(const std::vector<SqlValue>& values) {
  nlohmann::json row = nlohmann::json::array();
  for (const auto& v : values) {
    if (std::holds_alternative<std::monostate>(v))
      row.push_back(nullptr);
    else if (const auto* i = std::get_if<std::int64_t>(&v))
      row.push_back(*i);
    else if (const auto* d = std::get_if<double>(&v))
      row.push_back(*d);
    else if (const auto* s = std::get_if<std::string>(&v))
      row.push_back(*s);
    else
      row.push_back(*std::get<const std::vector<double>*>(v));
  }
  return row;
}

// A row of the side file read as the store's rows are (rows.hpp).
struct JsonRow {
  const nlohmann::json& values;
  // A file written before a column existed has no value for it: NULL.
  const nlohmann::json& at(int i) const {
    static const nlohmann::json absent;
    const auto index = static_cast<std::size_t>(i);
    return index < values.size() ? values[index] : absent;
  }
  std::string text(int i) const { return at(i).is_string() ? at(i).get<std::string>() : ""; }
  std::int64_t integer(int i) const { return at(i).is_number() ? at(i).get<std::int64_t>() : 0; }
  std::optional<double> real(int i) const {
    if (!at(i).is_number()) return std::nullopt;
    return at(i).get<double>();
  }
  std::vector<double> floats(int i) const {
    return at(i).is_array() ? at(i).get<std::vector<double>>() : std::vector<double>{};
  }
};

// The stored rows put the key first: id 0, the importer gives the real one.
nlohmann::json keyed(nlohmann::json row) {
  row.insert(row.begin(), 0);
  return row;
}

nlohmann::json run_json(const record::RunRecord& run, bool whole, const std::string& reason) {
  nlohmann::json j{{"format", kFormat},
                   {"uuid", run.uuid},
                   {"reason", reason},
                   {"whole", whole},
                   {"run", keyed(to_json(run_values(run)))},
                   {"calibration_uuids", run.calibration_uuids}};
  if (!whole) return j;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& step : run.steps) {
    nlohmann::json s{{"step", keyed(to_json(step_values(step)))},
                     {"measurements", nlohmann::json::array()},
                     {"curves", nlohmann::json::array()}};
    for (const auto& m : step.measurements)
      s["measurements"].push_back(to_json(measurement_values(m)));
    for (const auto& c : step.curves) s["curves"].push_back(to_json(curve_values(c)));
    steps.push_back(std::move(s));
  }
  j["steps"] = std::move(steps);
  return j;
}

}  // namespace

std::filesystem::path pending_dir(const std::string& db_path) {
  return db_path + "-pending";
}

PendingRunFile::PendingRunFile(const std::string& db_path, const std::string& uuid)
    : path_(pending_dir(db_path) / (uuid + ".json")) {
  std::error_code ec;
  std::filesystem::create_directories(path_.parent_path(), ec);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return;
  auto lock = whole_file(F_WRLCK);
  if (::fcntl(fd_, F_OFD_SETLK, &lock) != 0 || ::posix_fallocate(fd_, 0, kReservedBytes) != 0) {
    ::close(fd_);
    fd_ = -1;
    std::filesystem::remove(path_, ec);
  }
}

PendingRunFile::~PendingRunFile() {
  if (!kept_) {
    std::error_code ec;
    if (fd_ >= 0) std::filesystem::remove(path_, ec);
  }
  if (fd_ >= 0) ::close(fd_);
}

std::optional<std::filesystem::path> PendingRunFile::keep(const record::RunRecord& run,
                                                          const std::string& reason) {
  try {
    write_file_atomically(
        path_,
        run_json(run, true, reason).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    kept_ = true;
    return path_;
  } catch (const std::exception&) {
    // No room for the whole run: its verdict and why into the room reserved at its start.
  }
  if (fd_ < 0) return std::nullopt;
  std::string text =
      run_json(run, false, reason).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > static_cast<std::size_t>(kReservedBytes)) {
    record::RunRecord bare = run;
    bare.sequence_text.clear();
    bare.station_text.clear();
    text = run_json(bare, false, reason.substr(0, 1024))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (text.size() > static_cast<std::size_t>(kReservedBytes) ||
      ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()) ||
      ::ftruncate(fd_, static_cast<off_t>(text.size())) != 0 || ::fdatasync(fd_) != 0)
    return std::nullopt;
  kept_ = true;
  return path_;
}

PendingRun parse_pending_run(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("format", "") != kFormat)
    throw std::invalid_argument("not a pending run");
  PendingRun pending;
  pending.reason = j.value("reason", "");
  pending.whole = j.value("whole", false);
  pending.run = run_from(JsonRow{j.at("run")});
  pending.run.id = 0;
  pending.run.calibration_uuids = j.value("calibration_uuids", std::vector<std::string>{});
  if (!pending.whole) return pending;
  for (const auto& s : j.at("steps")) {
    auto step = step_from(JsonRow{s.at("step")});
    step.id = 0;
    for (const auto& m : s.at("measurements"))
      step.measurements.push_back(measurement_from(JsonRow{m}));
    for (const auto& c : s.at("curves")) step.curves.push_back(curve_from(JsonRow{c}));
    pending.run.steps.push_back(std::move(step));
  }
  return pending;
}

bool pending_file_in_use(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  auto probe = whole_file(F_WRLCK);
  const bool held = ::fcntl(fd, F_OFD_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

}  // namespace ampbench::store
