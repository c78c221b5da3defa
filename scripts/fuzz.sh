#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan, the sanitizer suite's build) and runs
# each from a copy of its seed corpus in tests/fuzz/corpus/, as many at once as there are
# cores. A crash, a leak or a timeout fails the run; the input that did it is left in the work
# directory, to be added to the corpus once fixed.
#   scripts/fuzz.sh [SECONDS]    explore: a random seed, SECONDS per target (default 60)
#   scripts/fuzz.sh --ci         gate: seed 1, 30 s per target. The same commit tries the
#                                same inputs in the same order wherever it runs, so how far
#                                CI gets depends only on the machine's speed …
#   scripts/fuzz.sh --preflight  … and a developer runs seed 1 for 150 s per target before
#                                pushing: CI's inputs are then ones already tried here, even
#                                on a machine 5 times faster
set -euo pipefail
cd "$(dirname "$0")/.."
mode=explore
seconds=60
case "${1:-}" in
  --ci) mode=seeded seconds=30 ;;
  --preflight) mode=seeded seconds=150 ;;
  "") ;;
  *) seconds=$1 ;;
esac
export BUILD_DIR=${BUILD_DIR:-build-sanitizers}
build=$BUILD_DIR
targets=(sequence station level wav scpi usbtmc visa qa40x)
# The sanitizer suite's build (scripts/build-sanitizers.sh): after it, nothing to compile.
scripts/build-sanitizers.sh "${targets[@]/#/fuzz_}"
work=$(mktemp -d)
status=0
# One target per core at a time; each one's seed and inputs are its own, so running them side
# by side changes only how far each gets in its time.
run_target() {
  local target=$1
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/"$target"/* "$work/$target/"
  local budget=(-max_total_time="$seconds")
  [ "$mode" = seeded ] && budget+=(-seed=1)
  local rc=0
  (cd "$work" && "$OLDPWD/$build/tests/fuzz/fuzz_$target" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 "$work/$target" > "$work/$target.log" 2>&1) || rc=$?
  echo "$rc" > "$work/$target.rc"
}
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do sleep 0.2; done
  run_target "$target" &
done
wait
for target in "${targets[@]}"; do
  echo "fuzz_$target: ${seconds} s$([ "$mode" = seeded ] && echo ", seed 1")"
  if [ "$(cat "$work/$target.rc")" != 0 ]; then
    echo "fuzz_$target FAILED:"
    tail -40 "$work/$target.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$work/$target.log" | tail -2
  fi
done
[ "$status" = 0 ] && rm -rf "$work" || echo "inputs and logs kept in $work"
exit "$status"
