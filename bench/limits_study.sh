#!/usr/bin/env bash
# Limits from golden units, tried on a population (issue 38, docs/limits.md): GOLDEN good
# simulated units (default 30) of poweramp-fast on sim-bench with a unit spread derive
# limits by each method; FURTHER other good units (default 1000) and every fault serial are
# then judged by each. Prints each method's false-reject rate and the faults it caught.
# Usage: bench/limits_study.sh [BUILD_DIR] [GOLDEN] [FURTHER]
set -euo pipefail
build=${1:-build}
golden=${2:-30}
further=${3:-1000}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sequence="$here/sequences/poweramp-fast.toml"
spread="unit_spread = { gain_db = 0.05, highpass_pct = 5, lowpass_pct = 3, distortion_pct = 10, noise_db = 0.5 }"
sed "s/^\[sim\]$/[sim]\n$spread/" "$here/instruments/sim-bench.toml" >"$work/station.toml"
name=$(sed -n 's/^name = "\(.*\)"/\1/p' "$sequence" | head -1)
serials() { for i in $(seq "$2" "$3"); do printf -- '--serial %s%s ' "$1" "$i"; done; }
faults=$(sed -n '/^\[sim.faults\]/,/^\[/s/^"\(SIM-[A-Z-]*\)".*/\1/p' "$here/instruments/sim-bench.toml")

# shellcheck disable=SC2046
"$build/ampbench" run "$sequence" --station "$work/station.toml" --db "$work/golden.db" \
  --quiet $(serials GOLD- 1 "$golden") >/dev/null || true
echo "Station: sim-bench with $spread"
echo "Golden units: $golden; further good units: $further (GOOD-1…GOOD-$further)"
echo
echo "| method | false rejects of $further good units | faults caught | faults passed |"
echo "|---|---|---|---|"
for method in tolerance envelope offset; do
  extra=()
  [ "$method" != tolerance ] && extra=(--offset-db 0.5)
  "$build/ampbench" limits derive --db "$work/golden.db" --sequence "$name" --method "$method" \
    "${extra[@]}" -o "$work/$method.toml" 2>"$work/$method.err"
  db="$work/$method.db"
  # shellcheck disable=SC2046
  "$build/ampbench" run "$sequence" --station "$work/station.toml" --db "$db" --quiet \
    --limits "$work/$method.toml" $(serials GOOD- 1 "$further") >/dev/null || true
  for f in $faults; do
    "$build/ampbench" run "$sequence" --station "$work/station.toml" --db "$db" --quiet \
      --limits "$work/$method.toml" --serial "$f" >/dev/null || true
  done
  /usr/bin/python3 - "$db" "$method" "$further" <<'PY'
import sqlite3, sys
db, method, further = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = sqlite3.connect(db)
bad = c.execute("SELECT count(*) FROM runs WHERE serial LIKE 'GOOD-%' AND verdict <> 'PASS'").fetchone()[0]
why = c.execute("""SELECT s.step_id || ' ' || m.name, count(DISTINCT r.id) FROM runs r
                   JOIN steps s ON s.run_id = r.id JOIN measurements m ON m.step_id = s.id
                   WHERE r.serial LIKE 'GOOD-%' AND m.verdict <> 'PASS'
                   GROUP BY 1 ORDER BY 2 DESC LIMIT 4""").fetchall()
faults = c.execute("SELECT serial, verdict FROM runs WHERE serial LIKE 'SIM-%' ORDER BY serial").fetchall()
caught = [s for s, v in faults if v != "PASS"]
passed = [s for s, v in faults if v == "PASS"]
causes = ", ".join(f"{k} {n}" for k, n in why)
print(f"| {method} | {bad} ({100 * bad / further:.1f} %){'; ' + causes if causes else ''} | "
      f"{len(caught)}: {' '.join(caught)} | {' '.join(passed) or 'none'} |")
PY
  head -3 "$work/$method.err" | sed 's/^/    /' >&2
done
