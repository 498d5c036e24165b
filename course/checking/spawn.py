"""Starting workers: in the checks' own machine (``make check``), or by asking the grader for a sandboxed one.

A worker is a process with three pipes: requests in, replies out, heartbeats
out. Its role is "learner" (it imports the learner's file) or "judge" (it never
does: it measures what the learner's code gave back, for the checks).
``LocalSpawner`` starts one as a plain child process (a learner's own machine:
not sandboxed, but never in the checks' process). When grading, the checks'
process runs without the right to make sandboxes, so ``BrokerSpawner`` asks the
grader over a Unix socket; the grader starts the worker in a sandbox of its own
(``serve_broker`` is its side) and passes back the checks' ends of the three
pipes. Either way the checks get an object with ``requests``, ``replies`` and
``beats`` (file descriptors), ``stop()`` and ``ended()``; the spawner's
``cpu()`` is the CPU seconds of every worker it started, read from the kernel
(never from the workers).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import tempfile
from pathlib import Path

from course.channel import widen
from course.checking.templates import Template, start_template, template_command


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and all it started (what has ended and was waited for included), from /proc."""
    import psutil

    total = 0.0
    try:
        root = psutil.Process(pid)
        for each in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                times = each.cpu_times()
                total += times.user + times.system + times.children_user + times.children_system
    except psutil.Error:
        pass
    return total


def pipes() -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Three pipes: (the worker's ends, the checks' ends)."""
    requests_read, requests_write = os.pipe()
    replies_read, replies_write = os.pipe()
    beats_read, beats_write = os.pipe()
    widen(requests_read, replies_read)
    return (requests_read, replies_write, beats_write), (requests_write, replies_read, beats_read)


def _die_with_parent() -> None:
    """In the child, before it runs: die when the checks' process dies (Linux), and be a session of its own."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class LocalWorker:
    """A worker forked by a template of the checks' own (``make check`` on a learner's machine)."""

    def __init__(self, template: Template, pid: int, fds: tuple[int, int, int]):
        self.template, self.pid = template, pid
        self.requests, self.replies, self.beats = fds

    def stop(self) -> None:
        self.template.kill(self.pid)
        for fd in (self.requests, self.replies, self.beats):
            with contextlib.suppress(OSError):
                os.close(fd)

    def ended(self, wait: bool = True) -> str | None:
        return self.template.ended(self.pid, wait)


