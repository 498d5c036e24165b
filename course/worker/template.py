"""A template worker: a process that has imported the heavy libraries once, and forks a worker per request.

Importing TensorFlow costs about three CPU seconds; a lesson's checks may start
several workers (a fresh one after a time-out, the judge). So the checks' side
(``course.checking.spawn``, or the grader, inside the worker's sandbox) starts
one template per lesson and role, as soon as the checks start: it imports NumPy,
Matplotlib, Pillow and, for a lesson that uses it, TensorFlow and Keras, while
the checks are still being collected. Each request (a line of JSON on a Unix
socket, with the new worker's three pipes passed alongside) forks a child
that becomes a worker (``serve.main``) with its own folder, environment and
session. The template never imports a lesson file and never runs the learner's
code, so every worker starts from the same clean state: what an earlier worker
imported or changed is not there. It forks before any thread of its own starts,
cannot be traced by its workers (it is not dumpable), and its workers die with
it. Its answers: ``{"pid": n}`` for a fork, ``{"status": code or null}`` for a
worker's exit status, ``{"ok": true}`` once a worker is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import sys

PR_SET_PDEATHSIG, PR_SET_DUMPABLE = 1, 4
statuses: dict[int, int] = {}


def warm(tensorflow: bool) -> None:
    """Import what lesson files and the checks' inputs import, quietly (TensorFlow only where a lesson uses it)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import PIL.Image  # noqa: F401

    import course.worker.serve  # noqa: F401

    if tensorflow:
        from course.quiet import import_tensorflow

        import_tensorflow()
        import keras  # noqa: F401


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value)


def _reap(signum, frame) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)


def _child(fds: list[int], request: dict) -> None:
    """In the fork: become a worker with the folder, environment and session the request gives."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the worker dies with its template
    env = {str(key): str(value) for key, value in dict(request.get("env", {})).items()}
    os.environ.update(env)
    for name in ("home", "tmp", "outputs"):
        with contextlib.suppress(OSError):
            os.makedirs(os.path.join(request["folder"], name), exist_ok=True)
    os.chdir(request["folder"])
    import tempfile

    tempfile.tempdir = None  # the temporary folder is this worker's own (TMPDIR), not the template's
    from course.worker.serve import main

    main([*map(str, fds), str(request["target"]), str(request.get("role", "learner"))])


def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, _reap)
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(control, 65536, 3)
        except InterruptedError:
            continue
        except OSError:
            return
        if not message:
            return  # the checks (or the grader) hung up: the template and its workers go
        try:
            request = json.loads(message)
            op = request.get("op")
            if op == "fork" and len(fds) == 3:
                pid = os.fork()
                if pid == 0:
                    control.close()
                    try:
                        _child(fds, request)
                    finally:
                        os._exit(1)
                answer = {"pid": pid}
            elif op == "status":
                answer = {"status": statuses.get(int(request.get("pid", 0)))}
            elif op == "kill":
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(int(request.get("pid", 0)), signal.SIGKILL)
                answer = {"ok": True}
            else:
                answer = {"error": "an unknown request"}
        except (ValueError, TypeError, KeyError, OSError) as error:
            answer = {"error": f"{type(error).__name__}: {error}"[:300]}
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
        with contextlib.suppress(OSError):
            control.sendall(json.dumps(answer).encode() + b"\n")


def main(argv: list[str]) -> None:
    """``argv``: the control socket's file descriptor, and "tensorflow" to import it too."""
    control = socket.socket(fileno=int(argv[0]))
    _prctl(PR_SET_DUMPABLE, 0)  # its workers (the same user) cannot trace it nor read its memory
    with contextlib.suppress(Exception):  # a library that does not import is the worker's to report, not ours
        warm(len(argv) > 1 and argv[1] == "tensorflow")
    serve(control)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
