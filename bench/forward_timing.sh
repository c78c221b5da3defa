#!/usr/bin/env bash
# Whole-run timing of the line's central store: a throwaway PostgreSQL server on loopback,
# the power-amp production sequence for N units with and without [results] forward (the
# forward runs in the background: what does it cost the station?), then `sync` of the
# same runs into a fresh database (runs per second), and `stats` over both stores.
# Usage: bench/forward_timing.sh [BUILD_DIR] [UNITS]
set -euo pipefail
build=$(realpath "${1:-build}")
units=${2:-40}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ampbench-forward-XXXXXX)
bindir=$(pg_config --bindir)
as_pg=()
[ "$(id -u)" = 0 ] && { chown postgres "$work"; as_pg=(runuser -u postgres --); }
cleanup() { "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" stop -m immediate >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
echo bench-secret >"$work/pw"
"${as_pg[@]}" "$bindir/initdb" -D "$work/data" -U ampbench --pwfile="$work/pw" --auth-local=trust \
  --auth-host=scram-sha-256 --no-sync >/dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/log" -w -o "-p $port -k $work -c listen_addresses=127.0.0.1" start >/dev/null
export PGPASSWORD=bench-secret
uri="postgresql://ampbench@127.0.0.1:$port"
psql -q "$uri/postgres" -c "CREATE DATABASE line" -c "CREATE DATABASE again"
sed 's/^name = "sim-bench"/name = "bench"\nline = "L1"/' "$source_dir/instruments/sim-bench.toml" >"$work/plain.toml"
cp "$work/plain.toml" "$work/forward.toml"
printf '\n[results]\nforward = "%s/line"\n' "$uri" >>"$work/forward.toml"
serials=()
for i in $(seq "$units"); do serials+=(--serial "U$i"); done
for kind in plain forward plain forward; do
  start=$(date +%s.%N)
  "$build/ampbench" run "$source_dir/sequences/poweramp-production.toml" --station "$work/$kind.toml" \
    --db "$work/$kind.db" --quiet "${serials[@]}" || true
  end=$(date +%s.%N)
  echo "$kind: $units units in $(echo "$end - $start" | bc) s"
done
runs=$(sqlite3 "$work/forward.db" "SELECT count(*) FROM runs")
start=$(date +%s.%N)
"$build/ampbench" sync --db "$work/forward.db" --to "$uri/again" --quiet
end=$(date +%s.%N)
echo "sync: $runs runs ($(sqlite3 "$work/forward.db" "SELECT count(*) FROM measurements") measurements) in $(echo "$end - $start" | bc) s"
for db in "$work/forward.db" "$uri/again"; do
  start=$(date +%s.%N)
  "$build/ampbench" stats --db "$db" --json >/dev/null
  end=$(date +%s.%N)
  echo "stats over ${db##*/}: $(echo "$end - $start" | bc) s"
done
