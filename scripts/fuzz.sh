#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS (default
# 60) from a copy of its seed corpus in tests/fuzz/corpus/. A crash, a leak or a timeout
# fails the run; the input that did it is left in the work directory to be added to the
# corpus once fixed. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
build=${BUILD_DIR:-build-fuzz}
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMPBENCH_BUILD_FUZZERS=ON \
  -DAMPBENCH_BUILD_TESTS=OFF -DAMPBENCH_BUILD_BENCH=OFF -DAMPBENCH_WITH_PORTAUDIO=OFF \
  -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
cmake --build "$build" -j"$(nproc)" --target fuzz_sequence fuzz_station fuzz_level fuzz_wav
work=$(mktemp -d)
status=0
for target in sequence station level wav; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/"$target"/* "$work/$target/"
  echo "fuzz_$target: ${seconds} s"
  if ! (cd "$work" && "$OLDPWD/$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
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
