// common: small text helpers for messages — numbers by a printf format ("%.3g W"), a
// word in lower case.
#pragma once

#include <cctype>
#include <cstdio>
#include <string>
#include <string_view>

namespace ampbench {

template <typename... Values>
std::string fmt(const char* format, Values... values) {
  char text[240];
  std::snprintf(text, sizeof text, format, values...);
  return text;
}

inline std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace ampbench
