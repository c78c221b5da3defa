// Typed errors shared by every module. Each kind maps to one exit code in src/cli, so a
// caller never parses message text to decide what went wrong (SPEC §3 exit codes).
#pragma once

#include <stdexcept>
#include <string>

namespace ampbench {

enum class ExitCode : int {
  pass = 0,
  fail = 1,
  error = 2,
  aborted = 3,
  usage = 64,
  bad_input = 65,
  io = 74,
};

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual ExitCode exit_code() const { return ExitCode::error; }
};

// The command line itself is wrong.
class UsageError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::usage; }
};

// A file the user gave us (sequence, station, WAV) is malformed. The message always
// starts with the file and, where known, the line and the field.
class InputError : public Error {
 public:
  InputError(const std::string& file, int line, const std::string& field, const std::string& what)
      : Error(format(file, line, field, what)), file_(file), line_(line), field_(field) {}
  InputError(const std::string& file, const std::string& what) : InputError(file, 0, "", what) {}
  ExitCode exit_code() const override { return ExitCode::bad_input; }
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  const std::string& field() const { return field_; }

 private:
  static std::string format(const std::string& file, int line, const std::string& field,
                            const std::string& what) {
    std::string s = file;
    if (line > 0) s += ":" + std::to_string(line);
    s += ": ";
    if (!field.empty()) s += "field '" + field + "': ";
    return s + what;
  }
  std::string file_;
  int line_;
  std::string field_;
};

// Several input errors, each already printed on its own line (validate lists them all).
class InputErrorsReported : public Error {
 public:
  explicit InputErrorsReported(std::size_t count)
      : Error(std::to_string(count) + " error(s) in the input files"), count_(count) {}
  ExitCode exit_code() const override { return ExitCode::bad_input; }
  std::size_t count() const { return count_; }

 private:
  std::size_t count_;
};

// Reading or writing a file or database failed for reasons outside the file's content.
class IoError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::io; }
};

// A measurement could not complete (no tone found, instrument fault, xrun). ERROR, not FAIL.
class MeasurementError : public Error {
 public:
  using Error::Error;
};

// A hardware-safety limit would be or was exceeded; the stimulus was refused or stopped.
class SafetyError : public MeasurementError {
 public:
  using MeasurementError::MeasurementError;
};

// The operator or a signal stopped the run.
class AbortedError : public Error {
 public:
  using Error::Error;
  ExitCode exit_code() const override { return ExitCode::aborted; }
};

}  // namespace ampbench
