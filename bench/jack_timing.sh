#!/usr/bin/env bash
# The CI loopback sequence through PortAudio → JACK (dummy backend, real time) →
# `ampbench sim-dut --jack`: wall time of the run against the sum of its stimulus
# durations, median of RUNS. Usage: bench/jack_timing.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build=${1:-build}
runs=${2:-5}
work=$(mktemp -d)
export JACK_DEFAULT_SERVER="ampbench-bench-$$" JACK_NO_START_SERVER=1
jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -p 64 -d dummy -r 48000 -p 1024 -C 2 -P 2 </dev/null >/dev/null 2>&1 &
jackd_pid=$!
trap 'kill $dut_pid $jackd_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do jack_lsp >/dev/null 2>&1 && break; sleep 0.1; done
"$build/ampbench" sim-dut --jack --station instruments/jack-loopback.toml 2>/dev/null &
dut_pid=$!
for _ in $(seq 50); do jack_lsp 2>/dev/null | grep -q dut:in_1 && break; sleep 0.1; done
for i in $(seq "$runs"); do
  "$build/ampbench" run sequences/ci-loopback.toml --station instruments/jack-loopback.toml --db "$work/t.db" \
    --json --quiet >"$work/run-$i.json"
done
/usr/bin/python3 - "$work" "$runs" <<'PY'
import json, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
units = [json.load(open(f"{work}/run-{i}.json"))["runs"][0] for i in range(1, runs + 1)]
wall = statistics.median(u["wall_s"] for u in units)
stimulus = statistics.median(u["stimulus_s"] for u in units)
print(f"ci-loopback through JACK: stimulus {stimulus:.2f} s, median wall {wall:.2f} s over {runs} runs: {wall / stimulus:.3f}x")
PY
