#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/command.hpp"
#include "common/cache_dir.hpp"
#include "common/error.hpp"
#include "common/output_file.hpp"
#include "dsp/fft.hpp"

namespace ampbench::cli {

std::string fft_wisdom_path() {
  if (const char* explicit_path = std::getenv("AMPBENCH_FFTW_WISDOM")) return explicit_path;
  const auto dir = user_cache_dir();
  return dir.empty() ? "" : (dir / "fftw-wisdom").string();
}

void load_fft_wisdom() {
  const std::string path = fft_wisdom_path();
  std::ifstream in(path);
  if (!in) return;  // not tuned yet: FFTW_ESTIMATE plans
  std::stringstream ss;
  ss << in.rdbuf();
  if (!dsp::import_fft_wisdom(ss.str()))
    std::fprintf(stderr, "ampbench: %s: not FFTW wisdom, ignored\n", path.c_str());
}

Subcommand add_tune_fft_command(CLI::App& parent) {
  auto sizes = std::make_shared<std::vector<std::size_t>>();
  CLI::App* app = parent.add_subcommand("tune-fft",
                                        "Measure the fastest FFT plans for this machine once, for "
                                        "every later run ($AMPBENCH_FFTW_WISDOM "
                                        "or ~/.cache/ampbench/fftw-wisdom)");
  app->add_option("--size", *sizes,
                  "Transform sizes (default: powers of two 4096..262144 and common captures)");
  return {app, [sizes] {
            std::vector<std::size_t> todo = *sizes;
            if (todo.empty()) {
              for (std::size_t n = 4096; n <= 262144; n *= 2) todo.push_back(n);
              // 0.25 s and 0.5 s captures at 48 and 96 kHz.
              for (std::size_t n : {12000u, 24000u, 48000u}) todo.push_back(n);
            }
            for (std::size_t n : todo) {
              if (n < 16 || n > (std::size_t{1} << 24))
                throw UsageError("--size must be 16 to 16777216");
              std::fprintf(stderr, "measuring %zu-point plans\n", n);
              dsp::tune_fft(n);
            }
            const std::filesystem::path path = fft_wisdom_path();
            if (path.empty())
              throw IoError("no place for the wisdom: set AMPBENCH_FFTW_WISDOM or HOME");
            std::filesystem::create_directories(path.parent_path());
            write_file_atomically(path, dsp::export_fft_wisdom());
            std::fprintf(stderr, "wrote %s\n", path.string().c_str());
            return 0;
          }};
}

}  // namespace ampbench::cli
