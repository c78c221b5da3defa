#include "sequence/steps/multitone_designs.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "common/cache_dir.hpp"
#include "common/output_file.hpp"

namespace ampbench::sequence {
namespace {

// Changes when the design's search does: a file of another version is designed again.
constexpr int kDesignVersion = 2;

std::string key_of(const dsp::MultitoneRequest& r) {
  char key[200];
  std::snprintf(key, sizeof key, "v%d-fs%.17g-n%zu-f%.17g-%.17g-t%d-c%zu-r%.17g", kDesignVersion,
                r.sample_rate_hz, r.period_frames, r.from_hz, r.to_hz, r.tones_per_channel,
                r.channels, r.reference_hz);
  return key;
}

std::filesystem::path cached_path(const dsp::MultitoneRequest& r) {
  const auto dir = user_cache_dir();
  return dir.empty() ? dir : dir / "multitone" / (key_of(r) + ".json");
}

std::optional<dsp::MultitoneDesign> read_cached(const dsp::MultitoneRequest& r,
                                                const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object() || j.value("key", "") != key_of(r)) return std::nullopt;
  auto design = dsp::multitone_layout(r);
  try {
    design.phases_rad = j.at("phases_rad").get<std::vector<std::vector<double>>>();
    design.crest_factor = j.at("crest_factor").get<std::vector<double>>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (design.phases_rad.size() != design.bins.size() ||
      design.crest_factor.size() != design.bins.size())
    return std::nullopt;
  for (std::size_t c = 0; c < design.bins.size(); ++c)
    if (design.phases_rad[c].size() != design.bins[c].size()) return std::nullopt;
  return design;
}

void write_cached(const dsp::MultitoneRequest& r, const dsp::MultitoneDesign& design,
                  const std::filesystem::path& path) {
  try {
    std::filesystem::create_directories(path.parent_path());
    write_file_atomically(path, nlohmann::json{{"key", key_of(r)},
                                               {"phases_rad", design.phases_rad},
                                               {"crest_factor", design.crest_factor}}
                                    .dump());
  } catch (const std::exception&) {
    // A read-only or full home: the design is made again next time.
  }
}

}  // namespace

const dsp::MultitoneDesign& multitone_design_for(const dsp::MultitoneRequest& r) {
  static std::mutex mutex;
  static std::map<std::string, dsp::MultitoneDesign> designs;
  const std::string key = key_of(r);
  std::lock_guard lock(mutex);
  if (const auto it = designs.find(key); it != designs.end()) return it->second;
  const auto path = cached_path(r);
  std::optional<dsp::MultitoneDesign> design;
  if (!path.empty()) design = read_cached(r, path);
  if (!design) {
    design = dsp::design_multitone(r);
    if (!path.empty()) write_cached(r, *design, path);
  }
  return designs.emplace(key, std::move(*design)).first->second;
}

}  // namespace ampbench::sequence
