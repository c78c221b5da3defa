#!/usr/bin/env python3
"""The operator station under many open pages (issue #31): `ampbench serve` on the simulated
station, N pages' event streams held open (raw sockets), then the latency of GET /api/state
(median and 95th percentile of 200 requests) with none and with N open; and how many pages
beyond the cap (64) are refused.
Usage: bench/serve_pages.py AMPBENCH SOURCE_DIR [PAGES]"""
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ampbench, source = sys.argv[1:3]
pages = int(sys.argv[3]) if len(sys.argv) > 3 else 50
work = tempfile.mkdtemp(prefix="ampbench-serve-bench-")
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
server = subprocess.Popen([ampbench, "serve", "--sequence", f"{source}/sequences/ci-loopback.toml",
                           "--db", f"{work}/r.db", "--listen", f"127.0.0.1:{port}"],
                          stderr=subprocess.DEVNULL)
url = f"http://127.0.0.1:{port}/api/state"
for _ in range(100):
    try:
        urllib.request.urlopen(url, timeout=1)
        break
    except OSError:
        time.sleep(0.05)


def state_ms(n=200):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        urllib.request.urlopen(url, timeout=10).read()
        times.append(1000 * (time.perf_counter() - t0))
    times.sort()
    return statistics.median(times), times[int(0.95 * len(times))]


def open_page():
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    return c, int(c.recv(12)[9:12])


try:
    print("no page open:      /api/state median %.2f ms, p95 %.2f ms" % state_ms())
    held = [open_page() for _ in range(pages)]
    print(f"{pages} pages open:  /api/state median %.2f ms, p95 %.2f ms" % state_ms())
    more = [open_page() for _ in range(70 - pages)] if pages < 70 else []
    refused = sum(1 for _, code in held + more if code == 503)
    print(f"{len(held) + len(more)} pages asked: {refused} refused (503)")
    for c, _ in held + more:
        c.close()
    time.sleep(1.5)
    again = [open_page() for _ in range(64)]
    print("after closing them, 64 new pages: %d accepted" % sum(1 for _, code in again if code == 200))
finally:
    server.terminate()
    server.wait()
