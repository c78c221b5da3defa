#include "common/cache_dir.hpp"

#include <cstdlib>

namespace ampbench {

std::filesystem::path user_cache_dir() {
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache)
    return std::filesystem::path(cache) / "ampbench";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".cache" / "ampbench";
  return {};
}

}  // namespace ampbench
