"""Running untrusted code: each lesson of each submission in a sandbox of its own.

The operating system does the isolating, not Python tricks:

* **bubblewrap** (``bwrap``, the Debian package ``bubblewrap``): a new mount,
  PID, network, IPC and UTS namespace per lesson. The sandbox sees the system
  (``/usr``, ``/etc``), Python and the course's code, **read-only**; a fresh
  writable scratch folder holding only this submission's copy; its own
  ``/proc`` (no grader or classmate processes to read), ``/dev`` and ``/tmp``;
  no network but loopback. It does *not* see ``solutions/``, other
  submissions, the hidden checks (unless it is the hidden checks' own run) or
  the grader's results file. When the grader runs as root, the code runs as the
  unprivileged user ``nobody`` (``setpriv``) with every capability dropped.
* **Limits** (``setrlimit``, inherited by everything the code starts): memory
  (``RLIMIT_DATA``: TensorFlow reserves far more address space than it uses, so
  ``RLIMIT_AS`` would break it), CPU seconds, processes and threads, file size,
  open files; and a wall-clock limit per lesson, enforced by killing the whole
  process group.

Levels, from strongest: ``bwrap``; ``user`` (no namespaces can be made, e.g. in
an unprivileged Docker container, but the grader is root: the code still runs
as ``nobody`` with the limits, and files it must not read are kept unreadable
by permissions); ``none`` (no isolation: grading then refuses untrusted code
unless the instructor says ``--trust-submissions``).
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534  # the unprivileged user the code runs as when the grader is root
SYSTEM_READ_ONLY = ("/usr", "/etc")
MERGED_USR = ("bin", "lib", "lib64", "sbin")  # symlinks into /usr on merged-/usr systems


@dataclass(frozen=True)
class Limits:
    """What one lesson's run may use. Memory and file sizes in MB."""

    memory_mb: int = 3072
    processes: int = 512  # processes and threads together (TensorFlow starts a few dozen threads)
    cpu_seconds: int | None = None
    file_mb: int = 512
    open_files: int = 1024

    def apply(self) -> None:
        """Set the limits on this process (called in the child, just before it runs the sandbox)."""
        mb = 1024 * 1024
        settings = [
            (resource.RLIMIT_DATA, self.memory_mb * mb),
            (resource.RLIMIT_FSIZE, self.file_mb * mb),
            (resource.RLIMIT_NOFILE, self.open_files),
            (resource.RLIMIT_CORE, 0),
        ]
        if self.cpu_seconds:
            settings.append((resource.RLIMIT_CPU, int(self.cpu_seconds)))
        if os.geteuid() == 0:  # counted per real user: meaningful for nobody, not for a person's own account
            settings.append((resource.RLIMIT_NPROC, self.processes))
        for which, value in settings:
            _soft, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))


@functools.lru_cache(maxsize=1)
def level() -> str:
    """The strongest isolation this machine allows: "bwrap", "user" or "none" (COURSE_ISOLATION overrides)."""
    forced = os.environ.get("COURSE_ISOLATION")
    if forced in ("bwrap", "user", "none"):
        return forced
    if shutil.which("bwrap"):
        probe = Sandbox(scratch=None, readonly=[], env={}, cwd=Path("/"), isolation="bwrap")
        try:
            done = subprocess.run(probe.command(["/usr/bin/true"]), capture_output=True, timeout=20)
            if done.returncode == 0:
                return "bwrap"
        except (OSError, subprocess.SubprocessError):
            pass
    return "user" if os.geteuid() == 0 and shutil.which("setpriv") else "none"


def why_not_isolated() -> str:
    """One sentence for the instructor when untrusted code cannot be isolated here."""
    if not shutil.which("bwrap"):
        return "bubblewrap is not installed (sudo apt-get install bubblewrap)"
    return "bubblewrap is installed but cannot create namespaces here (a container without user namespaces?)"


def _ancestors(path: Path) -> list[Path]:
    return [parent for parent in reversed(path.parents) if str(parent) != "/"]


@dataclass
class Sandbox:
    """One sandboxed run: what it may read, the one folder it may write, its environment and limits."""

    scratch: Path | None  # the only writable folder (bound at the same path)
    readonly: list[Path]  # files and folders it may read (bound at the same paths)
    env: dict[str, str]
    cwd: Path
    isolation: str = field(default_factory=level)
    limits: Limits = field(default_factory=Limits)

    def _as_nobody(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        return [
            "/usr/bin/setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
            *argv,
        ]

    def command(self, argv: list[str]) -> list[str]:
        """The command line that runs ``argv`` inside this sandbox."""
        if self.isolation == "none":
            return argv
        if self.isolation == "user":
            return self._as_nobody(argv)
        root = os.geteuid() == 0
        args = [
            "bwrap",
            "--die-with-parent",
            "--new-session",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-ipc",
            "--unshare-uts",
        ]
        args += ["--unshare-cgroup-try"] + ([] if root else ["--unshare-user"])
        for top in SYSTEM_READ_ONLY:
            args += ["--ro-bind", top, top]
        for name in MERGED_USR:
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        made = {"/tmp", "/usr", "/etc", "/proc", "/dev"}
        mounts = [(path, "--ro-bind") for path in self.readonly] + ([(self.scratch, "--bind")] if self.scratch else [])
        for path, how in mounts:
            for parent in _ancestors(Path(path)):  # parents the sandbox creates must be traversable by nobody
                if str(parent) not in made:
                    args += ["--perms", "0755", "--dir", str(parent)]
                    made.add(str(parent))
            args += [how, str(path), str(path)]
            made.add(str(path))
        args += ["--chdir", str(self.cwd), "--clearenv"]
        for name, value in self.env.items():
            args += ["--setenv", name, str(value)]
        args += ["--cap-drop", "ALL"]
        if root:
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]  # only to become nobody, then dropped
        return [*args, "--", *self._as_nobody(argv)]

    def popen_options(self) -> dict:
        """Options for subprocess.Popen: the limits, a session of its own (killed as a group), the environment."""
        options = {"preexec_fn": self.limits.apply, "start_new_session": True}
        if self.isolation != "bwrap":
            options["env"] = dict(self.env)
            options["cwd"] = str(self.cwd)
        return options


def prepare_scratch(folder: Path) -> None:
    """Make ``folder`` (and everything in it) writable by the user the code runs as."""
    if os.geteuid() == 0 and level() in ("bwrap", "user"):
        for path in [folder, *folder.rglob("*")]:
            os.lchown(path, NOBODY, NOBODY)


def python_paths() -> list[Path]:
    """What a sandbox needs to run this Python: the interpreter's installation and the virtual environment."""
    paths = set()
    for path in (Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).parent.parent):
        paths.update({path.absolute(), path.resolve()})  # a symlinked venv is reached under both names
    return sorted(paths)
