#!/usr/bin/env bash
# The README's performance table, measured here and now: every figure with the command that
# made it and, where there is one, the figure it is compared with in the same run. Medians;
# ranges where a figure is a spread. FULL=1 adds the batch-memory rows (10 and 1000 units:
# about ten minutes). Usage: [FULL=1] bench/perf_table.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "Machine: $cpu, $(nproc) cores, $(date -u +%Y-%m-%d)."
echo
echo "| what | figure | command |"
echo "|---|---|---|"

"$build/bench/bench_dsp" --benchmark_format=json >"$work/dsp.json" 2>/dev/null
/usr/bin/python3 - "$work/dsp.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
med = {b["run_name"].split("/repeats")[0]: b for b in runs if b.get("aggregate_name") == "median"}
def ms(name): return med[name]["real_time"] * {"ms": 1, "us": 1e-3, "ns": 1e-6}[med[name]["time_unit"]]
cmd = "`build/bench/bench_dsp`"
print(f"| analyse a 10 s, 48 kHz swept-sine response into H1..H5 | {ms('BM_AnalyzeSweep10s48k'):.1f} ms | {cmd} |")
def per_second(prefix):
    per = {int(n.split('/')[1]): med[n]["per_sweep_s"] * 1e3 for n in med if n.startswith(prefix + "/")}
    lo, hi = min(per.values()), max(per.values())
    return (f"{lo:.2f}–{hi:.2f} ms (max/min {hi / lo:.2f}; "
            + ", ".join(f"{s} s: {v:.2f}" for s, v in sorted(per.items())) + ")")
print(f"| sweep analysis per second of sweep, 1 to 30 s at 48 kHz | {per_second('BM_AnalyzeSweepBySeconds48k')} | {cmd} |")
print(f"| its anchor: FFTW alone, one forward and one inverse transform of the analysis's size, per second of sweep | "
      f"{per_second('BM_FftPairForSweepSeconds48k')} | {cmd} |")
print(f"| design a stereo multitone, 31 tones per channel, 96 kHz (once per machine: cached) | {ms('BM_DesignMultitoneStereo96k'):.0f} ms | {cmd} |")
print(f"| analyse one stereo multitone capture, 65536 samples at 96 kHz | {ms('BM_AnalyzeMultitoneStereo65536'):.2f} ms | {cmd} |")
print(f"| true peak of 10 s of 48 kHz sweep (the output limit's check) | {ms('BM_TruePeakSweep10s48k'):.1f} ms | {cmd} |")
PY

"$here/compare_numpy.sh" "$build" >"$work/numpy.txt"
/usr/bin/python3 - "$work/numpy.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
ours, tuned, theirs, kept = (float(x) for x in re.findall(r"median\s+([\d.]+) us", t))
print(f"| analyse a 65536-sample 48 kHz block (THD+N, harmonics) | {ours:.0f} µs; after `ampbench tune-fft` {tuned:.0f} µs; "
      f"numpy/scipy on the same WAV {theirs:.0f} µs ({theirs / ours:.1f}×, allocating its arrays each call), "
      f"{kept:.0f} µs with its arrays kept ({kept / ours:.1f}×) | `bench/compare_numpy.sh` |")
PY

median_s() { /usr/bin/python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.3f}")' "$@"; }
for path in sequences/*.toml; do
  sequence=$(basename "$path" .toml)
  station=instruments/sim-bench.toml
  [[ $sequence == preamp-* ]] && station=instruments/sim-preamp.toml
  [[ $sequence == generator-* ]] && station=instruments/sim-instruments.toml
  cold=() warm=()
  for i in 1 2 3; do
    export XDG_CACHE_HOME="$work/cache-$sequence-$i"
    for kind in cold warm; do
      /usr/bin/time -f %e -o "$work/t" "$build/ampbench" validate "sequences/$sequence.toml" \
        --station "$station" >/dev/null 2>&1
      if [ "$kind" = cold ]; then cold+=("$(cat "$work/t")"); else warm+=("$(cat "$work/t")"); fi
    done
  done
  unset XDG_CACHE_HOME
  echo "| \`validate sequences/$sequence.toml\` | $(median_s "${warm[@]}") s (first on a machine: $(median_s "${cold[@]}") s) | \`/usr/bin/time -f %e build/ampbench validate …\` |"
done

for sequence in poweramp-production poweramp-fast; do
  line=$("$here/run_timing.sh" "$build" "sequences/$sequence.toml" 7)
  echo "| one unit of \`$sequence.toml\` on the offline simulated station | ${line#*: } | \`bench/run_timing.sh build sequences/$sequence.toml 7\` |"
done

if [ -n "${FULL:-}" ]; then
  "$here/batch_memory.sh" "$build" 10 1000 | while read -r line; do
    echo "| one \`run\` of many units (\`ci-loopback.toml\`) | $line | \`bench/batch_memory.sh build 10 1000\` |"
  done
fi
