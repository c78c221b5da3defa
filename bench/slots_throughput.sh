#!/usr/bin/env bash
# Units per second with four slots against one (SPEC §11): each sequence run ROUNDS times
# with one unit (slot S1) and with four (S1…S4), on the offline simulation
# (instruments/sim-4up.toml) and, when jackd is installed, in real time through JACK
# (instruments/jack-4up.toml with `sim-dut --jack` serving every slot). Prints the medians of
# a round's stimulus time and wall time and the throughput ratios 4-slot/1-slot.
# Usage: bench/slots_throughput.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(readlink -f "${1:-build}")
rounds=${2:-5}
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
serials4=(--serial S1=T1 --serial S2=T2 --serial S3=T3 --serial S4=T4)

# Median stimulus and wall seconds of ROUNDS rounds: "STIMULUS WALL VERDICTS".
measure() {
  local station=$1 sequence=$2
  shift 2
  for i in $(seq "$rounds"); do
    "$build/ampbench" run "$sequence" --station "$station" "$@" --db "$work/r.db" --quiet --json \
      >"$work/round-$i.json" || true
  done
  /usr/bin/python3 - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
r = [json.load(open(f"{work}/round-{i}.json")) for i in range(1, rounds + 1)]
stim = statistics.median(x["round"]["stimulus_s"] for x in r)
wall = statistics.median(x["round"]["wall_s"] for x in r)
print(f"{stim:.3f} {wall:.3f} {'/'.join(u['verdict'] for u in r[0]['runs'])}")
PY
}

report() {
  local label=$1 station=$2 sequence=$3
  read -r s1 w1 v1 < <(measure "$station" "$sequence" --serial S1=T1)
  read -r s4 w4 v4 < <(measure "$station" "$sequence" "${serials4[@]}")
  /usr/bin/python3 - "$label" "$(basename "$sequence")" "$s1" "$w1" "$s4" "$w4" "$v1" "$v4" <<'PY'
import sys
label, seq, s1, w1, s4, w4, v1, v4 = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:7]), *sys.argv[7:9]
print(f"{label:9} {seq:28} 1 slot: stimulus {s1:6.2f} s, wall {w1:6.2f} s ({v1})")
print(f"{'':9} {'':28} 4 slots: stimulus {s4:6.2f} s, wall {w4:6.2f} s ({v4})")
print(f"{'':9} {'':28} units/s 4 vs 1: stimulus {4 * s1 / s4:.2f}x, wall {4 * w1 / w4:.2f}x")
PY
}

for sequence in sequences/poweramp-production.toml sequences/poweramp-fast.toml; do
  report offline instruments/sim-4up.toml "$sequence"
done

if command -v jackd >/dev/null; then
  export JACK_DEFAULT_SERVER="ampbench-bench-$$" JACK_NO_START_SERVER=1
  jackd --no-realtime -n "$JACK_DEFAULT_SERVER" -p 64 -d dummy -r 48000 -p 1024 -C 8 -P 8 \
    >/dev/null 2>&1 &
  pids+=($!)
  sleep 1.5
  "$build/ampbench" sim-dut --jack --station instruments/jack-4up.toml "${serials4[@]}" \
    >/dev/null 2>&1 &
  pids+=($!)
  sleep 1
  # The JACK DUT's load is fixed (8 Ω): verdicts of 4 Ω steps mean nothing here, timings do.
  for sequence in sequences/poweramp-production.toml sequences/poweramp-fast.toml; do
    report JACK instruments/jack-4up.toml "$sequence"
  done
fi
