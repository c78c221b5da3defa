#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer and UndefinedBehaviorSanitizer; any
# report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-sanitizers}
# GCC 12 misreads libstdc++ internals as maybe-uninitialized under the instrumentation.
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wno-maybe-uninitialized"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMPBENCH_WITH_PORTAUDIO="${AMPBENCH_WITH_PORTAUDIO:-ON}" -DAMPBENCH_WITH_USB="${AMPBENCH_WITH_USB:-ON}" \
  -DAMPBENCH_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags"
cmake --build "$build" -j"$(nproc)"
# Leaks are checked too; libjack keeps a few allocations for the life of the process.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:suppressions=$PWD/tests/sanitizer-suppressions.txt"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan-suppressions.txt"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$build" -j"$(nproc)" --output-on-failure
