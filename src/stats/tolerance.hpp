// stats/tolerance: the two-sided normal tolerance factor k(n, p, γ) — the interval
// mean ± k·s of n values covers a proportion p of the population with confidence γ — as
// ISO 16269-6 tabulates it (exact, not Howe's approximation, which is 1.5 % high at n = 5).
// What `limits derive --method tolerance` widens its limits by (SPEC §16).
#pragma once

namespace ampbench::stats {

// n ≥ 2 values, 0 < coverage < 1, 0 < confidence < 1; throws std::invalid_argument else.
// From kHoweFrom values on, Howe's k with Guenther's correction: within 2·10⁻⁶ of the
// exact k there (1.5·10⁻⁶ at n = 1000, p = 0.9983, γ = 0.95; less beyond), where the exact
// integral's χ² of n − 1 degrees of freedom costs a minute at n = 200 000.
double tolerance_factor(int n, double coverage, double confidence);
inline constexpr int kHoweFrom = 1000;
double howe_guenther(int n, double coverage, double confidence);

}  // namespace ampbench::stats
