"""Browser test of the HTML reports: headless Chromium renders the demo run's report; the
screenshot must not be blank and the page must log no console errors. In that report and in
a line summary (`stats --html`, one unit far off the rest) no two labels of a chart overlap
and none is cut off, as the browser lays the text out. The datasheet's report
(sequences/poweramp-datasheet.toml) draws THD+N versus power as a family: one rendered path
per condition and channel, a legend entry per condition, a log W axis and the limit line.
A plot's PNG, as its Save button makes it, is the plot drawn at twice its size, in colour.
Usage: browser_report_test.py AMPBENCH CHROMIUM SOURCE_DIR [SCREENSHOT_COPY]"""
import base64
import glob
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def png_pixels(path):
    """The screenshot as rows of RGB tuples, decoded by Pillow (python3-pil)."""
    with Image.open(path) as image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        data = list(rgb.getdata())
    return [data[y * width:(y + 1) * width] for y in range(height)]


# Runs in the page: every chart's text boxes as Chromium laid them out, compared pairwise.
LABEL_CHECK = """
(() => {
  const problems = [];
  const inside = (r, o) => r.left >= o.left - 0.5 && r.right <= o.right + 0.5 && r.top >= o.top - 0.5 && r.bottom <= o.bottom + 0.5;
  const meet = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  document.querySelectorAll('svg.plot').forEach((svg) => {
    const title = svg.querySelector('title') ? svg.querySelector('title').textContent : '?';
    const frame = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')].map((t) => [t.textContent, t.getBoundingClientRect()]);
    texts.forEach(([a, ra], i) => {
      if (!inside(ra, frame)) problems.push(`${title}: '${a}' is cut off`);
      texts.slice(i + 1).forEach(([b, rb]) => { if (meet(ra, rb)) problems.push(`${title}: '${a}' overlaps '${b}'`); });
    });
  });
  const out = document.createElement('pre');
  out.id = 'label-problems';
  out.textContent = JSON.stringify({charts: document.querySelectorAll('svg.plot').length, problems});
  document.body.appendChild(out);
})();
"""


# Runs in the page: what Chromium drew of the THD+N-versus-power plot.
FAMILY_CHECK = """
(() => {
  const svg = [...document.querySelectorAll('svg.plot')].find(
      (s) => s.querySelector('title').textContent.startsWith('THD+N versus output power'));
  const drawn = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 || r.height > 0; };
  const result = svg ? {
    paths: [...svg.querySelectorAll('polyline.series')].filter(drawn).map(
        (p) => [p.dataset.condition, p.dataset.name, Number(p.dataset.points)]),
    legend: [...svg.querySelectorAll('text.legend')].map((t) => t.textContent),
    ticks: [...svg.querySelectorAll('text.tick[text-anchor="middle"]')].map(
        (t) => { const r = t.getBoundingClientRect(); return [t.textContent, r.x + r.width / 2]; }),
    axis: [...svg.querySelectorAll('text.axis-label')].map((t) => t.textContent),
    limits: [...svg.querySelectorAll('line.limit')].filter(drawn).map((l) => l.querySelector('title').textContent),
  } : null;
  const out = document.createElement('pre');
  out.id = 'family-check';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
})();
"""


# Runs in the page (Selenium's asynchronous script: the PNG is drawn asynchronously, as the
# Save button draws it): the first plot's PNG as a data URL, and what the figure holds.
PNG_CHECK = """
const done = arguments[arguments.length - 1];
const figure = document.querySelector('figure.plot-box');
const svg = figure.querySelector('svg');
window.ampbenchPlotPng(svg, 2).then((blob) => {
  const reader = new FileReader();
  reader.onload = () => done({png: reader.result, width: svg.viewBox.baseVal.width,
    height: svg.viewBox.baseVal.height, file: figure.dataset.file,
    csv_rows: figure.dataset.csv.split('\\n').length,
    buttons: figure.querySelectorAll('button[data-save]').length});
  reader.readAsDataURL(blob);
}).catch((e) => done({error: String(e)}));
"""


def check_png(page):
    """The first plot's PNG: twice the SVG's size, white ground, the first series' blue drawn."""
    options = webdriver.ChromeOptions()
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.set_script_timeout(60)
        driver.get("file://" + page)
        found = driver.execute_async_script(PNG_CHECK)
    finally:
        driver.quit()
    assert "error" not in found, found
    assert found["buttons"] == 3, found
    data = base64.b64decode(found["png"].split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG", image.format
        assert image.size == (2 * found["width"], 2 * found["height"]), (image.size, found)
        pixels = list(image.convert("RGB").getdata())
    blue = sum(1 for r, g, b in pixels if abs(r - 0x00) < 40 and abs(g - 0x72) < 40 and abs(b - 0xB2) < 40)
    white = sum(1 for p in pixels if min(p) > 245) / len(pixels)
    print(f"plot PNG {image.size[0]}x{image.size[1]}: {blue} blue pixels, {white:.0%} white, "
          f"{found['csv_rows']} CSV rows, saved as {found['file']}")
    assert blue >= 200, "the series is not drawn"
    assert white > 0.5, "no white ground"
    assert found["csv_rows"] > 2


def probe(chromium, page, work, script, marker):
    """Runs `script` in `page` as Chromium lays it out; returns the JSON it leaves in #marker."""
    checked = os.path.join(work, marker + ".html")
    with open(page, encoding="utf-8") as f:
        text = f.read().replace("</body>", "<script>" + script + "</script></body>")
    with open(checked, "w", encoding="utf-8") as f:
        f.write(text)
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update",
         f"--user-data-dir={os.path.join(work, 'profile-' + marker)}", "--window-size=1280,2400", "--dump-dom",
         "file://" + checked],
        capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="' + marker + r'">(.*?)</pre>', result.stdout, re.S)
    assert found, f"the {marker} check did not run: " + result.stderr[-2000:]
    return json.loads(html.unescape(found.group(1)))


