#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each from a copy of its
# seed corpus in tests/fuzz/corpus/. A crash, a leak or a timeout fails the run; the input
# that did it is left in the work directory, to be added to the corpus once fixed.
#   scripts/fuzz.sh [SECONDS]    explore: a random seed, SECONDS per target (default 60)
#   scripts/fuzz.sh --ci         gate: seed 1, 45 s per target. The same commit tries the
#                                same inputs in the same order wherever it runs, so how far
#                                CI gets depends only on the machine's speed …
#   scripts/fuzz.sh --preflight  … and a developer runs seed 1 for 150 s per target before
#                                pushing: CI's inputs are then ones already tried here, even
#                                on a machine 2.5 times faster
set -euo pipefail
cd "$(dirname "$0")/.."
mode=explore
seconds=60
case "${1:-}" in
  --ci) mode=seeded seconds=45 ;;
  --preflight) mode=seeded seconds=150 ;;
  "") ;;
  *) seconds=$1 ;;
esac
build=${BUILD_DIR:-build-fuzz}
targets=(sequence station level wav scpi usbtmc visa)
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
  budget=(-max_total_time="$seconds")
  [ "$mode" = seeded ] && budget+=(-seed=1)
  echo "fuzz_$target: ${seconds} s${budget[1]:+, seed 1}"
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
