#!/usr/bin/env bash
# Peak memory of one `ampbench run` testing many units in a row (a shift's batch): the CI
# loopback sequence on the offline simulated station, SMALL and LARGE units in one command
# each, plain and with --junit, peak RSS from GNU time. A run keeps nothing of a finished
# unit but what --json or --junit will print, so LARGE should need no more than SMALL.
# Usage: bench/batch_memory.sh [BUILD_DIR] [SMALL] [LARGE]
set -euo pipefail
build=${1:-build}
small=${2:-10}
large=${3:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
peak_kb() {  # units, extra arguments…
  local units=$1
  shift
  local args=()
  for i in $(seq "$units"); do args+=(--serial "MEM-$i"); done
  /usr/bin/time -f %M -o "$work/rss" "$build/ampbench" run sequences/ci-loopback.toml \
    --db "$work/m-$units-$#.db" --quiet "${args[@]}" "$@" >/dev/null 2>&1 || true
  cat "$work/rss"
}
for extra in "" "--junit $work/j.xml"; do
  # shellcheck disable=SC2086
  a=$(peak_kb "$small" $extra)
  # shellcheck disable=SC2086
  b=$(peak_kb "$large" $extra)
  echo "peak RSS ${extra:+with --junit }: $small units $((a / 1024)) MB, $large units $((b / 1024)) MB ($(python3 -c "print(f'{$b / $a:.2f}')")x)"
done
