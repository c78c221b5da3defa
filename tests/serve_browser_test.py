"""The operator station in a real browser (SPEC §12): Selenium (python3-selenium) drives
headless Chromium (chromium-driver) against `ampbench serve` on the simulated station.
- a serial typed as a barcode scanner types it (keys, then Enter) starts the unit; PASS is
  shown within the unit's own time plus 1 s;
- a fault serial shows FAIL with the failing measurement named;
- a sequence with a prompt: the question appears in the page, a button answers it, the run
  continues to its verdict;
- a reload mid-unit shows the same unit's progress;
- Abort stores the run ABORTED;
- Abort shows the cleanup step's message and stores the page's Abort as the reason; a
  station that goes away greys the page and disables Start;
- four slots (instruments/sim-4up.toml) at 1280×800: four panels, each usable; the
  supervisor page lists their runs and today's yield;
- a station with a token: a wrong token is said, the right one signs the browser in once
  (a session cookie): the prompt's picture loads and a second tab needs no token.
Latency from a step's end on the station to the page showing it is measured by timestamps
and printed (median), not asserted. Screenshots go to the artefacts folder.
Usage: serve_browser_test.py AMPBENCH SOURCE_DIR [ARTEFACTS_DIR]"""
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

ampbench, source = sys.argv[1:3]
artefacts = sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp(prefix="ampbench-serve-shots-")
os.makedirs(artefacts, exist_ok=True)
work = tempfile.mkdtemp(prefix="ampbench-serve-")
failures = []
latencies = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception:  # the page or the server is not there yet
            pass
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


