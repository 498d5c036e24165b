"""A guard around graded code: write only inside your own folders, no network, no other programs.

``make grade`` and ``make grade-all`` run each lesson's checks with the
environment variable ``COURSE_SANDBOX`` set; the grader plugin then calls
:func:`install` before any learner code is imported. It adds a Python audit
hook (PEP 578), which cannot be removed once added. The hook refuses:

* opening a file for writing, deleting, renaming or making folders anywhere but
  under the allowed roots (the submission's own copy, its temporary folder);
* network connections and name lookups other than to this machine;
* starting other programs (a child process would not have the hook).

A refused action raises ``PermissionError`` in the learner's code and is
recorded; the grade then gives the lesson 0 points and names the reason.

What it does not stop: code in C extensions or ``ctypes`` calls that write
without Python's ``open``, and anything that reads the grader's own memory.
It is a guard against accidents and casual tampering, not a security boundary
(INSTRUCTORS.md says more).
"""

from __future__ import annotations

import json
import os
import sys
import threading

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# Programs that libraries start on their own while the checks run (font and library lookups).
ALLOWED_PROGRAMS = frozenset(
    {"fc-list", "fc-match", "ldconfig", "ldconfig.real", "uname", "gcc", "cc", "ld", "objdump"}
)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0", ""})
PATH_EVENTS = {
    # event: positions of the path arguments, position of dir_fd (or None)
    "os.remove": ((0,), 1),
    "os.rmdir": ((0,), 1),
    "os.mkdir": ((0,), 2),
    "os.rename": ((0, 1), 2),
    "os.link": ((1,), None),
    "os.symlink": ((1,), 2),
    "os.truncate": ((0,), None),
    "os.chmod": ((0,), 2),
    "os.chown": ((0,), 4),
    "os.utime": ((0,), 4),
    "shutil.rmtree": ((0,), 1),
}
PROCESS_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty")

violations: list[dict] = []
_installed = False


def _program_name(event: str, args: tuple) -> str:
    if event == "os.system":
        return str(args[0]).split()[0] if args and args[0] else "sh"
    if event in ("os.fork", "os.forkpty"):
        return "fork()"
    if event == "subprocess.Popen":
        executable, argv = args[0], args[1]
        if executable is None:
            argv = [argv] if isinstance(argv, (str, bytes, os.PathLike)) else list(argv or [""])
            executable = str(argv[0]).split()[0] if argv and argv[0] else ""
        return os.path.basename(os.fsdecode(executable))
    if event == "os.spawn":
        return os.path.basename(os.fsdecode(args[1]))
    return os.path.basename(os.fsdecode(args[0]))


def install(write_roots: list[str], learner_root: str) -> None:
    """Add the audit hook. Only the first call counts (a hook cannot be taken back)."""
    global _installed
    if _installed:
        return
    _installed = True
    roots = tuple(os.path.realpath(root) for root in [*write_roots, "/dev"])
    learner = os.path.realpath(learner_root)
    realpath, fsdecode, join, readlink = os.path.realpath, os.fsdecode, os.path.join, os.readlink
    record = violations.append
    busy = threading.local()

    def inside(path, dir_fd=None) -> bool:
        path = fsdecode(path)
        if dir_fd is not None and not os.path.isabs(path):
            try:
                path = join(readlink(f"/proc/self/fd/{dir_fd}"), path)
            except OSError:
                return False
        real = realpath(path)
        return any(real == root or real.startswith(root + os.sep) for root in roots)

    def learner_line() -> str:
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(learner + os.sep):
                return f"{os.path.relpath(name, os.path.dirname(learner))}, line {frame.f_lineno}"
            frame = frame.f_back
        return ""

    def deny(kind: str, detail: str) -> None:
        record({"kind": kind, "detail": detail, "where": learner_line()})
        raise PermissionError(f"not allowed while grading: {kind}: {detail}")

    def hook(event: str, args: tuple) -> None:
        if getattr(busy, "on", False):
            return
        busy.on = True
        try:
            if event == "open":
                path, mode, flags = args
                if path is None or isinstance(path, int):
                    return
                writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                    isinstance(flags, int) and flags & WRITE_FLAGS
                )
                if writing and not inside(path):
                    deny("writing outside its folder", fsdecode(path))
            elif event in PATH_EVENTS:
                positions, fd_position = PATH_EVENTS[event]
                dir_fd = args[fd_position] if fd_position is not None and fd_position < len(args) else None
                for position in positions:
                    path = args[position]
                    if isinstance(path, (str, bytes, os.PathLike)) and not inside(
                        path, dir_fd if isinstance(dir_fd, int) else None
                    ):
                        deny("changing files outside its folder", f"{event.split('.')[-1]} {fsdecode(path)}")
            elif event == "socket.connect" or event == "socket.sendto":
                address = args[1] if event == "socket.connect" else args[-1]
                if isinstance(address, tuple) and str(address[0]) not in LOCAL_HOSTS:
                    deny("using the network", f"{address[0]}:{address[1]}")
            elif event == "socket.getaddrinfo":
                host = args[0].decode() if isinstance(args[0], bytes) else str(args[0] or "")
                if host not in LOCAL_HOSTS:
                    deny("using the network", f"looking up {host}")
            elif event in PROCESS_EVENTS:
                program = _program_name(event, args)
                if program not in ALLOWED_PROGRAMS:
                    deny("starting another program", program)
        finally:
            busy.on = False

    sys.addaudithook(hook)


def install_from_environment() -> bool:
    """Install the guard when COURSE_SANDBOX (JSON: write_roots, learner_root) is set; True if it was."""
    settings = os.environ.get("COURSE_SANDBOX")
    if not settings:
        return False
    config = json.loads(settings)
    install(config["write_roots"], config["learner_root"])
    return True
