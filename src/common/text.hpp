// common: small text helpers for messages — a number by a printf format ("%.3g W"), a
// word in lower case.
#pragma once

#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>

namespace ampbench {

inline std::string fmt(const char* format, double value) {
  char text[160];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

inline std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace ampbench
