// common: one number in words by a printf format ("%.3g W"), for messages.
#pragma once

#include <cstdio>
#include <string>

namespace ampbench {

inline std::string fmt(const char* format, double value) {
  char text[160];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

}  // namespace ampbench
