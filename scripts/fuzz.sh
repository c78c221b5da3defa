#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each from a copy of its
# seed corpus in tests/fuzz/corpus/. A crash, a leak or a timeout fails the run; the input
# that did it is left in the work directory, to be added to the corpus once fixed.
#   scripts/fuzz.sh [SECONDS]  explore: random seed, SECONDS per target (default 60)
#   scripts/fuzz.sh --ci       gate: seed 1 and a fixed number of inputs per target, so the
#                              same commit always fuzzes the same inputs and CI cannot turn
#                              red on a find the developer never saw
set -euo pipefail
cd "$(dirname "$0")/.."
mode=explore
seconds=60
if [ "${1:-}" = "--ci" ]; then mode=ci; elif [ -n "${1:-}" ]; then seconds=$1; fi
build=${BUILD_DIR:-build-fuzz}
targets=(sequence station level wav scpi usbtmc visa)
declare -A ci_runs=([sequence]=200000 [station]=400000 [level]=2000000 [wav]=30000 [scpi]=300000 [usbtmc]=500000 [visa]=1000000)
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMPBENCH_BUILD_FUZZERS=ON \
  -DAMPBENCH_BUILD_TESTS=OFF -DAMPBENCH_BUILD_BENCH=OFF -DAMPBENCH_WITH_PORTAUDIO=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
work=$(mktemp -d)
status=0
for target in "${targets[@]}"; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/"$target"/* "$work/$target/"
  if [ "$mode" = ci ]; then
    budget=(-seed=1 -runs="${ci_runs[$target]}")
    echo "fuzz_$target: ${ci_runs[$target]} inputs, seed 1"
  else
    budget=(-max_total_time="$seconds")
    echo "fuzz_$target: ${seconds} s"
  fi
  if ! (cd "$work" && "$OLDPWD/$build/tests/fuzz/fuzz_$target" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
          -print_final_stats=1 "$work/$target" > "$work/$target.log" 2>&1); then
    echo "fuzz_$target FAILED:"
    tail -40 "$work/$target.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$work/$target.log" | tail -2
  fi
done
[ "$status" = 0 ] && rm -rf "$work" || echo "inputs and logs kept in $work"
exit "$status"
