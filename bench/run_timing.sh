#!/usr/bin/env bash
# Whole-run timing: a sequence on the offline simulated station, against its stimulus
# time and its unit_s (the time the unit would hold a real bench: transfers with their
# recording past the stimulus, duty pauses, settling, and the analysis).
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
wall, stimulus, unit_s = [], [], []
for i in range(1, runs + 1):
    unit = json.load(open(f"{work}/run-{i}.json"))["runs"][0]
    wall.append(unit["wall_s"])
    stimulus.append(unit["stimulus_s"])
    unit_s.append(unit["unit_s"])
w, s, u = statistics.median(wall), statistics.median(stimulus), statistics.median(unit_s)
print(f"{sequence}: stimulus {s:.2f} s, unit_s {u:.2f} s, median wall time {w * 1000:.0f} ms over {runs} runs, "
      f"{u / w:.0f}x faster than a real bench")
PY
