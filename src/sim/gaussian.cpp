#include "sim/gaussian.hpp"

#include <cmath>
#include <cstdlib>

namespace ampbench::sim {
namespace {
constexpr double kR = 3.442619855899;       // start of the tail
constexpr double kV = 9.91256303526217e-3;  // area of each layer
constexpr double kM1 = 2147483648.0;        // 2^31
}  // namespace

GaussianSource::Tables::Tables() {
  double dn = kR, tn = dn;
  const double q = kV / std::exp(-0.5 * dn * dn);
  k[0] = static_cast<std::uint32_t>((dn / q) * kM1);
  k[1] = 0;
  w[0] = q / kM1;
  w[127] = dn / kM1;
  f[0] = 1.0;
  f[127] = std::exp(-0.5 * dn * dn);
  for (int i = 126; i >= 1; --i) {
    dn = std::sqrt(-2.0 * std::log(kV / dn + std::exp(-0.5 * dn * dn)));
    k[static_cast<std::size_t>(i + 1)] = static_cast<std::uint32_t>((dn / tn) * kM1);
    tn = dn;
    f[static_cast<std::size_t>(i)] = std::exp(-0.5 * dn * dn);
    w[static_cast<std::size_t>(i)] = dn / kM1;
  }
}

const GaussianSource::Tables& GaussianSource::tables() {
  static const Tables t;
  return t;
}

GaussianSource::GaussianSource(std::uint64_t seed) {
  for (auto& word : s_) {  // splitmix64, so nearby seeds give unrelated streams
    seed += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    word = z ^ (z >> 31);
  }
}

double GaussianSource::tail(std::int32_t hz, std::uint32_t iz) {
  const Tables& t = tables();
  for (;;) {
    const double x = hz * t.w[iz];
    if (iz == 0) {  // the base layer's tail beyond kR
      double tx, ty;
      do {
        tx = -std::log(uniform()) / kR;
        ty = -std::log(uniform());
      } while (ty + ty < tx * tx);
      return hz > 0 ? kR + tx : -kR - tx;
    }
    if (t.f[iz] + uniform() * (t.f[iz - 1] - t.f[iz]) < std::exp(-0.5 * x * x)) return x;
    const std::uint64_t bits = next_u64();
    hz = static_cast<std::int32_t>(bits >> 32);
    iz = static_cast<std::uint32_t>(bits) & 127u;
    if (static_cast<std::uint32_t>(std::abs(static_cast<std::int64_t>(hz))) < t.k[iz])
      return hz * t.w[iz];
  }
}

}  // namespace ampbench::sim
