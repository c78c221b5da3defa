#!/usr/bin/env bash
# Whole-run timing: a sequence on the offline simulated station, against the sum of its
# stimulus durations (what the same run needs on real hardware at least).
# Usage: bench/run_timing.sh [BUILD_DIR] [SEQUENCE] [RUNS]
set -euo pipefail
build=${1:-build}
sequence=${2:-sequences/poweramp-production.toml}
runs=${3:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq "$runs"); do
  "$build/ampbench" run "$sequence" --db "$work/t.db" --serial "BENCH-$i" --json --quiet >"$work/run-$i.json" || true
done
/usr/bin/python3 - "$work" "$runs" "$sequence" <<'PY'
import json, statistics, sys
work, runs, sequence = sys.argv[1], int(sys.argv[2]), sys.argv[3]
wall, stimulus = [], []
for i in range(1, runs + 1):
    unit = json.load(open(f"{work}/run-{i}.json"))["runs"][0]
    wall.append(unit["wall_s"])
    stimulus.append(unit["stimulus_s"])
w, s = statistics.median(wall), statistics.median(stimulus)
print(f"{sequence}: stimulus {s:.2f} s, median wall time {w * 1000:.0f} ms over {runs} runs, {s / w:.0f}x faster than real time")
PY
