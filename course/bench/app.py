"""`make bench-app`: the app under load on loopback, three servers side by side, as `make serve` runs them.

All three are gunicorn with the same workers and threads, behind nginx, with
the same trained model; only the handler's model differs:

- **naive**: `model.predict` on every request, what most tutorials do;
- **keras**: lesson 6's `Predictor`, the forward pass traced once as a `tf.function`;
- **converted**: lesson 8's served version (TensorFlow Lite through LiteRT),
  the fastest that kept the model's accuracy (`make train` keeps it).

Each is loaded by wrk (``course.bench.load``) at 1, 16 and 64 connections
for 10 s: requests per second, p50 and p99 latency, errors. Every request posts
a real drawing (one of 50 MNIST test digits drawn on a 280 x 280 canvas) to
`/predict`. Then 100 slow clients that send one header line every 5 s hold
connections for 60 s while a real client asks the converted app, one request
after another: whether slow clients can freeze the server. Clients and server
share this machine's cores, so the figures are a floor for what a separate
client would see. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
from pathlib import Path

import numpy as np

from course import drawings
from course.bench.servers import AppServer

SLOW_CLIENTS, SLOW_SECONDS, SLOW_GAP = 100, 60, 5.0


def request_bodies(count=50) -> list[bytes]:
    from course.mnist_file import load_mnist

    _, (x_test, _) = load_mnist()
    rng = np.random.default_rng(0)
    bodies = []
    for digit in x_test[:count]:
        bodies.append(json.dumps({"image": drawings.data_url(drawings.random_drawing(digit, rng))}).encode())
    return bodies


def slow_clients(port: int, count: int, seconds: float, gap: float, stop: threading.Event) -> list[threading.Thread]:
    """Start ``count`` clients that trickle a request's headers, one line every ``gap`` seconds.

    Each reconnects when dropped.
    """
    import socket

    def trickle():
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=gap + 5) as connection:
                    connection.sendall(b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    line = 0
                    while time.monotonic() < deadline and not stop.wait(gap):
                        connection.sendall(f"X-Slow-{line}: {'x' * 20}\r\n".encode())
                        line += 1
            except OSError:
                stop.wait(0.2)  # dropped by the server: come back

    threads = [threading.Thread(target=trickle, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def under_slow_clients(
    port: int, bodies: list[bytes], count: int = SLOW_CLIENTS, seconds: float = SLOW_SECONDS, gap: float = SLOW_GAP
) -> dict:
    """A real client's requests, one after another, while ``count`` slow clients hold connections for ``seconds``."""
    stop = threading.Event()
    threads = slow_clients(port, count, seconds, gap, stop)
    time.sleep(min(3.0, gap))  # let them all connect and send their first line
    latencies, failures, deadline = [], 0, time.monotonic() + seconds - 3
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request(
                "POST",
                "/predict",
                body=bodies[len(latencies) % len(bodies)],
                headers={"Content-Type": "application/json"},
            )
            response = connection.getresponse()
            response.read()
            connection.close()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
        latencies.append((time.perf_counter() - started) * 1000)
        failures += not ok
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(timeout=gap + 10)
    latencies.sort()
    return {
        "requests": len(latencies),
        "failed": failures,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(0.99 * (len(latencies) - 1))],
    }


SERVERS = {
    "naive": {"naive": True},  # model.predict on every request, what most tutorials do
    "keras": {"env": {"COURSE_SERVE_KERAS": "1"}},  # lesson 6's Predictor: the tf.function traced once
    "converted": {},  # lesson 8's served version (make train keeps it): TensorFlow Lite through LiteRT
}
CONNECTIONS = (1, 16, 64)
SECONDS = 10.0
GOALS = {"per_second": 1000, "p50_ms": 2.0, "times_naive": 30}


