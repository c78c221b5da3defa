#!/usr/bin/env bash
# A sequence (default the CI loopback) through PortAudio → JACK (dummy backend, real time)
# → `ampbench sim-dut --jack`: wall time of the run against the sum of its stimulus
# durations, median of RUNS; then the same sequence on the station's offline twin (the
# same [sim] models with backend = "sim"), and the largest difference between the two
# runs' dB figures. The wall time counts opening the bench (PortAudio, the JACK client and
# its connections); the run's own time (first step to last) is printed beside it.
# Usage: [JACK_PERIOD=256] bench/jack_timing.sh [BUILD_DIR] [RUNS] [SEQUENCE]
set -euo pipefail
build=${1:-build}
runs=${2:-5}
sequence=${3:-sequences/ci-loopback.toml}
work=$(mktemp -d)
export JACK_DEFAULT_SERVER="ampbench-bench-$$" JACK_NO_START_SERVER=1
jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -p 64 -d dummy -r 48000 -p "${JACK_PERIOD:-256}" -C 2 -P 2 </dev/null >/dev/null 2>&1 &
jackd_pid=$!
trap 'kill $dut_pid $jackd_pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
for _ in $(seq 50); do jack_lsp >/dev/null 2>&1 && break; sleep 0.1; done
"$build/ampbench" sim-dut --jack --station instruments/jack-loopback.toml 2>/dev/null &
dut_pid=$!
for _ in $(seq 50); do jack_lsp 2>/dev/null | grep -q dut:in_1 && break; sleep 0.1; done
for i in $(seq "$runs"); do
  "$build/ampbench" run "$sequence" --station instruments/jack-loopback.toml --db "$work/t.db" \
    --json --quiet >"$work/run-$i.json" || true
done
sed -e 's/^backend = "portaudio"/backend = "sim"/' instruments/jack-loopback.toml >"$work/twin.toml"
"$build/ampbench" run "$sequence" --station "$work/twin.toml" --db "$work/twin.db" --json --quiet \
  >"$work/twin.json" || true
"$build/ampbench" results export 1 --format json --db "$work/t.db" >"$work/jack-results.json"
"$build/ampbench" results export 1 --format json --db "$work/twin.db" >"$work/twin-results.json"
/usr/bin/python3 - "$work" "$runs" "$sequence" <<'PY'
import json, statistics, sys
work, runs, sequence = sys.argv[1], int(sys.argv[2]), sys.argv[3]
units = [json.load(open(f"{work}/run-{i}.json"))["runs"][0] for i in range(1, runs + 1)]
wall = statistics.median(u["wall_s"] for u in units)
stimulus = statistics.median(u["stimulus_s"] for u in units)
print(f"{sequence} through JACK: stimulus {stimulus:.2f} s, median wall {wall:.2f} s over {runs} runs: "
      f"{wall / stimulus:.3f}x; verdict {units[0]['verdict']}")
from datetime import datetime
record = json.load(open(f"{work}/jack-results.json"))[0]
stamp = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))
steps_s = (stamp(record["finished_at"]) - stamp(record["started_at"])).total_seconds()
print(f"the first run from its first step to its last: {steps_s:.2f} s, {steps_s / stimulus:.3f}x the stimulus")
def figures(path):
    run = json.load(open(path))[0]
    return {(s["id"], m["channel"], m["name"], json.dumps(m["point"], sort_keys=True)): m["value"]
            for s in run["steps"] for m in s["measurements"]
            if m["value"] is not None and m["unit"] in ("dB", "dBV")}
jack, twin = figures(f"{work}/jack-results.json"), figures(f"{work}/twin-results.json")
common = [k for k in jack if k in twin]
# Figures of the signal (gain, level, response) are the same numbers; figures of the noise
# (noise, TD+N near the floor, crosstalk under the noise and products) are two draws of it.
noisy = ("noise_dbv", "tdn_db", "crosstalk_db", "snr_db", "thdn_db", "sinad_db")
for kind, keys in (("signal", [k for k in common if k[2] not in noisy]),
                   ("noise", [k for k in common if k[2] in noisy])):
    if not keys:
        continue
    worst = max(keys, key=lambda k: abs(jack[k] - twin[k]))
    print(f"against the offline twin, {len(keys)} {kind} figures in dB: largest difference "
          f"{abs(jack[worst] - twin[worst]):.4f} dB ({' '.join(worst[:3])})")
PY
