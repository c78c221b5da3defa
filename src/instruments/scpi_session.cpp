#include "instruments/scpi_session.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace ampbench::instruments {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80))
    out += (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) ? c : '?';
  return s.size() > 80 ? out + "…" : out;
}

}  // namespace

ScpiErrorEntry parse_scpi_error(std::string_view reply) {
  const std::string_view s = trim(reply);
  const std::size_t comma = s.find(',');
  const std::string number(s.substr(0, comma));
  char* end = nullptr;
  errno = 0;
  const long code = std::strtol(number.c_str(), &end, 10);
  if (number.empty() || *end != '\0' || errno == ERANGE || code < -32768 || code > 32767)
    throw InstrumentError("not an error-queue entry: '" + printable(s) + "'");
  ScpiErrorEntry e;
  e.code = static_cast<int>(code);
  if (comma != std::string_view::npos) {
    std::string_view text = trim(s.substr(comma + 1));
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
      text = text.substr(1, text.size() - 2);
    e.message = printable(text);
  }
  return e;
}

double parse_scpi_number(std::string_view reply) {
  const std::string s(trim(reply));
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !std::isfinite(v))
    throw InstrumentError("expected a number, got '" + printable(s) + "'");
  if (std::abs(v) >= 9.9e37)
    throw InstrumentError("the instrument reports an overload (" + s + ")");
  return v;
}

ScpiSession::ScpiSession(std::unique_ptr<ScpiTransport> transport, std::string name,
                         Milliseconds timeout)
    : transport_(std::move(transport)), name_(std::move(name)), timeout_(timeout) {}

void ScpiSession::write_raw(const std::string& message) {
  if (message.find_first_of("\r\n") != std::string::npos)
    throw UsageError("a SCPI command is one line: '" + printable(message) + "'");
  transport_->write(message + "\n");
}

std::string ScpiSession::read_raw() {
  try {
    return std::string(trim(transport_->read(timeout_)));
  } catch (const InstrumentTimeout& e) {
    // A reply that comes late must not answer the next query: start clean.
    try {
      transport_->clear();
    } catch (const InstrumentError&) {
    }
    throw InstrumentTimeout(name_ + ": " + e.what());
  } catch (const InstrumentError& e) {
    throw InstrumentError(name_ + ": " + e.what());
  }
}

std::vector<ScpiErrorEntry> ScpiSession::drain_errors() {
  std::vector<ScpiErrorEntry> out;
  // A queue holds a bounded number of entries (plus -350 "Queue overflow"); a device that
  // never says 0 is broken, not busy.
  for (int i = 0; i < 64; ++i) {
    write_raw("SYST:ERR?");
    const auto entry = parse_scpi_error(read_raw());
    if (entry.code == 0) return out;
    out.push_back(entry);
  }
  throw InstrumentError(name_ + ": the error queue never empties");
}

void ScpiSession::check_errors(const std::string& after) {
  const auto errors = drain_errors();
  if (errors.empty()) return;
  std::string text;
  for (const auto& e : errors)
    text += (text.empty() ? "" : "; ") + std::to_string(e.code) + ",\"" + e.message + "\"";
  throw InstrumentError(name_ + ": '" + after + "' → " + text);
}

void ScpiSession::command(const std::string& command) {
  try {
    write_raw(command);
  } catch (const InstrumentError& e) {
    throw InstrumentError(name_ + ": '" + command + "': " + e.what());
  }
  check_errors(command);
}

std::string ScpiSession::query(const std::string& query) {
  write_raw(query);
  std::string reply = read_raw();
  check_errors(query);
  return reply;
}

std::string ScpiSession::identify() {
  write_raw("*IDN?");
  return read_raw();
}

void ScpiSession::reset() {
  command("*RST");
  write_raw("*OPC?");
  read_raw();
}

void ScpiSession::clear_status() {
  write_raw("*CLS");
}

}  // namespace ampbench::instruments
