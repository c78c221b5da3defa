"""Browser test of the HTML report: headless Chromium renders the demo run's report; the
screenshot must not be blank and the page must log no console errors.
Usage: browser_report_test.py AMPBENCH CHROMIUM SOURCE_DIR [SCREENSHOT_COPY]"""
import glob
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
        print("1 passed, 0 failed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
