#include "stats/tolerance.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/tools/roots.hpp>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace ampbench::stats {
namespace {

namespace bm = boost::math;

// The half-width r of the interval z ± r that holds a proportion p of N(0, 1).
double half_width(double z, double p) {
  const bm::normal unit;
  const auto held = [&](double r) { return bm::cdf(unit, z + r) - bm::cdf(unit, z - r) - p; };
  std::uintmax_t iterations = 200;
  const auto [lo, hi] =
      bm::tools::toms748_solve(held, 0.0, 40.0, bm::tools::eps_tolerance<double>(50), iterations);
  return 0.5 * (lo + hi);
}

// The confidence that mean ± k·s covers p (Odeh's integral over the sample mean, whose
// deviation z from the true mean has density √n·φ(√n·z); symmetric, so twice the half).
double confidence_of(double k, int n, double p) {
  const double nu = n - 1.0;
  const bm::chi_squared chi(nu);
  const bm::normal unit;
  const double root_n = std::sqrt(static_cast<double>(n));
  const auto integrand = [&](double z) {
    const double r = half_width(z, p);
    return 2.0 * root_n * bm::pdf(unit, root_n * z) *
           bm::cdf(bm::complement(chi, nu * r * r / (k * k)));
  };
  return bm::quadrature::gauss_kronrod<double, 31>::integrate(integrand, 0.0, 10.0 / root_n, 15,
                                                              1e-12);
}

}  // namespace

double howe_guenther(int n, double coverage, double confidence) {
  const double nu = n - 1.0;
  const double z = bm::quantile(bm::normal(), 0.5 + 0.5 * coverage);
  const double chi = bm::quantile(bm::chi_squared(nu), 1.0 - confidence);
  const double howe = z * std::sqrt(nu * (1.0 + 1.0 / n) / chi);
  return howe * std::sqrt(1.0 + (n - 3.0 - chi) / (2.0 * (n + 1.0) * (n + 1.0)));
}

double tolerance_factor(int n, double coverage, double confidence) {
  if (n < 2) throw std::invalid_argument("a tolerance interval needs at least 2 values");
  if (!(coverage > 0.0 && coverage < 1.0) || !(confidence > 0.0 && confidence < 1.0))
    throw std::invalid_argument("coverage and confidence must lie between 0 and 1");
  if (n >= kHoweFrom) return howe_guenther(n, coverage, confidence);
  // confidence_of rises with k: bracket from the normal quantile (k for n = ∞) upwards.
  const double lower = bm::quantile(bm::normal(), 0.5 + 0.5 * coverage);
  double upper = 2.0 * lower;
  while (confidence_of(upper, n, coverage) < confidence) upper *= 2.0;
  std::uintmax_t iterations = 200;
  const auto [lo, hi] =
      bm::tools::toms748_solve([&](double k) { return confidence_of(k, n, coverage) - confidence; },
                               lower, upper, bm::tools::eps_tolerance<double>(40), iterations);
  return 0.5 * (lo + hi);
}

}  // namespace ampbench::stats
