// common: small text helpers for messages — numbers by a printf format ("%.3g W"), a
// word in lower case, a word with its article.
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

// "a level", "an imd", "an output_impedance": the article as the word is read aloud, by
// its first letter (the words here are kinds and names, never "unit" or "hour").
inline std::string with_article(std::string_view word) {
  const char first =
      word.empty() ? 'x' : static_cast<char>(std::tolower(static_cast<unsigned char>(word[0])));
  return (std::string_view("aeio").find(first) != std::string_view::npos ? "an " : "a ") +
         std::string(word);
}

}  // namespace ampbench