def label_problems(chromium, page, work):
    """The charts of `page` and their overlapping or cut-off labels, measured by Chromium."""
    verdict = probe(chromium, page, work, LABEL_CHECK, "label-problems")
    return verdict["charts"], verdict["problems"]


def check_datasheet(ampbench, chromium, source, work):
    """The datasheet's THD+N-versus-power family as the browser draws it."""
    db = os.path.join(work, "datasheet.db")
    subprocess.run([ampbench, "run", os.path.join(source, "sequences/poweramp-datasheet.toml"), "--serial", "DS-1",
                    "--db", db, "--report-dir", os.path.join(work, "datasheet"), "--quiet"], check=True)
    page = glob.glob(os.path.join(work, "datasheet", "*.html"))[0]
    family = probe(chromium, page, work, FAMILY_CHECK, "family-check")
    assert family, "no THD+N-versus-power plot"
    conditions = {f"{f}, {r} Ω" for f in ("20 Hz", "1 kHz", "6.6 kHz") for r in (8, 4)}
    drawn = {(c, ch) for c, ch, n in family["paths"] if n >= 10}
    assert drawn == {(c, ch) for c in conditions for ch in ("L", "R")}, f"paths: {family['paths']}"
    assert len(family["paths"]) == 12, f"{len(family['paths'])} paths, expected 12"
    assert conditions <= set(family["legend"]), f"legend: {family['legend']}"
    assert sum(1 for t in family["legend"] if t in conditions) == 6, f"legend: {family['legend']}"
    # A log W axis: decades evenly spaced on screen (the end labels may be moved inwards).
    assert "Output power (W)" in family["axis"], family["axis"]
    labels = [t for t, x in family["ticks"]]
    assert labels == ["0.01", "0.1", "1", "10", "100"], f"x ticks: {family['ticks']}"
    decades = [x for t, x in family["ticks"] if t in ("0.1", "1", "10")]
    steps = [b - a for a, b in zip(decades, decades[1:])]
    assert max(steps) - min(steps) < 2.0, f"decades not evenly spaced: {steps}"
    assert any(l.startswith("max 0.05 %") for l in family["limits"]), f"limit lines: {family['limits']}"
    assert any(l.startswith("max 1 %") for l in family["limits"]), f"limit lines: {family['limits']}"
    charts, problems = label_problems(chromium, page, work)
    print(f"datasheet: {len(family['paths'])} paths, {len(family['limits'])} limit lines, "
          f"{charts} charts, {len(problems)} label problems")
    assert not problems, "datasheet:\n" + "\n".join(problems[:40])


def main():
    ampbench, chromium, source = sys.argv[1:4]
    work = tempfile.mkdtemp(prefix="ampbench-browser-")
    try:
        subprocess.run([ampbench, "run", os.path.join(source, "sequences/poweramp-production.toml"), "--serial", "DEMO-001",
                        "--db", os.path.join(work, "r.db"), "--report-dir", os.path.join(work, "reports"), "--quiet"],
                       check=True)
        page = glob.glob(os.path.join(work, "reports", "*.html"))[0]
        shot = os.path.join(work, "report.png")
        result = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
             f"--user-data-dir={os.path.join(work, 'profile')}", "--enable-logging=stderr", "--v=0",
             "--window-size=1280,2400", f"--screenshot={shot}", "file://" + page],
            capture_output=True, text=True, timeout=120)
        assert os.path.exists(shot), "no screenshot: " + result.stderr[-2000:]
        console = [l for l in result.stderr.splitlines() if re.search(r"CONSOLE|Uncaught|Failed to load resource", l)]
        assert not console, "console messages:\n" + "\n".join(console)
        rows = png_pixels(shot)
        pixels = [p for row in rows[::8] for p in row[::8]]
        colours = len(set(pixels))
        inked = sum(1 for p in pixels if min(p) < 200) / len(pixels)
        # The PASS banner is a large green block.
        green = sum(1 for p in pixels if p[1] > 100 and p[0] < 60 and p[2] < 90) / len(pixels)
        print(f"screenshot {len(rows[0])}x{len(rows)}: {colours} colours, {inked:.1%} inked, {green:.2%} verdict green")
        assert colours >= 30, "the screenshot is blank or flat"
        assert inked >= 0.03, "almost nothing drawn"
        assert green >= 0.002, "no PASS verdict banner"
        if len(sys.argv) > 4:
            shutil.copy(shot, sys.argv[4])

        # A line of ten units, one of them 6 dB low: its summary's histograms and control charts.
        db = os.path.join(work, "line.db")
        for serial in [f"U{k}" for k in range(1, 10)] + ["SIM-LOW-GAIN"]:
            subprocess.run([ampbench, "run", os.path.join(source, "sequences/poweramp-production.toml"),
                            "--serial", serial, "--db", db, "--quiet"], check=False)
        summary = os.path.join(work, "line.html")
        subprocess.run([ampbench, "stats", "--db", db, "--html", summary], check=True, capture_output=True)
        for name, path in (("run report", page), ("line summary", summary)):
            charts, problems = label_problems(chromium, path, work)
            print(f"{name}: {charts} charts, {len(problems)} label problems")
            assert charts >= 4, f"{name}: too few charts to judge"
            assert not problems, f"{name}:\n" + "\n".join(problems[:40])
        check_datasheet(ampbench, chromium, source, work)
        check_png(page)
        print("4 passed, 0 failed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
