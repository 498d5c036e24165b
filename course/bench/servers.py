"""The app as `make serve` runs it, started on a free local port: for the browser test and the benchmarks.

`AppServer` runs `python -m course serve` (gunicorn behind nginx, or gunicorn
alone with ``front="none"``), waits for /healthz and stops everything on exit.
`naive_app_factory` is the benchmark's baseline: the same app calling
`model.predict` on every request.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from course.lessons import ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(port: int, process: subprocess.Popen, seconds: float = 120) -> str:
    """Poll GET /healthz until it answers 200; return its body. Fails if the process ends first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return response.read().decode()
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            raise RuntimeError("the server stopped during start-up (is there a trained model? `make train`)")
    raise RuntimeError(f"the server did not answer /healthz within {seconds:g} s")


def naive_app_factory():
    """`make bench-app`'s baseline: the course's app, but `model.predict` on every request."""
    from course.model_file import load_trained_model
    from course.serve import app_factory

    app = app_factory()
    model = load_trained_model(app.config["MODEL_PATH"])
    app.extensions["predictor"] = lambda image28: model.predict(image28.reshape(1, 28, 28, 1), verbose=0)[0]
    return app


class AppServer:
    """`make serve` on a free port of 127.0.0.1. `front="none"` leaves nginx out; `naive` uses the baseline handler."""

    def __init__(
        self,
        workers: int = 2,
        env: dict | None = None,
        startup_seconds: float = 120,
        front: str = "nginx",
        naive: bool = False,
    ):
        self.startup_seconds = startup_seconds
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = tempfile.TemporaryDirectory(prefix="course-serve-")
        environment = {**os.environ, "COURSE_TARGET": "solutions", **(env or {})}
        environment.update(PORT=str(self.port), WORKERS=str(workers), SERVE_STATE=self.state.name)
        if front == "none":
            environment["SERVE_FRONT"] = "none"
        if naive:
            environment["SERVE_APP"] = "course.bench.servers:naive_app_factory()"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "course", "serve"],
            cwd=ROOT,
            env=environment,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )

    def __enter__(self):
        try:
            wait_until_healthy(self.port, self.process, self.startup_seconds)
        except RuntimeError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.state.cleanup()
