"""Running untrusted code: each worker of each lesson of each submission in a sandbox of its own.

The operating system does the isolating, not Python tricks. A lesson is graded
by two kinds of process: the checks (trusted: the instructor's code) and the
workers that import the learner's file (untrusted). Each runs in a ``Sandbox``:

* **bubblewrap** (``bwrap``, the Debian package ``bubblewrap``): new mount, PID,
  network, IPC and UTS namespaces. The sandbox sees the system, Python and the
  course's code **read-only**, the submission's copy read-only, and writes only
  to a size-limited tmpfs of its own (HOME, TMPDIR, outputs). A worker does not
  see the checks, ``solutions/``, other submissions, the hidden checks or the
  grades; the checks' sandbox sees the checks and the submission's copy, never
  the workers' processes.
* **Users**: when the grader is root, the checks run as one unprivileged user
  and each job slot's workers as another (``uid_for``), so workers of two
  submissions graded at once are different users (process limits counted per
  user, files kept apart by permissions), and never the checks' user.
* **Control groups** (``course.grading.cgroups``) where the grader may make
  them: memory including tmpfs, /dev/shm and memfd, processes and threads, and
  the CPU time the grader's budgets count.
* **rlimits**, everywhere, inherited by all a process starts: memory
  (``RLIMIT_DATA``; TensorFlow reserves far more address space than it uses, so
  ``RLIMIT_AS`` would break it), file size, open files, core dumps.

Levels, from strongest: ``bwrap``; ``user`` (no namespaces can be made, e.g. an
unprivileged container, but the grader is root: the users, permissions, rlimits
and cgroups still hold); ``none`` (no isolation: grading refuses untrusted code
unless the instructor says ``--trust-submissions``). ``describe_limits`` says
which limits held for a run.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534
UID_BASE = int(os.environ.get("COURSE_GRADER_UID_BASE", "64200"))  # the checks' user; workers: +1 + slot
SYSTEM_READ_ONLY = ("/usr", "/etc")
MERGED_USR = ("bin", "lib", "lib64", "sbin")  # symlinks into /usr on merged-/usr systems


JUDGE_OFFSET = 1000  # the judges' users: apart from every job slot's workers'
LANE_STRIDE = 100  # a job slot's lessons graded at once (lanes) each have users of their own


def uid_for(role: str, slot: int = 0, lane: int = 0) -> int:
    """The unprivileged user a sandbox runs as when the grader is root: the checks', a job slot's workers', or
    a job slot's judge (the worker that measures for the checks and never imports the learner's file); each lane
    of a slot (a lesson graded beside another of the same submission) has its own."""
    if role == "checks":
        return UID_BASE
    return UID_BASE + 1 + slot + LANE_STRIDE * lane + (JUDGE_OFFSET if role == "judge" else 0)


@dataclass(frozen=True)
class Limits:
    """What one sandbox may use. Memory, file sizes and the writable space in MB."""

    memory_mb: int = 3072
    processes: int = 512  # processes and threads together (TensorFlow starts a few dozen threads)
    cpu_seconds: int | None = None
    file_mb: int = 512
    open_files: int = 1024
    disk_mb: int = 1024  # the sandbox's writable tmpfs (bwrap), counted in its memory too

    def apply(self, per_user_processes: bool) -> None:
        """Set the rlimits on this process (called in the child, just before it runs the sandbox)."""
        mb = 1024 * 1024
        settings = [
            (resource.RLIMIT_DATA, self.memory_mb * mb),
            (resource.RLIMIT_FSIZE, self.file_mb * mb),
            (resource.RLIMIT_NOFILE, self.open_files),
            (resource.RLIMIT_CORE, 0),
        ]
        if self.cpu_seconds:
            settings.append((resource.RLIMIT_CPU, int(self.cpu_seconds)))
        if per_user_processes:  # counted per real user: meaningful for a user of its own, not for a person's account
            settings.append((resource.RLIMIT_NPROC, self.processes))
        for which, value in settings:
            _soft, hard = resource.getrlimit(which)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))


@functools.lru_cache(maxsize=4)
def level(forced: str | None = None) -> str:
    """The strongest isolation this machine allows: "bwrap", "user" or "none" (``forced`` picks a weaker one)."""
    if forced in ("bwrap", "user", "none"):
        return forced
    if shutil.which("bwrap"):
        probe = Sandbox(readonly=[], env={}, cwd=Path("/"), isolation="bwrap")
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


def unreachable_python(uid: int) -> Path | None:
    """The first folder on the way to this Python that ``uid`` may not pass through (None: it can run it)."""
    for path in python_paths():
        for folder in [*reversed(path.parents), path]:
            try:
                info = folder.stat()
            except OSError:
                continue
            if info.st_uid != uid and not info.st_mode & 0o001:
                return folder
    return None


def _ancestors(path: Path) -> list[Path]:
    return [parent for parent in reversed(path.parents) if str(parent) != "/"]


@dataclass
class Sandbox:
    """One sandboxed process: what it may read, where it may write, who it runs as, its limits and groups."""

    readonly: list[Path]  # files and folders it may read (bound at the same paths)
    env: dict[str, str]
    cwd: Path
    isolation: str = field(default_factory=level)
    limits: Limits = field(default_factory=Limits)
    writable: Path | None = None  # bwrap: a fresh tmpfs at this path; user/none: this host folder
    uid: int = NOBODY  # the user it runs as when the grader is root
    gid: int | None = None
    groups: tuple[int, ...] = ()  # supplementary groups (the checks join their job slot's, to read its copy)
    cgroup: object | None = None  # a cgroups.Cgroup to join
    folders: list[str] = field(default_factory=list)  # made inside ``writable``, writable by the sandbox's user

    def prepare(self) -> None:
        """Outside bwrap: make ``writable`` and its folders on the host, owned by the sandbox's user."""
        if self.isolation == "bwrap" or self.writable is None:
            return
        uid = self.uid if os.geteuid() == 0 else os.geteuid()
        for folder in [self.writable, *(self.writable / name for name in self.folders)]:
            own_folder(folder, uid, self.gid)

    def _as_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv
        gid = self.gid if self.gid is not None else self.uid
        return [
            "/usr/bin/setpriv",
            f"--reuid={self.uid}",
            f"--regid={gid}",
            f"--groups={','.join(map(str, self.groups))}" if self.groups else "--clear-groups",
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
            return self._as_user(argv)
        root = os.geteuid() == 0
        args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net", "--unshare-ipc"]
        args += ["--unshare-uts", "--unshare-cgroup-try"] + ([] if root else ["--unshare-user"])
        for top in SYSTEM_READ_ONLY:
            args += ["--ro-bind", top, top]
        for name in MERGED_USR:
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
        made = {"/tmp", "/usr", "/etc", "/proc", "/dev"}

        def parents(path: Path) -> None:
            nonlocal args
            for parent in _ancestors(path):  # parents the sandbox creates must be traversable by its user
                if str(parent) not in made:
                    args += ["--perms", "0755", "--dir", str(parent)]
                    made.add(str(parent))

        for path in self.readonly:
            parents(Path(path))
            args += ["--ro-bind", str(path), str(path)]
            made.add(str(path))
        if self.writable is not None:
            parents(self.writable)
            size = str(self.limits.disk_mb * 1024 * 1024)
            args += ["--perms", "1777", "--size", size, "--tmpfs", str(self.writable)]
            for name in self.folders:
                args += ["--perms", "1777", "--dir", str(self.writable / name)]
            made.add(str(self.writable))
        args += ["--chdir", str(self.cwd), "--clearenv"]
        for name, value in self.env.items():
            args += ["--setenv", name, str(value)]
        args += ["--cap-drop", "ALL"]
        if root:
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]  # only to become the user, then dropped
        return [*args, "--", *self._as_user(argv)]

    def _prepare_child(self) -> None:
        if self.cgroup is not None:
            self.cgroup.join()
        self.limits.apply(per_user_processes=os.geteuid() == 0 and self.isolation != "none")

    def popen_options(self) -> dict:
        """Options for subprocess.Popen: limits and groups, a session of its own (killed as a group), environment."""
        options = {"preexec_fn": self._prepare_child, "start_new_session": True}
        if self.isolation != "bwrap":
            options["env"] = dict(self.env)
            options["cwd"] = str(self.cwd)
        return options