def served_accuracy() -> str:
    """What the served version measured when make train kept it: MNIST test and the unseen writers."""
    from course.lessons import ROOT
    from course.serving import served_paths, served_version

    model = Path(os.environ.get("MODEL_PATH") or ROOT / "digit_classifier.h5")
    version = served_version(model)
    if version is None:
        return "no converted version beside the model: `make train` keeps one once lesson 8 passes"
    measured = json.loads(served_paths(model)[1].read_text())["measured"]
    row, keras = measured[version], measured["keras"]
    return (
        f"{version}: MNIST test {row['MNIST test']:.2%} (Keras {keras['MNIST test']:.2%}), unseen writers 21-30 "
        f"{row['unseen writers']:.2%} (Keras {keras['unseen writers']:.2%}), worst digit "
        f"{min(row['MNIST test per digit'] + row['unseen writers per digit']):.1%}; "
        f"{row['ms']:.3f} ms per prediction against {keras['ms']:.3f}, {row['bytes'] / 1e3:.0f} kB against "
        f"{keras['bytes'] / 1e3:.0f} kB"
    )


def main() -> int:
    import datetime

    from course.bench.load import have_wrk, load, run_load
    from course.bench.train import cpu_name

    workers = int(os.environ.get("WORKERS") or os.cpu_count() or 2)
    tool = "wrk" if have_wrk() else "a Python client (install wrk for better figures)"
    print(
        f"bench-app on {datetime.date.today()}: {os.cpu_count()} cores ({cpu_name()}), gunicorn {workers} workers "
        f"x 2 threads behind nginx; load by {tool}, {SECONDS:g} s per figure, on this same machine"
    )
    bodies = request_bodies()
    results = {}
    for name, options in SERVERS.items():
        with AppServer(workers=workers, **options) as server:
            run_load(server.port, bodies, 50, 1)  # warm-up: first requests trace and allocate
            results[name] = [load(server.port, bodies, connections, SECONDS) for connections in CONNECTIONS]
            if name == "converted":
                slow = under_slow_clients(server.port, bodies)
        print(f"  {name}: done", flush=True)
    print(f"\n{'server':11}{'connections':>12}{'req/s':>9}{'p50':>11}{'p99':>11}{'errors':>8}")
    for name, rows in results.items():
        for row in rows:
            print(
                f"{name:11}{row['connections']:>12}{row['per_second']:>9.0f}{row['p50_ms']:>8.2f} ms"
                f"{row['p99_ms']:>8.2f} ms{row['errors']:>8}"
            )
    best = {name: max(row["per_second"] for row in rows) for name, rows in results.items()}
    one = {name: rows[0]["p50_ms"] for name, rows in results.items()}
    print(
        f"\nbest throughput: converted {best['converted']:.0f} req/s = {best['converted'] / best['naive']:.1f}x naive, "
        f"{best['converted'] / best['keras']:.1f}x keras; one connection p50: converted {one['converted']:.2f} ms, "
        f"keras {one['keras']:.2f} ms, naive {one['naive']:.2f} ms"
    )
    throughput, latency, ratio = best["converted"], one["converted"], best["converted"] / best["naive"]
    met = [
        f"{throughput:.0f} req/s {'≥' if throughput >= GOALS['per_second'] else '<'} {GOALS['per_second']}",
        f"p50 {latency:.2f} ms {'≤' if latency <= GOALS['p50_ms'] else '>'} {GOALS['p50_ms']:g} ms",
        f"{ratio:.0f}x naive {'≥' if ratio >= GOALS['times_naive'] else '<'} {GOALS['times_naive']}x",
    ]
    print("goals: " + "; ".join(met))
    print(f"served model: {served_accuracy()}")
    print(
        f"\n{SLOW_CLIENTS} slow clients (one header line every {SLOW_GAP:g} s) for {SLOW_SECONDS} s against the "
        f"converted app, one real client meanwhile: {slow['requests']} requests, {slow['failed']} failed, "
        f"p50 {slow['p50_ms']:.1f} ms, p99 {slow['p99_ms']:.1f} ms"
    )
    return 0
