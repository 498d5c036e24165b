"""Load with wrk, a maintained load generator written in C: what `make bench-app` measures with.

wrk keeps ``connections`` connections open and sends request after request on
each for ``seconds``; a small Lua script makes every request a POST of one of
the bodies (real drawings), in turn, and prints wrk's own count, errors and
latency percentiles as one JSON line. Where wrk is not installed, the same
figures come from a Python client (threads and http.client), which is said in
the report: it measures the client as much as the server.
"""

from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

SCRIPT = r"""
local bodies = {}
for line in io.lines(os.getenv("WRK_BODIES")) do bodies[#bodies + 1] = line end
local counter = 0
request = function()
  counter = counter % #bodies + 1
  return wrk.format("POST", "/predict", {["Content-Type"] = "application/json"}, bodies[counter])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk_load(port: int, bodies: list[bytes], connections: int, seconds: float = 10.0, threads: int = 2) -> dict:
    """wrk against POST /predict: {"requests", "per_second", "p50_ms", "p99_ms", "errors", "connections"}."""
    with tempfile.TemporaryDirectory(prefix="course-wrk-") as scratch:
        script, lines = Path(scratch) / "post.lua", Path(scratch) / "bodies.jsonl"
        script.write_text(SCRIPT)
        lines.write_bytes(b"\n".join(body.replace(b"\n", b"") for body in bodies) + b"\n")
        command = [
            "wrk",
            f"-t{min(threads, connections)}",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/predict",
        ]
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            env={"WRK_BODIES": str(lines), "PATH": "/usr/bin:/bin"},
        )
    found = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed: {completed.stdout[-500:]} {completed.stderr[-500:]}")
    figures = json.loads(found[-1])
    return {
        "connections": connections,
        "requests": figures["requests"],
        "per_second": figures["requests"] / figures["seconds"],
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "errors": figures["errors"],
    }


def run_load(port: int, bodies: list[bytes], requests: int, clients: int) -> dict:
    """`requests` POSTs spread over `clients` threads with keep-alive; latencies in ms."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(requests))

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed = [], 0
        for index in counter:
            body = bodies[index % len(bodies)]
            started = time.perf_counter()
            try:
                connection.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append((time.perf_counter() - started) * 1000)
            failed += not ok
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "clients": clients,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
        "per_second": len(latencies) / elapsed,
        "errors": errors[0],
    }


def load(port: int, bodies: list[bytes], connections: int, seconds: float = 10.0) -> dict:
    """wrk where it is installed, else the Python client for about as long (``"tool"`` says which)."""
    if have_wrk():
        return {**wrk_load(port, bodies, connections, seconds), "tool": "wrk"}
    started, requests = time.perf_counter(), max(50, connections * 20)
    figures = run_load(port, bodies, requests, connections)
    while time.perf_counter() - started < seconds / 3:
        figures = run_load(port, bodies, requests, connections)
    return {**figures, "connections": connections, "tool": "python client"}
