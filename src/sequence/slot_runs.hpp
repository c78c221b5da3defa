// sequence: one round on a station with slots (SPEC §11) — every unit at once, each in its
// own thread on its own slot's bench; their transfers are shared (audio/shared_port.hpp). A
// unit's FAIL, ERROR or abort is its own: the others go on.
#pragma once

#include <exception>
#include <functional>
#include <vector>

#include "sequence/slot_bench.hpp"

namespace ampbench::sequence {

// Calls test(u, bench) for every bench at once, each in its own thread; a unit that has
// finished leaves the shared transfers (the others no longer wait for it). Returns per
// bench what its call threw, or null.
std::vector<std::exception_ptr> run_slots(SlotBenches& benches,
                                          const std::function<void(std::size_t, Bench&)>& test);

}  // namespace ampbench::sequence
