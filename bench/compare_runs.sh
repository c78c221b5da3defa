#!/usr/bin/env bash
# Identical results from two builds: every shipped sequence on its simulated station, with
# a good unit and each fault of the station, run by binary A and binary B into their own
# databases; then every stored step (kind, verdict, message, params), measurement (channel,
# name, value, unit, limits, verdict, point, note) and curve (every byte) compared. The
# simulated DUT's noise is seeded by the station file, so both runs draw the same.
# Usage: bench/compare_runs.sh OLD_AMPBENCH NEW_AMPBENCH
# Exit 0 when everything is bit-identical; otherwise prints each difference, exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(readlink -f "$1")
new=$(readlink -f "$2")
work=$(mktemp -d)
servers=()
trap 'kill "${servers[@]}" 2>/dev/null; rm -rf "$work"' EXIT
# The instrument station's generator, DMM and relay box, as simulated instruments on free
# ports of this machine (the station file's own ports may be taken).
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cp instruments/sim-instruments.toml "$work/sim-instruments.toml"
for kind_port in fgen:5025 dmm:5027 relay:5026; do
  kind=${kind_port%%:*}
  port=$(free_port)
  sed -i "s/127.0.0.1::${kind_port#*:}::/127.0.0.1::$port::/" "$work/sim-instruments.toml"
  "$new" sim-instrument --kind "$kind" --listen "127.0.0.1:$port" --profile "sim-$kind" >/dev/null 2>&1 &
  servers+=($!)
done
sleep 0.5
cases=(
  "sequences/ci-loopback.toml instruments/sim-bench.toml GOOD SIM-LOW-GAIN"
  "sequences/poweramp-production.toml instruments/sim-bench.toml GOOD SIM-LOW-GAIN SIM-HUM SIM-EARLY-CLIP SIM-DEAD-R"
  "sequences/poweramp-fast.toml instruments/sim-bench.toml GOOD SIM-LOW-GAIN SIM-HUM SIM-EARLY-CLIP SIM-DEAD-R"
  "sequences/poweramp-datasheet.toml instruments/sim-bench.toml GOOD"
  "sequences/lab-characterisation.toml instruments/sim-bench.toml GOOD"
  "sequences/preamp-production.toml instruments/sim-preamp.toml GOOD SIM-HUM SIM-DEAD-R SIM-RIAA SIM-DEAD-MIC"
  "sequences/preamp-fast.toml instruments/sim-preamp.toml GOOD SIM-DEAD-MIC"
  "sequences/preamp-lab.toml instruments/sim-preamp.toml GOOD"
  "sequences/generator-production.toml $work/sim-instruments.toml GOOD SIM-LOW-GAIN SIM-EARLY-CLIP"
)
for c in "${cases[@]}"; do
  eval "read -r sequence station serials <<<\"$c\""
  args=()
  for s in $serials; do args+=(--serial "$s"); done
  for side in old new; do
    binary=$old
    [ "$side" = new ] && binary=$new
    "$binary" run "$sequence" --station "$station" --db "$work/$side.db" "${args[@]}" --quiet \
      </dev/null >/dev/null 2>>"$work/$side.log" || true
  done
done
/usr/bin/python3 - "$work/old.db" "$work/new.db" <<'PY'
import sqlite3, sys
def rows(path):
    db = sqlite3.connect(path)
    runs = db.execute("SELECT id, sequence_name, serial, verdict FROM runs ORDER BY id").fetchall()
    out = {}
    for run_id, seq, serial, verdict in runs:
        key = (seq, serial)
        steps = db.execute("SELECT id, ordinal, step_id, kind, params_json, verdict, message "
                           "FROM steps WHERE run_id = ? ORDER BY ordinal", (run_id,)).fetchall()
        out[key] = {"verdict": verdict, "steps": []}
        for sid, *step in steps:
            m = db.execute("SELECT channel, name, value, unit, low, high, verdict, point_json, note "
                           "FROM measurements WHERE step_id = ? ORDER BY id", (sid,)).fetchall()
            c = db.execute("SELECT channel, name, x_unit, y_unit, x, y, point_json "
                           "FROM curves WHERE step_id = ? ORDER BY id", (sid,)).fetchall()
            out[key]["steps"].append((tuple(step), m, c))
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
differences = 0
measurements = curves = 0
def say(*text):
    global differences
    differences += 1
    if differences <= 40: print(*text)
if a.keys() != b.keys(): say("runs differ:", sorted(a.keys() ^ b.keys()))
for key in sorted(a.keys() & b.keys()):
    ra, rb = a[key], b[key]
    if ra["verdict"] != rb["verdict"]: say(key, "run verdict", ra["verdict"], "→", rb["verdict"])
    if len(ra["steps"]) != len(rb["steps"]): say(key, "step count differs")
    for (sa, ma, ca), (sb, mb, cb) in zip(ra["steps"], rb["steps"]):
        if sa != sb: say(key, "step", sa[1], "differs:", sa, "→", sb)
        if len(ma) != len(mb): say(key, sa[1], "measurement count", len(ma), "→", len(mb))
        for x, y in zip(ma, mb):
            measurements += 1
            if x != y: say(key, sa[1], "measurement", x, "→", y)
        if len(ca) != len(cb): say(key, sa[1], "curve count", len(ca), "→", len(cb))
        for x, y in zip(ca, cb):
            curves += 1
            if x != y: say(key, sa[1], "curve", x[:4], x[6], "differs")
print(f"{len(a)} runs, {measurements} measurements, {curves} curves compared: "
      f"{differences} difference(s)")
sys.exit(1 if differences or not measurements else 0)
PY
