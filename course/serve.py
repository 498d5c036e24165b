"""Serving the app: `make app` (Flask's own server) and `make serve` (gunicorn).

gunicorn imports this module in each worker, after the fork, and calls
`app_factory()` there: every worker loads its own model, and TensorFlow never
crosses a fork. The tree (TARGET, default solutions) and the model file
(MODEL_PATH, default digit_classifier.h5) come from the environment.
`GunicornServer` starts it that way on a free local port, for the browser
test and `make bench-app`.
"""

import os
import socket
import subprocess
import time
import urllib.request

from course.lessons import ROOT
from course.pipeline import default_model_path, stages, target_of
from course.quiet import import_tensorflow


def app_factory():
    """Build the Flask app of the tree named by COURSE_TARGET (for gunicorn)."""
    target = target_of(os.environ.get("COURSE_TARGET") or "solutions")
    tensorflow = import_tensorflow()
    # Several workers share few cores: one TensorFlow thread each keeps them from fighting over the cores.
    tensorflow.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("TF_THREADS_PER_WORKER", "1")))
    tensorflow.config.threading.set_inter_op_parallelism_threads(1)
    module = stages(target).app
    app = module.create_app({"MODEL_PATH": str(os.environ.get("MODEL_PATH") or default_model_path(target))})
    if os.environ.get("NAIVE_PREDICT"):  # `make bench-app`'s baseline: model.predict on every request
        model = app.extensions["predictor"].model
        app.extensions["predictor"] = lambda image28: model.predict(image28.reshape(1, 28, 28, 1), verbose=0)[0]
    return app


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


class GunicornServer:
    """The app as `make serve` runs it, on a free port of 127.0.0.1, for tests and benchmarks.

    `env` adds to the environment (MODEL_PATH, NAIVE_PREDICT...). Use it as a
    context manager: it waits for /healthz, and stops the server on exit.
    """

    def __init__(self, workers: int = 2, threads: int = 2, env: dict | None = None, startup_seconds: float = 120):
        self.startup_seconds = startup_seconds
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
                   "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "course.serve:app_factory()"]  # fmt: skip
        environment = {**os.environ, "COURSE_TARGET": "solutions", **(env or {})}
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment)

    def __enter__(self):
        try:
            wait_until_healthy(self.port, self.process, self.startup_seconds)
        except RuntimeError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(timeout=30)
