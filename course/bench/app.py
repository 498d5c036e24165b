"""`make bench-app`: load on loopback against the app as `make serve` runs it.

Servers, one after the other, all gunicorn with the same workers and threads,
all with the same trained model:

- **app**: `make serve` as it is: nginx in front, the course's handler (a
  `tf.function` traced once, see lesson 6);
- **app, no nginx**: the same, with gunicorn listening itself;
- **naive**: the app behind nginx, but each request calls `model.predict`,
  what most tutorials do.

For each: 300 requests from one client (latency at low load), then a bounded
load of 32 concurrent clients with keep-alive connections. Every request posts
a real drawing (one of 50 MNIST test digits drawn on a 280 x 280 canvas) to
`/predict`. Then, for the app with and without nginx: 100 slow clients that
send one header line every 5 s (reconnecting when dropped) for 60 s, while a
real client sends one request after another; its latencies and failures say
whether slow clients can freeze the server. Clients and server share this
machine's cores, so the figures are a floor for what a separate client would
see. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time

import numpy as np

from course import drawings
from course.bench.servers import AppServer

CLIENTS = 32
LOW_LOAD_REQUESTS = 300
LOAD_REQUESTS = {"app": 10_000, "app, no nginx": 10_000, "naive": 2_000}  # the naive handler is slow: fewer requests
SLOW_CLIENTS, SLOW_SECONDS, SLOW_GAP = 100, 60, 5.0


def request_bodies(count=50) -> list[bytes]:
    from course.data import load_mnist

    _, (x_test, _) = load_mnist()
    rng = np.random.default_rng(0)
    bodies = []
    for digit in x_test[:count]:
        bodies.append(json.dumps({"image": drawings.data_url(drawings.random_drawing(digit, rng))}).encode())
    return bodies


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


def main() -> int:
    import datetime

    from course.bench.train import cpu_name

    workers = int(os.environ.get("WORKERS") or os.cpu_count() or 2)
    print(
        f"bench-app on {datetime.date.today()}: {os.cpu_count()} cores ({cpu_name()}), "
        f"gunicorn {workers} workers x 2 threads"
    )
    bodies = request_bodies()
    results, slow = {}, {}
    setups = {"app": {}, "app, no nginx": {"front": "none"}, "naive": {"naive": True}}
    for name, options in setups.items():
        with AppServer(workers=workers, **options) as server:
            run_load(server.port, bodies, 50, 1)  # warm-up: first requests trace and allocate
            low = run_load(server.port, bodies, LOW_LOAD_REQUESTS, 1)
            load = run_load(server.port, bodies, LOAD_REQUESTS[name], CLIENTS)
            if name != "naive":
                slow[name] = under_slow_clients(server.port, bodies)
        results[name] = (low, load)
        print(f"  {name}: done", flush=True)
    print()
    print(
        f"{'handler':15}{'low load: p50':>15}{'p99':>11}{'   load: requests':>19}"
        f"{'clients':>9}{'p50':>12}{'p99':>12}{'req/s':>8}{'errors':>8}"
    )
    for name, (low, load) in results.items():
        print(
            f"{name:15}{low['p50_ms']:>12.1f} ms{low['p99_ms']:>8.1f} ms{load['requests']:>19,}{load['clients']:>9}"
            f"{load['p50_ms']:>9.1f} ms{load['p99_ms']:>9.1f} ms{load['per_second']:>8.0f}{load['errors']:>8}"
        )
    (app_low, app_load), (naive_low, naive_load) = results["app"], results["naive"]
    nginx_hop = results["app"][1]["per_second"] / results["app, no nginx"][1]["per_second"]
    print(
        f"\nlow-load p50: naive / app = {naive_low['p50_ms'] / app_low['p50_ms']:.1f}x; "
        f"throughput: app / naive = {app_load['per_second'] / naive_load['per_second']:.1f}x; "
        f"nginx's hop: {nginx_hop:.2f}x the throughput"
    )
    print(
        f"\n{SLOW_CLIENTS} slow clients (one header line every {SLOW_GAP:g} s) for {SLOW_SECONDS} s, "
        "one real client meanwhile:"
    )
    print(f"{'server':15}{'requests':>10}{'failed':>8}{'p50':>12}{'p99':>12}")
    for name, figures in slow.items():
        print(
            f"{name:15}{figures['requests']:>10}{figures['failed']:>8}"
            f"{figures['p50_ms']:>9.1f} ms{figures['p99_ms']:>9.1f} ms"
        )
    return 0