def slot_folder(path: Path, slot: int) -> Path:
    """A submission's folder: readable by its job slot's workers and by the checks (who join the slot's group)."""
    return own_folder(path, 0 if os.geteuid() == 0 else os.geteuid(), uid_for("worker", slot), 0o750)


def own_folder(path: Path, uid: int, gid: int | None = None, mode: int = 0o700) -> Path:
    """Make ``path`` a folder owned by ``uid`` (when the grader is root), readable by no one else."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, uid, gid if gid is not None else uid)
    path.chmod(mode)
    return path


def python_paths() -> list[Path]:
    """What a sandbox needs to run this Python: the interpreter's installation and the virtual environment."""
    paths = set()
    for path in (Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).parent.parent):
        paths.update({path.absolute(), path.resolve()})  # a symlinked venv is reached under both names
    return sorted(paths)


def processes_of(uid: int) -> list[int]:
    import psutil

    found = []
    for each in psutil.process_iter(["uids"]):
        with contextlib.suppress(psutil.Error):
            if each.info["uids"] and uid in (each.info["uids"].real, each.info["uids"].effective):
                found.append(each.pid)
    return found


def leftovers_removed(uid: int, tries: int = 20) -> None:
    """Without namespaces: every process of a job slot's user is gone before the slot is used again, and what it
    left in the shared folders is removed.

    A snapshot of process ids is not enough: a process that forks and exits every few milliseconds is never where
    the snapshot saw it. So a killer sends SIGKILL to everything that user's processes may be signalled by
    (``kill(-1)``), which the kernel does in one pass that no fork can outrun. The killer's effective user is that
    user (so the kernel lets it), its real and saved users another (so none of theirs can kill the killer first).
    Repeated until /proc shows none of that user's processes."""
    for _ in range(tries):
        if not processes_of(uid):
            break
        killer = os.fork()
        if killer == 0:  # the child only changes users, kills and exits: safe after a fork, threads or not
            try:
                os.setgroups([])
                os.setresgid(NOBODY, uid, NOBODY)
                os.setresuid(NOBODY, uid, NOBODY)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(killer, 0)
    for shared in (Path("/dev/shm"), Path("/tmp"), Path("/var/tmp")):
        with contextlib.suppress(OSError):
            for entry in os.scandir(shared):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid == uid:
                        if entry.is_dir(follow_symlinks=False):
                            shutil.rmtree(entry.path, ignore_errors=True)
                        else:
                            os.unlink(entry.path)
