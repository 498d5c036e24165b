"""Serving the app for real: `make serve` runs gunicorn behind nginx, a buffering proxy.

gunicorn imports this module in each worker, after the fork, and calls
`app_factory()` there: every worker loads its own model, and TensorFlow never
crosses a fork. The tree (COURSE_TARGET, default solutions) and the model file
(MODEL_PATH, default digit_classifier.h5) come from the environment.

Why nginx in front: a gunicorn worker thread reads a request itself, so a
client that sends one header line every few seconds holds that thread; four
such clients hold every thread of `make serve`'s 2 workers x 2 threads, and
real requests wait until they leave. nginx reads whole requests with an event
loop (thousands of idle connections cost it almost nothing), drops clients
that trickle (`client_header_timeout`), and hands gunicorn only complete
requests over a local socket. It also answers malformed requests (a bad
request line, a URI or headers too long, a body too large) itself, and here
answers them in JSON, like the app. `make bench-app` measures both set-ups.

Without nginx (`SERVE_FRONT=none`, or nginx not installed), gunicorn listens
on the port itself and `make serve` says what that costs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from course.lessons import ROOT, app_tree_name, tree_path
from course.model_file import default_model_path
from course.pipeline import load_steps
from course.quiet import import_tensorflow

ERRORS = {
    400: "Bad request: the server could not read it.",
    408: "The request took too long to arrive.",
    413: "The request is too large (at most 2 MB).",
    414: "The address is too long.",
    494: "The request headers are too large.",
    502: "The app is not answering (is it still starting?).",
    503: "The app is busy; try again.",
    504: "The app took too long to answer.",
}

NGINX_CONF = """\
# Written by `make serve` (course/serve.py): nginx in front of gunicorn.
worker_processes 1;
pid {state}/nginx.pid;
error_log {state}/error.log warn;
{user}
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {state}/body;
    proxy_temp_path {state}/proxy;
    fastcgi_temp_path {state}/fastcgi;
    uwsgi_temp_path {state}/uwsgi;
    scgi_temp_path {state}/scgi;
    client_header_timeout 10s;       # a client that trickles its headers is dropped
    client_body_timeout 10s;
    send_timeout 10s;
    keepalive_timeout 30s;
    client_header_buffer_size 4k;
    large_client_header_buffers 4 16k;
    client_max_body_size 3m;         # the app answers 413 itself above 2 MB
    upstream app {{
        server unix:{socket};
        keepalive 16;
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_request_buffering on;  # gunicorn sees only complete requests
            proxy_read_timeout 30s;
        }}
{error_pages}
    }}
}}
"""


def app_factory():
    """Build the Flask app of the tree named by COURSE_TARGET (for gunicorn)."""
    target = tree_path(os.environ.get("COURSE_TARGET") or app_tree_name())
    tensorflow = import_tensorflow()
    # Several workers share few cores: one TensorFlow thread each keeps them from fighting over the cores.
    tensorflow.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("TF_THREADS_PER_WORKER", "1")))
    tensorflow.config.threading.set_inter_op_parallelism_threads(1)
    module = load_steps(target).app
    config = {"MODEL_PATH": str(os.environ.get("MODEL_PATH") or default_model_path(target))}
    if os.environ.get("FEEDBACK_DB"):  # where corrections are stored (make finetune reads the same variable)
        config["FEEDBACK_DB"] = os.environ["FEEDBACK_DB"]
    return module.create_app(config)


def error_pages() -> str:
    """nginx's own error answers, as JSON like the app's."""
    lines = []
    for code, message in ERRORS.items():
        status = 400 if code == 494 else code
        lines.append(f"        error_page {code} /_errors/{code}.json;")
        lines.append(
            f"        location = /_errors/{code}.json {{ internal; default_type application/json; "
            f'return {status} \'{{"error": "{message}"}}\'; }}'
        )
    return "\n".join(lines)


def nginx_config(state: Path, socket: Path, port: int, host: str = "127.0.0.1") -> str:
    user = (
        "user root root;" if os.geteuid() == 0 else ""
    )  # as root, workers would otherwise be nobody, who cannot use {state}
    return NGINX_CONF.format(state=state, socket=socket, port=port, host=host, user=user, error_pages=error_pages())


def front() -> str | None:
    """The nginx to put in front, or None (SERVE_FRONT=none, or not installed)."""
    if os.environ.get("SERVE_FRONT") == "none":
        return None
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(path)), None
    )


def commands(port: int, state: Path, workers: int, threads: int = 2) -> list[list[str]]:
    """The processes `make serve` runs: gunicorn (on a local socket when nginx fronts it) and nginx."""
    nginx = front()
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
    ]
    app = os.environ.get("SERVE_APP", "course.serve:app_factory()")
    if nginx is None:
        return [[*gunicorn, "--bind", f"127.0.0.1:{port}", app]]
    socket = state / "gunicorn.sock"
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (state / name).mkdir(parents=True, exist_ok=True)
    (state / "nginx.conf").write_text(nginx_config(state, socket, port))
    return [
        [*gunicorn, "--bind", f"unix:{socket}", app],
        [nginx, "-p", str(state), "-c", str(state / "nginx.conf"), "-g", "daemon off;"],
    ]


def serve_forever() -> int:
    """`make serve`: start the processes, wait, stop them all on Ctrl+C (or SIGTERM)."""
    port = int(os.environ.get("PORT", "5000"))
    workers = int(os.environ.get("WORKERS") or os.cpu_count() or 2)
    state = Path(os.environ.get("SERVE_STATE") or ROOT / "outputs" / "serve" / str(port))
    state.mkdir(parents=True, exist_ok=True)
    plan = commands(port, state, workers)
    if len(plan) == 1:
        print(
            "Note: nginx is not installed, so gunicorn listens itself: a few slow clients can hold all its threads "
            "(sudo apt-get install nginx-light puts a buffering proxy in front)."
        )
    print(
        f"Serving on http://127.0.0.1:{port} with {workers} gunicorn workers"
        + (" behind nginx" if len(plan) == 2 else "")
        + " (Ctrl+C stops)",
        flush=True,
    )
    processes = [subprocess.Popen(command, cwd=ROOT, start_new_session=True) for command in plan]

    def stop(*_):
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    failed = [process.returncode for process in processes if process.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0
