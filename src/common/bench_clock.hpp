// common/bench_clock: the time a unit holds the bench beyond its audio transfers — relay
// and generator settling — waited out through hold_bench_for so that it can be counted
// in the unit's `unit_s`. Each unit runs on its own thread (slots included), so the waits
// are counted per thread.
#pragma once

namespace ampbench {

// Waits `seconds` (real time, on the simulator too) and counts them for this thread.
void hold_bench_for(double seconds);
// This thread's waits so far, in seconds.
double bench_waits_s();

}  // namespace ampbench