class LocalSpawner:
    """Workers forked from templates started here (``make check`` on a learner's machine): not sandboxed, yet never
    in the checks' process. ``prepare`` starts the templates while the checks are still being collected."""

    def __init__(self, folder: Path | None = None, env: dict[str, str] | None = None):
        """``folder``: where the workers keep their temporary files (the checks' own temporary folder)."""
        self.env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
        self.folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="course-worker-"))
        self.count = 0
        self.templates: dict[str, Template] = {}
        self.tensorflow = False  # until prepare() knows the lesson: a worker imports what it needs anyway

    def prepare(self, target: Path, lesson) -> None:
        """Start the learner's and the judge's templates (TensorFlow imported ahead only for a lesson that uses it, by
        the learner's: many checks never ask the judge for a yardstick that needs it)."""
        from course.quiet import uses_tensorflow

        path = lesson.file_in(target)
        self.tensorflow = path.is_file() and uses_tensorflow(path)
        for role in ("learner", "judge"):
            self.template(role)

    def template(self, role: str) -> Template:
        template = self.templates.get(role)
        if template is None or not template.alive():
            self.folder.mkdir(parents=True, exist_ok=True)
            self.templates[role] = template = start_template(
                template_command,
                self.tensorflow and role == "learner",  # the judge imports TensorFlow when a yardstick needs it
                env=self.env,
                cwd=self.folder,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        return template

    def cpu(self) -> float:
        """Every template's CPU, with its workers' (the ones still running, and the ones it has reaped)."""
        return sum(tree_cpu(template.process.pid) for template in list(self.templates.values()))

    def spawn(self, target: Path, role: str = "learner") -> LocalWorker:
        theirs, ours = pipes()
        self.count += 1
        home = self.folder / f"worker-{self.count}"
        home.mkdir(parents=True, exist_ok=True)
        env = {"COURSE_TARGET": str(target), "TMPDIR": str(home / "tmp")}
        env["COURSE_OUTPUTS"] = str(home / "outputs")  # what lessons save while checked: never the course's outputs/
        template = self.template(role)
        try:
            pid = template.fork(theirs, target, role, home, env)
        finally:
            for fd in theirs:
                os.close(fd)
        return LocalWorker(template, pid, ours)

    def close(self) -> None:
        for template in self.templates.values():
            template.close()


# ---------------------------------------------------------------------------
# Grading: the checks ask the grader, over a Unix socket, for sandboxed workers


class BrokeredWorker:
    def __init__(self, spawner: BrokerSpawner, number: int, fds: list[int]):
        self.spawner, self.number = spawner, number
        self.requests, self.replies, self.beats = fds

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.spawner.ask({"op": "stop", "worker": self.number})
        for fd in (self.requests, self.replies, self.beats):
            with contextlib.suppress(OSError):
                os.close(fd)

    def ended(self, wait: bool = True) -> str | None:
        try:
            answer = self.spawner.ask({"op": "ended", "worker": self.number, "wait": wait})
        except (OSError, ValueError):
            return None
        return str(answer.get("why") or "") or None


class BrokerSpawner:
    """Workers from the grader: each in a sandbox of its own, as an unprivileged user, with its own limits."""

    def __init__(self, fd: int):
        import threading

        self.socket = socket.socket(fileno=fd)
        self.lock = threading.Lock()  # the checks' main thread and their CPU meter share the socket

    def ask(self, request: dict, fds: int = 0) -> dict:
        with self.lock:
            self.socket.sendall(json.dumps(request).encode() + b"\n")
            message, received, _flags, _address = socket.recv_fds(self.socket, 65536, fds)
        answer = json.loads(message.decode() or "{}")
        if not answer.get("ok"):
            for fd in received:
                os.close(fd)
            raise OSError(str(answer.get("why", "the grader could not start a worker"))[:500])
        self.received = received
        return answer

    def prepare(self, target: Path, lesson) -> None:
        """Nothing to do: the grader started this lesson's templates with the checks."""

    def close(self) -> None:
        """Nothing to do: the grader stops every process of the lesson."""

    def cpu(self) -> float:
        """CPU seconds of every worker the grader started for these checks (its cgroup, or /proc)."""
        return float(self.ask({"op": "cpu"}).get("cpu", 0.0))

    def spawn(self, target: Path, role: str = "learner") -> BrokeredWorker:
        answer = self.ask({"op": "spawn", "role": role}, fds=3)
        if len(self.received) != 3:
            raise OSError("the grader did not hand over the worker's pipes")
        return BrokeredWorker(self, int(answer["worker"]), list(self.received))


def serve_broker(connection: socket.socket, start, stop, ended, cpu) -> None:
    """The grader's side: answer the checks' requests until they hang up.

    ``start(role)`` returns (number, the checks' three fds) for a new sandboxed worker,
    ``stop(number)`` stops it, ``ended(number)`` says why it ended (or None), ``cpu()``
    the CPU seconds of every worker so far.
    """
    reader = connection.makefile("rb")
    for line in reader:
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "spawn":
                number, fds = start("judge" if request.get("role") == "judge" else "learner")
                try:
                    socket.send_fds(connection, [json.dumps({"ok": True, "worker": number}).encode()], fds)
                finally:
                    for fd in fds:
                        os.close(fd)
                continue
            if op == "cpu":
                socket.send_fds(connection, [json.dumps({"ok": True, "cpu": cpu()}).encode()], [])
                continue
            number = int(request.get("worker", -1))
            if op == "stop":
                stop(number)
                answer = {"ok": True}
            elif op == "ended":
                answer = {"ok": True, "why": ended(number, request.get("wait") is not False)}
            else:
                answer = {"ok": False, "why": "an unknown request"}
        except Exception as error:
            answer = {"ok": False, "why": f"{type(error).__name__}: {error}"}
        with contextlib.suppress(OSError):
            socket.send_fds(connection, [json.dumps(answer).encode()], [])
