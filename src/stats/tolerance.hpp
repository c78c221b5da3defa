// stats/tolerance: the two-sided normal tolerance factor k(n, p, γ) — the interval
// mean ± k·s of n values covers a proportion p of the population with confidence γ — as
// ISO 16269-6 tabulates it (exact, not Howe's approximation, which is 1.5 % high at n = 5).
// What `limits derive --method tolerance` widens its limits by (SPEC §16).
#pragma once

namespace ampbench::stats {

// n ≥ 2 values, 0 < coverage < 1, 0 < confidence < 1; throws std::invalid_argument else.
double tolerance_factor(int n, double coverage, double confidence);

}  // namespace ampbench::stats
