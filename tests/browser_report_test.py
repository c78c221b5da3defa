"""Browser test of the HTML report: headless Chromium renders the demo run's report; the
screenshot must not be blank and the page must log no console errors.
Usage: browser_report_test.py AMPBENCH CHROMIUM SOURCE_DIR [SCREENSHOT_COPY]"""
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def png_pixels(path):
    """Decodes an 8-bit RGB or RGBA PNG (what Chromium writes) into rows of pixel tuples."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        previous = line
    return rows


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
