"""End to end through a real audio stack: jackd (dummy backend) + `ampbench sim-dut --jack`
+ `ampbench run` on instruments/jack-loopback.toml (PortAudio, JACK host API).
Checks: the CI loopback sequence agrees with the same models on the offline sim backend
(gain and response ±0.05 dB, THD+N ±1 dB); four slots on 8 JACK channels
(instruments/jack-4up.toml, one simulated unit per slot in sim-dut) agree slot by slot with
their offline twin and share one transfer per capture; killing sim-dut mid-run ends the step
ERROR, keeps the finished steps and exits 2 without hanging; a capture with an xrun is
played again (the step says so), and an xrun in every attempt is an error.
Usage: jack_loopback_test.py AMPBENCH SOURCE_DIR"""
import json
import os
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

ampbench, source = sys.argv[1:3]
work = tempfile.mkdtemp(prefix="ampbench-jack-")
server = f"ampbench-test-{os.getpid()}"
env = dict(os.environ, JACK_DEFAULT_SERVER=server, JACK_NO_START_SERVER="1")
station = os.path.join(source, "instruments/jack-loopback.toml")
sequence = os.path.join(source, "sequences/ci-loopback.toml")
processes = []
failures = []
PERIOD = 2048  # frames: long enough for a loaded 2-core machine running sanitised builds


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def ports():
    r = subprocess.run(["jack_lsp"], env=env, capture_output=True, text=True, timeout=10)
    return r.stdout.split() if r.returncode == 0 else []


def start_dut(*extra, station_file=station):
    dut = subprocess.Popen([ampbench, "sim-dut", "--jack", "--station", station_file, *extra], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(dut)
    wait_for(lambda: "dut:in_1" in ports(), 10, "sim-dut's ports")
    return dut


def step_errors(db):
    """What the stored steps say when a run did not pass: the reason is in the database (--quiet)."""
    try:
        with sqlite3.connect(db) as c:
            rows = c.execute("SELECT r.serial, s.step_id, s.verdict, coalesce(s.message, '') FROM steps s "
                             "JOIN runs r ON r.id = s.run_id WHERE s.verdict != 'PASS'").fetchall()
        return "; ".join(f"{serial} {step} {verdict} {message}" for serial, step, verdict, message in rows)
    except sqlite3.Error as e:
        return str(e)


def agrees_with_unit_s(realtime, seq):
    """The offline twin's unit_s predicts the real-time unit's wall time within 5 % (or 0.2 s on
    a run of a few seconds, whose analysis under the sanitizers on a loaded machine varies by
    that much), where both made the same transfers (an xrun's repeat is time the model cannot
    know of)."""
    twin_run = run(os.path.join(work, "timing.db"), "--json", station_file=timing_station, seq=seq)
    predicted = json.loads(twin_run.stdout)["runs"][0]
    measured = json.loads(realtime.stdout)["runs"][0]
    name = os.path.basename(seq)
    error = measured["wall_s"] / predicted["unit_s"] - 1.0
    line = (f"{name}: real-time wall {measured['wall_s']:.3f} s, offline unit_s {predicted['unit_s']:.3f} s "
            f"({100 * error:+.1f} %), stimulus_s {predicted['stimulus_s']:.3f} s")
    if measured["transfers"] != predicted["transfers"]:
        print(f"     {line}: not compared ({measured['transfers']} transfers against {predicted['transfers']})")
        return
    check(abs(error) <= 0.05 or abs(measured["wall_s"] - predicted["unit_s"]) <= 0.2, line)


def run(db, *extra, station_file=station, seq=sequence, timeout=120):
    return subprocess.run([ampbench, "run", seq, "--station", station_file, "--db", db, "--quiet", *extra], env=env,
                          capture_output=True, text=True, timeout=timeout)


def measurements(db, name, serial=None):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT s.step_id, m.channel, m.value FROM measurements m JOIN steps s ON s.id = m.step_id "
                         "JOIN runs r ON r.id = s.run_id WHERE m.name = ? AND (?2 IS NULL OR r.serial = ?2) "
                         "ORDER BY m.id", (name, serial)).fetchall()


def curves(db, name, serial=None):
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT c.channel, c.y FROM curves c JOIN steps s ON s.id = c.step_id JOIN runs r ON "
                         "r.id = s.run_id WHERE c.name = ? AND (?2 IS NULL OR r.serial = ?2) ORDER BY c.id",
                         (name, serial)).fetchall()
    return [(ch, struct.unpack(f"<{len(y) // 8}d", y)) for ch, y in rows]


