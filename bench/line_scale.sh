#!/usr/bin/env bash
# Line data at scale (issue 38): RUNS runs of poweramp-fast (default 100000; ten stations, a
# unit every 30 s each) written through the station store's own insert path
# (bench/line_synth), then `stats`, `stats --since` (the last day), `stats --pareto` and
# `limits derive` for one step timed over them (medians of 3, with peak RSS), the database
# size per 1000 runs with each text stored once and with every run's texts inline (as before
# schema 11), and SQLite's plan for a filtered read. With PG_URI (an empty database the
# user may write), the same runs are written to PostgreSQL through the central store's
# insert path, timed the same way, and the server's plans shown (psql needed).
# Usage: bench/line_scale.sh [BUILD_DIR] [RUNS] [PG_URI]
set -euo pipefail
build=${1:-build}
runs=${2:-100000}
pg_uri=${3:-}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/ampbench" run "$here/sequences/poweramp-fast.toml" --station "$here/instruments/sim-bench.toml" \
  --db "$work/template.db" --serial TEMPLATE --quiet >/dev/null || true
start=$(date +%s.%N)
"$build/bench/line_synth" "$work/template.db" "$work/line.db" "$runs" 2>/dev/null
echo "wrote $runs runs through ResultStore in $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.0f') s"
name="Power amplifier fast production test"
last_day=$(/usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT substr(max(started_at), 1, 10) FROM runs\").fetchone()[0])" "$work/line.db")

timed() {  # label, command…: median wall time and peak RSS of 3
  local label=$1
  shift
  local times=() rss=()
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>&1
    read -r t m <"$work/t"
    times+=("$t")
    rss+=("$m")
  done
  /usr/bin/python3 -c 'import statistics,sys; n=len(sys.argv)//2; t=[float(x) for x in sys.argv[1:n+1]]; m=[int(x) for x in sys.argv[n+1:]]; print(f"| {sys.argv[0]} | {statistics.median(t):.2f} s ({min(t):.2f}–{max(t):.2f}) | {max(m)/1024:.0f} MB |")' \
    "${times[@]}" "${rss[@]}" | sed "s/^| -c /| $label /"
}
echo
echo "| $runs runs, SQLite | wall (median of 3, range) | peak RSS |"
echo "|---|---|---|"
timed "stats" "$build/ampbench" stats --db "$work/line.db"
timed "stats --since $last_day" "$build/ampbench" stats --db "$work/line.db" --since "$last_day"
timed "stats --pareto" "$build/ampbench" stats --db "$work/line.db" --pareto
timed "limits derive --step power_8" "$build/ampbench" limits derive --db "$work/line.db" \
  --sequence "$name" --step power_8 -o "$work/limits.toml"

/usr/bin/python3 - "$work/line.db" "$runs" <<'PY'
import os, shutil, sqlite3, sys
path, runs = sys.argv[1], int(sys.argv[2])
def size(p):
    c = sqlite3.connect(p); c.execute("VACUUM"); c.close()
    return os.path.getsize(p)
once = size(path)
inline = path + ".inline"
shutil.copy(path, inline)
c = sqlite3.connect(inline)
c.execute("UPDATE runs SET sequence_text = (SELECT text FROM texts WHERE sha256 = sequence_sha256), "
          "station_text = (SELECT text FROM texts WHERE sha256 = station_sha256)")
c.execute("DELETE FROM texts"); c.commit(); c.close()
print()
print(f"database size per 1000 runs: {once / runs * 1000 / 1e6:.2f} MB with each text once, "
      f"{size(inline) / runs * 1000 / 1e6:.2f} MB with every run's texts inline")
c = sqlite3.connect(path)
# The shapes of store/sqlite_aggregates.cpp's figure scan and newest-first read with --since.
for what, sql in (
        ("figures", "SELECT m.value FROM runs r CROSS JOIN steps s ON s.run_id = r.id CROSS JOIN "
                    "measurements m ON m.step_id = s.id WHERE r.verdict <> 'RUNNING' AND "
                    "(r.started_at >= ?3) AND m.value IS NOT NULL AND r.id % 2 = 0"),
        ("newest first", "SELECT m.value FROM runs r CROSS JOIN steps s ON s.run_id = r.id CROSS "
                         "JOIN measurements m ON m.step_id = s.id WHERE r.verdict <> 'RUNNING' AND "
                         "(r.started_at >= ?3) ORDER BY r.started_at DESC, r.id DESC")):
    plan = c.execute("EXPLAIN QUERY PLAN " + sql, ("", "", "2026-12-31")).fetchall()
    print(f"SQLite plan, {what} with --since:", "; ".join(row[3] for row in plan))
PY

[ -n "$pg_uri" ] || exit 0
start=$(date +%s.%N)
"$build/bench/line_synth" "$work/template.db" "$pg_uri" "$runs" 2>/dev/null
echo
echo "wrote $runs runs through PostgresStore::insert_run in $(echo "$(date +%s.%N) - $start" | bc | xargs printf '%.0f') s"
psql -q "$pg_uri" -c "VACUUM ANALYZE" >/dev/null
echo
echo "| $runs runs, PostgreSQL | wall (median of 3, range) | peak RSS |"
echo "|---|---|---|"
timed "stats" "$build/ampbench" stats --db "$pg_uri"
timed "stats --since $last_day" "$build/ampbench" stats --db "$pg_uri" --since "$last_day"
timed "limits derive --step power_8" "$build/ampbench" limits derive --db "$pg_uri" \
  --sequence "$name" --step power_8 -o "$work/limits-pg.toml"
echo
echo "database size per 1000 runs: $(psql -At "$pg_uri" -c "SELECT round(pg_database_size(current_database()) / $runs.0 * 1000 / 1e6, 2)") MB"
# The shape of store/postgres_aggregates.cpp's GROUP BY with --since: the runs by their index.
echo "PostgreSQL plan, figures with --since:"
psql -At "$pg_uri" -c "SET jit = off; SET work_mem = '64MB'; EXPLAIN SELECT r.station_name, s.step_id, \
  m.channel, m.name, m.unit, m.point_json::text, COUNT(m.value), AVG(m.value) FROM runs r JOIN steps s \
  ON s.run_id = r.id JOIN measurements m ON m.step_id = s.id WHERE r.verdict <> 'RUNNING' AND \
  r.started_at >= '$last_day' AND m.value IS NOT NULL GROUP BY 1, 2, 3, 4, 5, m.point_json" |
  grep -E "Scan|Join|Aggregate" | sed 's/ *(cost.*//; s/^/    /'

