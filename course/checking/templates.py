"""Template processes (``course.worker.template``), from the side that starts them: the checks on a learner's
machine, the grader inside each sandbox. A template has imported the heavy libraries once; ``fork`` asks it for
a worker with the three pipes given; ``ended`` and ``kill`` ask about one. Its answers are data, one line each.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from course.lessons import ROOT


def ending(status: int | None) -> str:
    """Why a worker ended, in a sentence for the learner."""
    if status is None:
        return "your code's process ended"
    if status == -signal.SIGKILL:
        return "your code's process was stopped (killed): did it use too much memory, or run too long?"
    if status < 0:
        name = signal.Signals(-status).name if -status in signal.Signals._value2member_map_ else str(-status)
        return f"your code's process ended with signal {name}"
    return f"your code's process ended by itself (exit status {status}): does the code end the process?"


TEMPLATE = "import sys; sys.path.insert(0, {root!r}); from course.worker.template import main; main(sys.argv[1:])"


class Template:
    """The checks' (or the grader's) end of a template's control socket (``course.worker.template``): fork a worker
    with the three pipes given, ask how one ended, kill one."""

    def __init__(self, process: subprocess.Popen, control: socket.socket):
        import threading

        self.process, self.socket = process, control
        self.reader = control.makefile("rb")
        self.lock = threading.Lock()

    def ask(self, request: dict, fds: tuple[int, ...] = ()) -> dict:
        with self.lock:
            socket.send_fds(self.socket, [json.dumps(request).encode()], list(fds))
            line = self.reader.readline()
        if not line:
            raise OSError("the template process is gone")
        answer = json.loads(line)
        if "error" in answer:
            raise OSError(str(answer["error"])[:300])
        return answer

    def fork(self, fds: tuple[int, int, int], target: Path, role: str, folder: Path, env: dict) -> int:
        request = {"op": "fork", "target": str(target), "role": role, "folder": str(folder), "env": env}
        return int(self.ask(request, fds)["pid"])

    def ended(self, pid: int, wait: bool = True) -> str | None:
        """Why the worker ``pid`` ended (None: it is still running; ``wait``: give it two seconds to end)."""
        for _ in range(20 if wait else 1):
            try:
                status = self.ask({"op": "status", "pid": pid})["status"]
            except OSError:
                return ending(self.process.poll())  # the template itself is gone, and its workers with it
            if status is not None:
                return ending(status)
            if wait:
                time.sleep(0.1)
        return None

    def kill(self, pid: int) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.ask({"op": "kill", "pid": pid})

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)


def start_template(command_for, tensorflow: bool, **popen_options) -> Template:
    """A template process: ``command_for(fd)`` is its command line, given its end of the control socket."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        command = command_for(theirs.fileno(), tensorflow)
        process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, **popen_options)
    finally:
        theirs.close()
    return Template(process, ours)


def template_command(fd: int, tensorflow: bool, root: Path = ROOT, python: str = sys.executable) -> list[str]:
    return [python, "-I", "-B", "-c", TEMPLATE.format(root=str(root)), str(fd), *(["tensorflow"] if tensorflow else [])]
