"""`make bench-app`: load on loopback against the app as `make serve` runs it.

Two servers, one after the other, both gunicorn with the same workers and
threads, both with the same trained model:

- **app**: the course's handler (a `tf.function` traced once, see lesson 6);
- **naive**: the same app, but each request calls `model.predict` -- what most
  tutorials do.

For each: 300 requests from one client (latency at low load), then a bounded
load of 32 concurrent clients with keep-alive connections. Every request posts
a real drawing (one of 50 MNIST test digits drawn on a 280 x 280 canvas) to
`/predict`. Clients and server share this machine's cores, so the figures are
a floor for what a separate client would see. Only 127.0.0.1 is contacted.
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
from course.serve import GunicornServer

CLIENTS = 32
LOW_LOAD_REQUESTS = 300
LOAD_REQUESTS = {"app": 10_000, "naive": 2_000}  # the naive handler is slow: fewer requests, same clients


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


def main() -> int:
    import datetime

    from course.bench_train import cpu_name

    workers = int(os.environ.get("WORKERS") or os.cpu_count() or 2)
    print(f"bench-app on {datetime.date.today()}: {os.cpu_count()} cores ({cpu_name()}), gunicorn {workers} workers x 2 threads")
    bodies = request_bodies()
    results = {}
    for name in ("app", "naive"):
        with GunicornServer(workers=workers, env={"NAIVE_PREDICT": "1" if name == "naive" else ""}) as server:
            run_load(server.port, bodies, 50, 1)  # warm-up: first requests trace and allocate
            low = run_load(server.port, bodies, LOW_LOAD_REQUESTS, 1)
            load = run_load(server.port, bodies, LOAD_REQUESTS[name], CLIENTS)
        results[name] = (low, load)
        print(f"  {name}: done", flush=True)
    print()
    print(f"{'handler':8}{'low load: p50':>15}{'p99':>11}{'   load: requests':>19}{'clients':>9}{'p50':>12}{'p99':>12}{'req/s':>8}{'errors':>8}")
    for name, (low, load) in results.items():
        print(
            f"{name:8}{low['p50_ms']:>12.1f} ms{low['p99_ms']:>8.1f} ms{load['requests']:>19,}{load['clients']:>9}"
            f"{load['p50_ms']:>9.1f} ms{load['p99_ms']:>9.1f} ms{load['per_second']:>8.0f}{load['errors']:>8}"
        )
    (app_low, app_load), (naive_low, naive_load) = results["app"], results["naive"]
    print(f"\nlow-load p50: naive / app = {naive_low['p50_ms'] / app_low['p50_ms']:.1f}x; "
          f"throughput: app / naive = {app_load['per_second'] / naive_load['per_second']:.1f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
