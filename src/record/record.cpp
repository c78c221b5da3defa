#include "record/record.hpp"

#include <openssl/evp.h>
#include <uuid/uuid.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace ampbench::record {

nlohmann::json to_json(const CurveStyle& s) {
  if (s.title.empty()) return nlohmann::json::object();
  return {{"title", s.title},
          {"x_label", s.x_label},
          {"y_label", s.y_label},
          {"log_x", s.log_x},
          {"log_y", s.log_y}};
}

CurveStyle curve_style_from_json(const nlohmann::json& j) {
  CurveStyle s;
  if (!j.is_object()) return s;
  const auto text = [&](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const auto flag = [&](const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_boolean() && it->get<bool>();
  };
  s.title = text("title");
  s.x_label = text("x_label");
  s.y_label = text("y_label");
  s.log_x = flag("log_x");
  s.log_y = flag("log_y");
  return s;
}

bool has_flag(const MeasurementRecord& m, std::string_view flag) {
  for (std::size_t at = 0; at <= m.flags.size();) {
    const auto end = std::min(m.flags.find(',', at), m.flags.size());
    if (std::string_view(m.flags).substr(at, end - at) == flag) return true;
    at = end + 1;
  }
  return false;
}

void add_flag(MeasurementRecord& m, std::string_view flag) {
  if (has_flag(m, flag)) return;
  if (!m.flags.empty()) m.flags += ',';
  m.flags += flag;
}

std::string_view shown_verdict(const MeasurementRecord& m) {
  if (!m.low && !m.high && m.verdict == Verdict::pass) return "";
  return verdict_name(m.verdict);
}

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::pass:
      return "PASS";
    case Verdict::fail:
      return "FAIL";
    case Verdict::error:
      return "ERROR";
    case Verdict::aborted:
      return "ABORTED";
    case Verdict::running:
      return "RUNNING";
  }
  return "ERROR";
}

std::optional<Verdict> parse_verdict(std::string_view name) {
  for (Verdict v :
       {Verdict::pass, Verdict::fail, Verdict::error, Verdict::aborted, Verdict::running})
    if (verdict_name(v) == name) return v;
  return std::nullopt;
}

double seconds_between(const std::string& from, const std::string& to) {
  const auto parse = [](const std::string& s) -> double {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
      return -1.0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(timegm(&tm)) + ms / 1000.0;
  };
  const double a = parse(from), b = parse(to);
  return a >= 0.0 && b >= a ? b - a : 0.0;
}

std::string serial_problem(const std::string& serial) {
  if (serial.empty()) return "must not be empty";
  if (serial.size() > 128)
    return "'" + serial.substr(0, 32) + "…' is " + std::to_string(serial.size()) +
           " characters long; at most 128";
  for (std::size_t i = 0; i < serial.size(); ++i) {
    const auto c = static_cast<unsigned char>(serial[i]);
    if (c < 0x20 || c == 0x7f)
      return "holds a control character (byte " + std::to_string(c) + " at position " +
             std::to_string(i + 1) + "): a scanner's Enter or an escape sequence?";
  }
  return "";
}

std::string utc_now_iso8601() {
  return utc_iso8601_in(std::chrono::milliseconds(0));
}

namespace {

std::string iso8601(std::time_t t, int ms) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buffer;
}

}  // namespace

std::string utc_iso8601_in(std::chrono::milliseconds from_now) {
  const auto now = std::chrono::system_clock::now() + from_now;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  return iso8601(std::chrono::system_clock::to_time_t(now), static_cast<int>(ms));
}

std::string utc_iso8601(std::time_t t) {
  return iso8601(t, 0);
}

std::string new_uuid_v4() {
  uuid_t id;
  uuid_generate_random(id);
  char text[37];
  uuid_unparse_lower(id, text);
  return text;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL could not compute a SHA-256 digest");
  std::string out;
  char hex[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    out += hex;
  }
  return out;
}

}  // namespace ampbench::record
