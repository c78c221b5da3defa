#!/usr/bin/env bash
# One clang build with AddressSanitizer and UndefinedBehaviorSanitizer serves both the test
# suite (scripts/test-sanitizers.sh) and the libFuzzer targets (scripts/fuzz.sh): the code is
# instrumented for coverage too (fuzzer-no-link), line tables only for the stack traces, and
# compiled in unity batches. Builds the given targets (default: everything).
#   BUILD_DIR=build-sanitizers scripts/build-sanitizers.sh [TARGET ...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-sanitizers}
flags="-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" -DAMPBENCH_UNITY_BUILD=ON \
  -DAMPBENCH_WITH_PORTAUDIO="${AMPBENCH_WITH_PORTAUDIO:-ON}" -DAMPBENCH_WITH_USB="${AMPBENCH_WITH_USB:-ON}" \
  -DAMPBENCH_BUILD_BENCH=OFF -DAMPBENCH_BUILD_FUZZERS=ON \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$build" -j"$(nproc)" "${targets[@]}"
