#!/usr/bin/env bash
# The self-test against the simulated interface's injected faults (SPEC §15), as figures:
# detection of a 48 → 44.1 → 48 kHz mixer over N trials with different noise (and false
# alarms on the clean path), the clock offset read against the injected one from −200 to
# +200 ppm, the stimulus each channel takes, and a 1 kHz level's expanded uncertainty with
# the simulator's documented DMM.
# Usage: bench/selftest_trials.sh [BUILD_DIR] [TRIALS]
set -euo pipefail
build=$(realpath "${1:-build}")
trials=${2:-20}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ampbench-selftest-XXXXXX)
trap 'rm -rf "$work"' EXIT
station() {  # $1: lines for [sim]
  sed -e 's/^sample_rate = 96000/sample_rate = 48000/' -e 's/^lowpass_hz = 40000.0/lowpass_hz = 20000.0/' \
    -e "s/^seed = 1\$/$1/" "$source_dir/instruments/sim-bench.toml"
}
found=0 false_alarms=0
for seed in $(seq "$trials"); do
  station "seed = $seed\nresampler_hz = 44100" >"$work/r.toml"
  station "seed = $seed" >"$work/c.toml"
  for kind in r c; do  # exit 1 is a failed check: the JSON says which
    "$build/ampbench" selftest --station "$work/$kind.toml" --dry-run --json >"$work/$kind.json" || true
  done
  resampling() { python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["resampling"]))' "$1"; }
  found=$((found + $(resampling "$work/r.json")))
  false_alarms=$((false_alarms + $(resampling "$work/c.json")))
done
echo "48 -> 44.1 -> 48 kHz mixer found in $found of $trials trials; clean path flagged in $false_alarms of $trials"
worst=0
for ppm in -200 -150 -100 -50 -10 -1 -0.3 0 0.3 1 10 50 100 150 200; do
  station "seed = 1\nclock_ppm = $ppm" >"$work/k.toml"
  "$build/ampbench" selftest --station "$work/k.toml" --dry-run --json >"$work/k.json" || true
  read_ppm=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["clock_ppm"])' "$work/k.json")
  worst=$(python3 -c "print(max($worst, abs($read_ppm - ($ppm))))")
  printf 'clock_ppm %7s: read %+.4f ppm\n' "$ppm" "$read_ppm"
done
echo "largest clock error: $worst ppm (goal 0.5)"
# A 1 kHz level's expanded uncertainty: `calibrate` with the simulator's DMM (0.1 % of the
# reading, docs/calibration.md), as the input record's U (k = 2).
mkdir -p "$work/cal" && ln -s "$source_dir/instruments/profiles" "$work/cal/profiles"
sed -e 's/TCPIP0::127.0.0.1::5027::SOCKET/SIM::dmm/' -e '/^\[generator\]/,/^$/d' -e '/^switch = /d' \
  "$source_dir/instruments/sim-instruments.toml" >"$work/cal/station.toml"
"$build/ampbench" calibrate --station "$work/cal/station.toml" --dry-run --settle 0.05 --duration 1 </dev/null |
  grep '^input 1'