class Station:
    def __init__(self, sequence, station=None, name="station", extra=()):
        self.port = free_port()
        self.db = os.path.join(work, name + ".db")
        args = [ampbench, "serve", "--sequence", sequence, "--db", self.db, "--listen", f"127.0.0.1:{self.port}"]
        if station:
            args += ["--station", station]
        args += list(extra)
        self.log = open(os.path.join(work, name + ".log"), "w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}/"
        wait_until(lambda: self.answers(), 15, "serve")

    def answers(self):
        try:
            return urllib.request.urlopen(self.url + "api/state", timeout=2).status == 200
        except urllib.error.HTTPError as e:
            return e.code == 401  # up, and asking for its token

    def state(self):
        with urllib.request.urlopen(self.url + "api/state", timeout=5) as r:
            return json.load(r)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def browser():
    options = webdriver.ChromeOptions()
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")
    options.add_argument("--window-size=1280,800")
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def panel(driver, i=0):
    # The panels are drawn from the first state the page receives, which can follow the
    # link's "live" by a moment.
    return wait_until(lambda: (lambda found: len(found) > i and found[i])(
        driver.find_elements(By.CSS_SELECTOR, "section.slot")), 10, f"slot panel {i + 1}")


def scan(driver, serial, i=0):
    """What a keyboard-wedge scanner does: the serial's keys into the focused field, then Enter."""
    field = panel(driver, i).find_element(By.CSS_SELECTOR, "input.serial")
    wait_until(lambda: field.is_enabled(), 10, "the serial field")
    if i == 0:
        check(driver.switch_to.active_element == field, "the serial field has the focus")
    field.click()
    field.send_keys(serial + Keys.ENTER)


def verdict(driver, i=0):
    box = panel(driver, i).find_element(By.CSS_SELECTOR, ".verdict")
    return box.find_element(By.CSS_SELECTOR, ".word").text if box.is_displayed() else ""


def shot(driver, name):
    path = os.path.join(artefacts, name + ".png")
    driver.save_screenshot(path)
    print("screenshot " + path)


def collect_latencies(driver):
    latencies.extend(driver.execute_script("return window.ampbenchLatencies.splice(0)"))


driver = browser()
try:
    # A good unit and a faulty one on the production sequence.
    production = Station(os.path.join(source, "sequences/poweramp-production.toml"), name="production")
    driver.get(production.url)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "section.slot"), 10, "the slot panel")
    started = time.time()
    scan(driver, "GOOD-1")
    wait_until(lambda: verdict(driver) == "PASS", 60, "PASS")
    shown = time.time()
    with sqlite3.connect(production.db) as c:
        unit_s = c.execute("SELECT (julianday(finished_at) - julianday(started_at)) * 86400 FROM runs "
                           "WHERE serial = 'GOOD-1'").fetchone()[0]
    check(shown - started <= unit_s + 1.0,
          f"PASS shown {shown - started:.2f} s after the scan; the unit took {unit_s:.2f} s (limit +1 s)")
    shot(driver, "serve-pass")
    collect_latencies(driver)

    scan(driver, "SIM-LOW-GAIN")
    wait_until(lambda: verdict(driver) == "FAIL", 60, "FAIL")
    failures_text = panel(driver).find_element(By.CSS_SELECTOR, ".verdict .failures").text
    check("gain_db" in failures_text and "limit" in failures_text,
          "FAIL names the failing measurement: " + failures_text.splitlines()[0] if failures_text else "(none)")
    shot(driver, "serve-fail")
    collect_latencies(driver)

    production.stop()

    # Reload in the middle of a unit (one long sweep): the same unit, the same progress.
    long_sequence = os.path.join(work, "long.toml")
    with open(long_sequence, "w") as f:
        f.write('[sequence]\nname = "long"\nchannels = ["L", "R"]\n'
                '[defaults]\ncapture_s = 0.5\nsettle_s = 0.05\nload_ohm = 8\n'
                '[[step]]\nid = "quick"\nkind = "level"\nstimulus = { frequency_hz = 1000, level = "-20 dBV" }\n'
                '[[step]]\nid = "long_sweep"\nkind = "thdn"\nstimulus = { frequency_hz = 1000 }\n'
                'sweep = { parameter = "stimulus.level", from = "-40 dBV", to = "-10 dBV", points = 3000 }\n'
                '[[step]]\nid = "tidy"\nkind = "cleanup"\n'
                'message = "Switch the amplifier off before unplugging it"\n')
    production = Station(long_sequence, name="long")
    driver.get(production.url)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "section.slot"), 10, "the slot panel")
    scan(driver, "RELOAD-1")
    wait_until(lambda: "RELOAD-1" in panel(driver).find_element(By.CSS_SELECTOR, ".unit-serial").text and
               any(li.text.endswith("s") and "PASS" in li.text
                   for li in panel(driver).find_elements(By.CSS_SELECTOR, ".steps li")), 30, "a step done")
    before = panel(driver).find_element(By.CSS_SELECTOR, ".now").text
    driver.refresh()
    wait_until(lambda: "RELOAD-1" in panel(driver).find_element(By.CSS_SELECTOR, ".unit-serial").text, 10,
               "the unit after a reload")
    after = wait_until(lambda: panel(driver).find_element(By.CSS_SELECTOR, ".now").text, 10, "the progress")
    done_steps = [li.text for li in panel(driver).find_elements(By.CSS_SELECTOR, ".steps li") if "PASS" in li.text]
    check(len(done_steps) == 1 and production.state()["slots"][0]["state"] == "running" and
          after.startswith("long_sweep — point"),
          f"after a reload the page shows RELOAD-1 still running, {len(done_steps)} step done, "
          f"'{before}' then '{after}'")
    shot(driver, "serve-reload")

    # Abort: the unit stops, its run is stored ABORTED.
    abort = panel(driver).find_element(By.CSS_SELECTOR, "button.abort")
    wait_until(lambda: abort.is_displayed(), 10, "the Abort button")
    abort.click()
    wait_until(lambda: verdict(driver) == "ABORTED", 60, "ABORTED")
    with sqlite3.connect(production.db) as c:
        stored = c.execute("SELECT verdict FROM runs WHERE serial = 'RELOAD-1'").fetchone()[0]
    check(stored == "ABORTED", f"Abort stores the run ABORTED ({stored})")
    with sqlite3.connect(production.db) as c:
        why = c.execute("SELECT message FROM steps WHERE verdict = 'ABORTED'").fetchone()[0]
    check("Abort on the station's page" in why, f"the stored reason names the page's Abort: {why}")
    notice = wait_until(lambda: panel(driver).find_element(By.CSS_SELECTOR, ".verdict .notices").text, 10,
                        "the cleanup step's message")
    check("Switch the amplifier off" in notice, f"after Abort the cleanup message is shown: {notice}")
    shot(driver, "serve-aborted")
    # The station goes away: the page says so, greys its panels and offers nothing to press.
    production.stop()
    wait_until(lambda: "offline" in driver.find_element(By.TAG_NAME, "body").get_attribute("class"), 15,
               "the page to see the station gone")
    go = panel(driver).find_element(By.CSS_SELECTOR, "button.go")
    check(not go.is_enabled(), "Start is disabled while the station is offline")
    check("offline" in driver.find_element(By.ID, "link").text, "the header says the station is offline")
    shot(driver, "serve-offline")

    # A prompt answered in the page.
    prompt_sequence = os.path.join(work, "prompt.toml")
    with open(prompt_sequence, "w") as f:
        f.write('[sequence]\nname = "fan check"\nchannels = ["L", "R"]\n'
                '[[step]]\nid = "gain"\nkind = "level"\ncapture_s = 0.2\n'
                'stimulus = { frequency_hz = 1000, level = "-20 dBV" }\n'
                '[[step]]\nid = "fan"\nkind = "prompt"\nmessage = "Does the fan run?"\n'
                'choices = ["yes", "no"]\nexpect = "yes"\n'
                '[[step]]\nid = "after"\nkind = "level"\ncapture_s = 0.2\n'
                'stimulus = { frequency_hz = 1000, level = "-20 dBV" }\n')
    prompting = Station(prompt_sequence, name="prompt")
    driver.get(prompting.url)
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, "section.slot"), 10, "the slot panel")
    scan(driver, "FAN-1")
    question = wait_until(lambda: panel(driver).find_element(By.CSS_SELECTOR, ".prompt-message").text, 30,
                          "the prompt")
    check(question == "Does the fan run?", f"the prompt shows its question: {question}")
    shot(driver, "serve-prompt")
    # A scan while the question is up answers nothing: it is said, and the prompt waits.
    ActionChains(driver).send_keys("FAN-2" + Keys.ENTER).perform()
    said = wait_until(lambda: driver.find_element(By.ID, "scan-note").text, 5, "the scan refused")
    time.sleep(0.3)
    check("not an answer" in said and prompting.state()["slots"][0]["prompt"] is not None,
          f"a scan during a prompt answers nothing and is said: {said}")
    yes = [b for b in panel(driver).find_elements(By.CSS_SELECTOR, ".choices button") if b.text == "yes"]
    check(len(yes) == 1, "a button per choice")
    yes[0].click()
    wait_until(lambda: verdict(driver) == "PASS", 30, "PASS after the answer")
    with sqlite3.connect(prompting.db) as c:
        answer, after = c.execute("SELECT (SELECT message FROM steps WHERE step_id = 'fan'), "
                                  "(SELECT verdict FROM steps WHERE step_id = 'after')").fetchone()
    check(answer == "answer: yes" and after == "PASS", f"the run continued after the answer ({answer}, {after})")
    collect_latencies(driver)
    prompting.stop()

    # Four slots at 1280×800.
    four = Station(os.path.join(source, "sequences/poweramp-fast.toml"),
                   os.path.join(source, "instruments/sim-4up.toml"), name="four")
    driver.get(four.url)
    wait_until(lambda: len(driver.find_elements(By.CSS_SELECTOR, "section.slot")) == 4, 10, "four panels")
    for i, serial in enumerate(["Q1", "SIM-HUM", "Q3", "Q4"]):
        scan(driver, serial, i)
    wait_until(lambda: all(verdict(driver, i) for i in range(4)), 60, "four verdicts")
    words = [verdict(driver, i) for i in range(4)]
    check(words == ["PASS", "FAIL", "PASS", "PASS"], f"four slots, each its own verdict: {words}")
    rects = [panel(driver, i).rect for i in range(4)]
    check(all(r["x"] + r["width"] <= 1280 and r["width"] >= 280 for r in rects),
          "four panels side by side within 1280 px")
    shot(driver, "serve-four-slots")
    # A small panel PC: the verdicts and the failing measurement stay visible, and fit.
    driver.set_window_size(800, 480)
    chrome_w = 800 - driver.execute_script("return window.innerWidth")
    chrome_h = 480 - driver.execute_script("return window.innerHeight")
    driver.set_window_size(800 + chrome_w, 480 + chrome_h)  # the page itself 800×480
    time.sleep(0.5)
    small = []
    for i in range(4):
        box = panel(driver, i).rect
        word = panel(driver, i).find_element(By.CSS_SELECTOR, ".verdict .word")
        fits = driver.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", word)
        inside = word.rect["x"] >= box["x"] and word.rect["x"] + word.rect["width"] <= box["x"] + box["width"]
        small.append(word.is_displayed() and fits and inside)
    failing = panel(driver, 1).find_elements(By.CSS_SELECTOR, ".verdict .failures li")
    failing_seen = bool(failing) and failing[0].is_displayed() and \
        failing[0].rect["y"] + failing[0].rect["height"] <= panel(driver, 1).rect["y"] + panel(driver, 1).rect["height"]
    check(all(small) and failing_seen, f"at 800×480 every verdict fits its panel ({small}) and the failing "
          f"measurement shows ({failing[0].text if failing else '(none)'})")
    shot(driver, "serve-800x480")
    driver.set_window_size(1280, 800)
    collect_latencies(driver)
    # Twelve units by scanner alone: each scan goes to a free slot wherever the focus is; no
    # tap between units.
    scanned = [f"SCAN-{n:02d}" for n in range(12)]
    for serial in scanned:
        # As an operator would: the next unit once the page shows a free slot.
        wait_until(lambda: driver.execute_script("return panels.some(slotFree)"), 60, "a free slot")
        ActionChains(driver).send_keys(serial + Keys.ENTER).perform()
    wait_until(lambda: all(s["state"] != "running" for s in four.state()["slots"]), 60, "the last units")
    with sqlite3.connect(four.db) as c:
        ran = [r[0] for r in c.execute("SELECT serial FROM runs WHERE serial LIKE 'SCAN-%' ORDER BY id")]
    errors = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "section.slot .error") if e.text]
    note = driver.find_element(By.ID, "scan-note").text
    check(sorted(ran) == scanned, f"12 scans, 12 units, one action each: {len(ran)} runs {ran} {errors} {note}")
    check(not driver.find_element(By.ID, "scan-note").is_displayed(), "no scan lost")
    # The supervisor page: the same store's runs and yield, a report a click away.
    driver.get(four.url + "supervisor")
    rows = wait_until(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 16 and
                      driver.find_elements(By.CSS_SELECTOR, "#runs tbody tr"), 10, "the runs table")
    days = driver.find_elements(By.CSS_SELECTOR, "#days tbody tr")
    check(len(rows) == 16 and len(days) == 1 and "93.8 %" in days[0].text,
          f"the supervisor page lists the 16 runs and today's yield: {days[0].text if days else '(none)'}")
    # Its Pareto: the one failing run of the sixteen, under the step and measurement it failed.
    pareto = driver.find_elements(By.CSS_SELECTOR, "#pareto tbody tr")
    summary = driver.find_element(By.ID, "pareto-summary").text
    check(len(pareto) >= 1 and "1 failing run(s) of 16, 1 failing unit(s)" in summary and
          pareto[0].find_elements(By.TAG_NAME, "td")[2].text.startswith("1"),
          f"the supervisor's Pareto ranks why the failing unit failed: {summary}; "
          f"{[r.text for r in pareto]}")
    shot(driver, "serve-supervisor")
    four.stop()

    # A station with a token: signed in once, the browser's every tab and picture are too.
    from PIL import Image
    Image.new("RGB", (64, 48), (200, 40, 40)).save(os.path.join(work, "fan.png"))
    token_file = os.path.join(work, "token")
    with open(token_file, "w") as f:
        f.write("a-long-station-token-0123456789\n")
    pictured = os.path.join(work, "pictured.toml")
    with open(pictured, "w") as f:
        f.write('[sequence]\nname = "fan picture"\nchannels = ["L", "R"]\n'
                '[[step]]\nid = "fan"\nkind = "prompt"\nmessage = "Is the fan as in the picture?"\n'
                'image = "fan.png"\nchoices = ["yes", "no"]\nexpect = "yes"\n')
    guarded = Station(pictured, name="token", extra=["--token-file", token_file])
    driver.get(guarded.url)
    dialog = wait_until(lambda: driver.find_element(By.ID, "token-dialog").is_displayed() and
                        driver.find_element(By.ID, "token-dialog"), 10, "the token dialog")
    field = driver.find_element(By.ID, "token-input")
    field.send_keys("not-the-token" + Keys.ENTER)
    said = wait_until(lambda: driver.find_element(By.ID, "token-error").text, 10, "the wrong token said")
    check("not this station's token" in said, f"a wrong token is said: {said}")
    field.clear()
    field.send_keys("a-long-station-token-0123456789" + Keys.ENTER)
    wait_until(lambda: driver.find_element(By.ID, "link").text == "live", 10, "live after signing in")
    cookies = {c["name"]: c for c in driver.get_cookies()}
    session = cookies.get("ampbench_session", {})
    check(session.get("httpOnly") and session.get("sameSite") == "Strict",
          f"the session is an HttpOnly, SameSite=Strict cookie: {session}")
    scan(driver, "PIC-1")
    image = wait_until(lambda: panel(driver).find_element(By.CSS_SELECTOR, ".prompt-image"), 30, "the picture")
    loaded = wait_until(lambda: driver.execute_script(
        "return arguments[0].complete && arguments[0].naturalWidth", image), 10, "the picture to load")
    check(loaded == 64, f"the prompt's picture loads on a token station ({loaded} px wide)")
    shot(driver, "serve-token-picture")
    driver.switch_to.new_window("tab")
    driver.get(guarded.url)
    wait_until(lambda: driver.find_element(By.ID, "link").text == "live", 10, "the second tab live")
    check(not driver.find_element(By.ID, "token-dialog").is_displayed(),
          "a second tab needs no token")
    guarded.stop()
finally:
    driver.quit()

if latencies:
    print(f"latency from a step's end to the page: median {statistics.median(latencies):.0f} ms, "
          f"max {max(latencies):.0f} ms over {len(latencies)} steps")
print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
sys.exit(1 if failures else 0)
