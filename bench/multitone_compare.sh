#!/usr/bin/env bash
# The multitone step against the slow methods on the same simulated DUT (sim-bench's good
# unit, its crosstalk raised from -90 to -70 dB so that it stands above the amplifier's own
# intermodulation products, which at -90 dB sit in the same bins): its response and phase at each tone against the synchronised swept sine's (read
# off a dense sweep, interpolated in log frequency), and its crosstalk against stepped
# crosstalk at the other channel's tone frequencies; TD+N against THD+N at 1 kHz at the
# same rms levels. Usage: bench/multitone_compare.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e 's/^crosstalk_db = -90.0/crosstalk_db = -70.0/' instruments/sim-bench.toml >"$work/station.toml"
grep -q '^crosstalk_db = -70.0' "$work/station.toml"
cat >"$work/mt.toml" <<'TOML'
[sequence]
name = "multitone against sweep"
channels = ["L", "R"]
[defaults]
load_ohm = 8
settle_s = 0.05
[[step]]
id = "multitone"
kind = "multitone"
stimulus = { level = "-20 dBV" }
[[step]]
id = "tdn_vs_level"
kind = "multitone"
stimulus = { level = "-20 dBV" }
sweep = { parameter = "stimulus.level", values = ["-40 dBV", "-30 dBV", "-20 dBV", "-10 dBV", "-6 dBV"] }
[[step]]
id = "thdn_vs_level"
kind = "thdn"
stimulus = { frequency_hz = 1000 }
capture_s = 0.5
sweep = { parameter = "stimulus.level", values = ["-40 dBV", "-30 dBV", "-20 dBV", "-10 dBV", "-6 dBV"] }
[[step]]
id = "sweep"
kind = "frequency_response"
method = "sweep"
stimulus = { from_hz = 10, to_hz = 24000, level = "-20 dBV", points = 400, duration_s = 4 }
TOML
"$build/ampbench" run "$work/mt.toml" --station "$work/station.toml" --db "$work/r.db" --serial BENCH --quiet >/dev/null
"$build/ampbench" results export --format json --db "$work/r.db" >"$work/mt.json"
# Stepped crosstalk at the frequencies where L carries R's tones.
/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
run = json.load(open(f"{work}/mt.json"))[0]
curve = next(c for s in run["steps"] for c in s["curves"] if c["name"] == "crosstalk_db" and c["channel"] == "L")
freqs = ", ".join(f"{f:.6f}" for f in curve["x"])
open(f"{work}/xt.toml", "w").write(f"""[sequence]
name = "stepped crosstalk"
channels = ["L", "R"]
[defaults]
load_ohm = 8
[[step]]
id = "crosstalk"
kind = "crosstalk"
stimulus = {{ level = "-20 dBV" }}
sweep = {{ parameter = "stimulus.frequency_hz", values = [{freqs}] }}
""")
PY
"$build/ampbench" run "$work/xt.toml" --station "$work/station.toml" --db "$work/x.db" --serial BENCH --quiet >/dev/null || true
"$build/ampbench" results export --format json --db "$work/x.db" >"$work/xt.json"
/usr/bin/python3 - "$work" <<'PY'
import bisect, json, math, sys
work = sys.argv[1]
run = json.load(open(f"{work}/mt.json"))[0]
by_id = {s["id"]: s for s in run["steps"]}
def figure(step, name, level):
    return next(m["value"] for m in by_id[step]["measurements"] if m["name"] == name
                and m["channel"] == "L" and m["point"].get("stimulus.level") == level)
for level in ("-40 dBV", "-30 dBV", "-20 dBV", "-10 dBV", "-6 dBV"):
    tdn, thdn = figure("tdn_vs_level", "tdn_db", level), figure("thdn_vs_level", "thdn_db", level)
    print(f"L at {level} rms: TD+N {tdn:.1f} dB, THD+N at 1 kHz {thdn:.1f} dB, TD+N - THD+N {tdn - thdn:+.1f} dB")
def curve(step, name, channel):
    return next(c for c in by_id[step]["curves"] if c["name"] == name and c["channel"] == channel)
def at(c, f):
    i = bisect.bisect_left(c["x"], f)
    f0, f1 = c["x"][i - 1], c["x"][i]
    u = math.log(f / f0) / math.log(f1 / f0)
    return c["y"][i - 1] + u * (c["y"][i] - c["y"][i - 1])
for ch in ("L", "R"):
    mt, ph = curve("multitone", "response_db", ch), curve("multitone", "phase_deg", ch)
    sw, sp = curve("sweep", "response_db", ch), curve("sweep", "phase_deg", ch)
    db = [abs(y - at(sw, f)) for f, y in zip(mt["x"], mt["y"])]
    deg = [abs((y - at(sp, f) + 180) % 360 - 180) for f, y in zip(ph["x"], ph["y"])]
    print(f"{ch}: response vs swept sine at {len(db)} tones: max |Δ| {max(db):.4f} dB, "
          f"phase max |Δ| {max(deg):.3f}°")
xt = json.load(open(f"{work}/xt.json"))[0]["steps"][0]["measurements"]
stepped = [(m["point"]["stimulus.frequency_hz"], m["value"]) for m in xt
           if m["name"] == "crosstalk_db" and m["channel"] == "L" and m["value"] is not None]
mtx = curve("multitone", "crosstalk_db", "L")
diffs = [abs(y - v) for f, y in zip(mtx["x"], mtx["y"]) for g, v in stepped if abs(f - g) < 1e-3]
print(f"L crosstalk vs stepped at {len(diffs)} frequencies: max |Δ| {max(diffs):.3f} dB, "
      f"median {sorted(diffs)[len(diffs) // 2]:.3f} dB, within 1 dB at {sum(d <= 1.0 for d in diffs)}")
PY
