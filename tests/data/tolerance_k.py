"""Two-sided normal tolerance factors k(n, p, γ) as ISO 16269-6 tabulates them, computed
independently of ampbench (scipy): the confidence that mean ± k·s covers a proportion p is
an integral over the sample mean's deviation z (density √n·φ(√n·z)) of P(χ²_{n−1} ≥
(n−1)·r(z)²/k²), r(z) the half-width of the interval z ± r holding p of N(0, 1).
Prints the values tests/test_stats.cpp (Tolerance.FactorsAreIso16269Exact) compares with."""
import numpy as np
from scipy import integrate, optimize, stats


def k_factor(n, p, confidence):
    nu = n - 1

    def half_width(z):
        return optimize.brentq(lambda r: stats.norm.cdf(z + r) - stats.norm.cdf(z - r) - p, 0, 40)

    def covered(k):
        f = lambda z: 2 * np.sqrt(n) * stats.norm.pdf(np.sqrt(n) * z) * stats.chi2.sf(nu * half_width(z) ** 2 / k ** 2, nu)
        return integrate.quad(f, 0, 10 / np.sqrt(n), limit=200)[0]

    return optimize.brentq(lambda k: covered(k) - confidence, 1, 50)


for n, p, g in ((5, .99, .95), (10, .99, .95), (30, .99, .95), (100, .99, .95), (10, .95, .95), (30, .90, .99),
                (1000, .99, .95), (1000, .998326, .95), (3000, .998326, .95), (10000, .99, .95), (50000, .998326, .95)):
    print(n, p, g, f"{k_factor(n, p, g):.6f}")
