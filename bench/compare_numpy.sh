#!/usr/bin/env bash
# Median time to analyse one 65536-sample 48 kHz block: ampbench (Google Benchmark) against
# the same computation in numpy/scipy, on the same WAV. Usage: bench/compare_numpy.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/ampbench" generate sine --frequency 997 --level -6 --samples 65536 --harmonic 2:-60 \
  --harmonic 3:-80 --format float -o "$work/block.wav" 2>/dev/null
medians=$(AMPBENCH_BENCH_WAV="$work/block.wav" "$build/bench/bench_dsp" \
  --benchmark_filter=BM_AnalyzeTone65536 --benchmark_format=json 2>/dev/null |
  /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["benchmarks"]; print(*[b["real_time"] for b in r if b.get("aggregate_name")=="median"])')
read -r ours tuned <<<"$medians"
read -r theirs thdn kept < <(/usr/bin/python3 "$(dirname "$0")/numpy_analyze.py" "$work/block.wav")
ampbench_thdn=$("$build/ampbench" analyze "$work/block.wav" --json | /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["channels"][0]["thdn_db"],3))')
printf 'ampbench analyze_tone          : median %8.1f us  (THD+N %s dB)\n' "$ours" "$ampbench_thdn"
printf 'ampbench, after tune-fft        : median %8.1f us\n' "$tuned"
printf 'numpy/scipy                     : median %8.1f us  (THD+N %s dB)\n' "$theirs" "$thdn"
printf 'numpy/scipy, arrays kept        : median %8.1f us\n' "$kept"
/usr/bin/python3 -c "print(f'ratio numpy/ampbench: {$theirs/$ours:.1f}x, tuned {$theirs/$tuned:.1f}x, arrays kept {$kept/$ours:.1f}x')"
