#!/usr/bin/env bash
# Starts the simulated generator, relay box and DMM of instruments/sim-instruments.toml
# (ports 5025, 5026, 5027 on 127.0.0.1) in the background; `scripts/sim-instruments.sh
# stop` stops them. Usage: scripts/sim-instruments.sh [start|stop] [AMPBENCH]
set -euo pipefail
cd "$(dirname "$0")/.."
ampbench=${2:-build/ampbench}
pids=.sim-instruments.pids
if [ "${1:-start}" = stop ]; then
  [ -f "$pids" ] && xargs -r kill < "$pids" || true
  rm -f "$pids"
  exit 0
fi
: > "$pids"
for spec in fgen:5025 relay:5026 dmm:5027; do
  "$ampbench" sim-instrument --kind "${spec%%:*}" --listen "127.0.0.1:${spec##*:}" &
  echo $! >> "$pids"
done
sleep 0.3
