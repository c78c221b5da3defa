"""Browser test of the HTML reports: headless Chromium renders the demo run's report; the
screenshot must not be blank and the page must log no console errors. In that report and in
a line summary (`stats --html`, one unit far off the rest) no two labels of a chart overlap
and none is cut off, as the browser lays the text out.
Usage: browser_report_test.py AMPBENCH CHROMIUM SOURCE_DIR [SCREENSHOT_COPY]"""
import glob
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from PIL import Image


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


def label_problems(chromium, page, work):
    """The charts of `page` and their overlapping or cut-off labels, measured by Chromium."""
    checked = os.path.join(work, "labels.html")
    with open(page, encoding="utf-8") as f:
        text = f.read().replace("</body>", "<script>" + LABEL_CHECK + "</script></body>")
    with open(checked, "w", encoding="utf-8") as f:
        f.write(text)
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update",
         f"--user-data-dir={os.path.join(work, 'profile-labels')}", "--window-size=1280,2400", "--dump-dom",
         "file://" + checked],
        capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="label-problems">(.*?)</pre>', result.stdout, re.S)
    assert found, "the label check did not run: " + result.stderr[-2000:]
    verdict = json.loads(html.unescape(found.group(1)))
    return verdict["charts"], verdict["problems"]


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
        print("2 passed, 0 failed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