def compare(db, twin, label, serial=None):
    for name, tolerance, floor in (("gain_db", 0.05, None), ("thdn_db", 1.0, -100.0),
                                   ("deviation_min_db", 0.05, None), ("deviation_max_db", 0.05, None)):
        a, b = measurements(db, name, serial), measurements(twin, name, serial)
        check(len(a) == len(b) and len(a) > 0, f"{label}: {name} measured on both paths")
        for (step, ch, x), (_, _, y) in zip(a, b):
            if floor is not None and y < floor:
                continue
            check(abs(x - y) <= tolerance, f"{label}: {step} {ch} {name} {x:.4f} vs offline {y:.4f} (±{tolerance})")
    for (ch, a), (_, b) in zip(curves(db, "response_db", serial), curves(twin, "response_db", serial)):
        worst = max(abs(x - y) for x, y in zip(a, b))
        check(worst <= 0.05, f"{label}: response curve {ch} within {worst:.4f} dB of offline (±0.05)")


try:
    jackd = subprocess.Popen(["jackd", "--no-realtime", "-n", server, "-p", "64", "-d", "dummy", "-r", "48000",
                              "-p", str(PERIOD), "-C", "8", "-P", "8"], env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(jackd)
    wait_for(lambda: "system:playback_1" in ports(), 10, "jackd")

    # The offline twin: the same station with the sim backend.
    twin_station = os.path.join(work, "twin.toml")
    with open(station) as src, open(twin_station, "w") as dst:
        dst.write(src.read().replace('backend = "portaudio"', 'backend = "sim"'))
    twin = os.path.join(work, "twin.db")
    check(run(twin, station_file=twin_station).returncode == 0, "offline twin passes")
    # The twin that predicts the bench's time: JACK's period as the interface's latency and
    # buffer (sim.latency_samples, sim.buffer_frames).
    timing_station = os.path.join(work, "timing-twin.toml")
    with open(twin_station) as src, open(timing_station, "w") as dst:
        dst.write(src.read().replace("latency_samples = 0", f"latency_samples = {PERIOD}\nbuffer_frames = {PERIOD}"))

    dut = start_dut()
    realtime = os.path.join(work, "realtime.db")
    started = time.time()
    r = run(realtime, "--json")
    check(r.returncode == 0, "real-time JACK run passes: " + r.stderr[-300:] + step_errors(realtime))
    print(f"real time: {time.time() - started:.2f} s wall")
    compare(realtime, twin, "real time")
    agrees_with_unit_s(r, sequence)
    # Polarity on the real path: the bench's latency probe (a 0.1 s sweep when it opens) fixes
    # the latency on its unique correlation peak, so the level step's tone before any sweep
    # step reads +1 as the sweep does.
    polarity = {(step, ch): v for step, ch, v in measurements(realtime, "polarity")}
    check(polarity and all(v == 1.0 for v in polarity.values()),
          f"polarity +1 on every step that reports it through JACK: {polarity}")

    # The production sequence through JACK: every step a fixed load allows passes (the JACK
    # DUT's load cannot be switched: the 4 Ω and output-impedance steps need relays), and
    # polarity is +1 wherever it is reported, from the first step on.
    production = os.path.join(work, "production.db")
    r = run(production, "--json", seq=os.path.join(source, "sequences/poweramp-production.toml"))
    agrees_with_unit_s(r, os.path.join(source, "sequences/poweramp-production.toml"))
    fast = os.path.join(work, "fast.db")
    agrees_with_unit_s(run(fast, "--json", seq=os.path.join(source, "sequences/poweramp-fast.toml")),
                       os.path.join(source, "sequences/poweramp-fast.toml"))
    db = sqlite3.connect(production)
    verdicts = dict(db.execute("SELECT step_id, verdict FROM steps").fetchall())
    needs_relays = {"output_impedance"}
    check(verdicts and all(v == "PASS" for k, v in verdicts.items() if k not in needs_relays),
          f"poweramp-production passes through JACK but for load switching: {verdicts}")
    polarity = {(step, ch): v for step, ch, v in measurements(production, "polarity")}
    check(len(polarity) >= 4 and all(v == 1.0 for v in polarity.values()),
          f"poweramp-production: polarity +1 on every step that reports it: {polarity}")
    print(f"poweramp-production through JACK: stimulus {json.loads(r.stdout)['runs'][0]['stimulus_s']:.3f} s")

    freewheel = os.path.join(work, "freewheel.db")
    started = time.time()
    r = run(freewheel, "--freewheel")
    check(r.returncode == 0, "freewheeling JACK run passes: " + r.stderr[-300:])
    print(f"freewheel: {time.time() - started:.2f} s wall")
    compare(freewheel, twin, "freewheel")

    # Four slots on eight JACK channels: one simulated unit per slot, the same serials in
    # sim-dut and in the run; each slot as its offline twin, all four in shared transfers.
    dut.terminate()
    dut.wait()
    wait_for(lambda: "dut:in_1" not in ports(), 10, "sim-dut to leave")
    four_up = os.path.join(source, "instruments/jack-4up.toml")
    slots = [f"S{k}=U{k}" for k in range(1, 5)]
    serial_args = [a for slot in slots for a in ("--serial", slot)]
    dut4 = start_dut(*serial_args, station_file=four_up)
    twin4_station = os.path.join(work, "twin4.toml")
    with open(four_up) as src, open(twin4_station, "w") as dst:
        dst.write(src.read().replace('backend = "portaudio"', 'backend = "sim"'))
    twin4 = os.path.join(work, "twin4.db")
    check(run(twin4, *serial_args, station_file=twin4_station).returncode == 0, "four-slot offline twin passes")
    slots4 = os.path.join(work, "slots4.db")
    r = run(slots4, "--json", *serial_args, station_file=four_up)
    check(r.returncode == 0, "four slots through JACK pass: " + r.stderr[-300:] + step_errors(slots4))
    if r.returncode == 0:
        round_ = json.loads(r.stdout)["round"]
        print(f"four slots through JACK: {round_['wall_s']:.2f} s wall, {round_['transfers']} transfers")
        clean = round_["transfers"] - round_["xrun_transfers"]
        check(clean == 3, f"four slots share each transfer: {clean} for 3 captures "
                          f"(and {round_['xrun_transfers']} played again after an xrun)")
    for k in range(1, 5):
        compare(slots4, twin4, f"slot S{k}", f"U{k}")
    dut4.terminate()
    dut4.wait()
    wait_for(lambda: "dut:in_1" not in ports(), 10, "sim-dut to leave")
    dut = start_dut()

    # Kill the DUT in the middle of a run.
    long_sequence = os.path.join(work, "long.toml")
    with open(long_sequence, "w") as f:
        f.write('[sequence]\nname = "long"\nchannels = ["L", "R"]\n'
                '[[step]]\nid = "first"\nkind = "level"\nstimulus = { frequency_hz = 1000, level = "-20 dBV" }\n'
                '[[step]]\nid = "sweep"\nkind = "thdn"\nstimulus = { frequency_hz = 1000 }\n'
                'sweep = { parameter = "stimulus.level", from = "-40 dBV", to = "-10 dBV", points = 40 }\n')
    killed = os.path.join(work, "killed.db")
    runner = subprocess.Popen([ampbench, "run", long_sequence, "--station", station, "--db", killed, "--quiet"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def first_done():
        if not os.path.exists(killed):
            return False
        try:
            with sqlite3.connect(killed, timeout=5) as c:
                return c.execute("SELECT count(*) FROM steps WHERE verdict = 'PASS'").fetchone()[0] == 1
        except sqlite3.Error:
            return False

    wait_for(first_done, 30, "the first step")
    time.sleep(1.0)
    dut.kill()
    dut.wait()
    try:
        err = runner.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        runner.kill()
        err = "HUNG"
    check(runner.returncode == 2, f"killed DUT: exit {runner.returncode} (expected 2)")
    with sqlite3.connect(killed) as c:
        steps = c.execute("SELECT step_id, verdict, message FROM steps ORDER BY ordinal").fetchall()
        verdict = c.execute("SELECT verdict FROM runs").fetchone()[0]
    check(steps[0][:2] == ("first", "PASS"), f"killed DUT: finished step kept {steps[0][:2]}")
    check(steps[1][1] == "ERROR" and "dut" in steps[1][2], f"killed DUT: step ERROR with a clear message: {steps[1][2]}")
    check(verdict == "ERROR", f"killed DUT: run verdict {verdict}")

    # A forced xrun: sim-dut stalls its process callback once, mid-capture; the capture is
    # played again and measured from the clean transfer, the step saying so. Stalls in every
    # attempt (the station's 2 retries spent) end the step ERROR with nothing measured.
    with open(long_sequence, "w") as f:
        f.write('[sequence]\nname = "xrun"\nchannels = ["L", "R"]\n'
                '[[step]]\nid = "tone"\nkind = "thdn"\ncapture_s = 2.5\nstimulus = { frequency_hz = 1000, level = "-20 dBV" }\n')
    for stalls in (1, 6):
        dut.terminate()
        dut.wait()
        wait_for(lambda: "dut:in_1" not in ports(), 10, "sim-dut to leave")
        dut = start_dut("--stall-after", "2.0", "--stall-ms", "400", "--stall-count", str(stalls))
        xrun = os.path.join(work, f"xrun{stalls}.db")
        r = run(xrun, seq=long_sequence)
        with sqlite3.connect(xrun) as c:
            step = c.execute("SELECT verdict, message FROM steps").fetchone()
            count = c.execute("SELECT count(*) FROM measurements").fetchone()[0]
        if stalls == 1:
            check(r.returncode == 0 and step[0] == "PASS" and "played again after an xrun" in step[1] and count > 0,
                  f"one xrun: played again and measured: {step}, {count} measurements")
        else:
            check(r.returncode == 2 and step[0] == "ERROR" and step[1].startswith("xrun at ")
                  and "each of 3 attempts" in step[1], f"an xrun in every attempt: {step}")
            check(count == 0, "an xrun in every attempt: nothing measured")
finally:
    for p in reversed(processes):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()

print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
