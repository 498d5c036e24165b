"""One lesson of one submission, graded: the checks in a sandbox of their own, the learner's code in workers.

The grader starts the lesson's checks (trusted: the instructor's code) in one
sandbox, as the checks' user. The checks never import the learner's file: they
ask the grader, over a Unix socket (``course.checking.spawn``), for workers, and
the grader starts each in a sandbox of its own, as the job slot's user, and
hands the checks their ends of its pipes. Whatever the learner's code does, it
does in a process that holds no verdict and can reach no other.

The verdicts come from the checks' process: one JSON line per check, into a
pipe only the grader reads; anything that could not come from honest checks
(a result for a check that does not exist, two for one, anything after the last
line, control checks that come out wrong) is tampering.

Budgets count what the lesson's processes computed (CPU seconds, from their
control groups, or from /proc where there are none): an honest lesson gets the
same points on an idle machine, a busy one or half a CPU. A wall-clock backstop
several times larger, and the submission's deadline, stop what still runs; the
reason names which. A few seconds after the checks' last line, everything the
lesson started is killed.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from course.checking.budget import wall_backstop
from course.checking.control import MESSAGE_LIMIT  # characters of one check's message that reach any report
from course.checking.runner import plugin_arguments, timeout_s
from course.checking.spawn import pipes, serve_broker, worker_command
from course.grading.cgroups import Cgroup
from course.grading.checkset import HIDDEN_PREFIX, IMPORT_MODE, CheckSet
from course.grading.isolation import Limits, Sandbox, python_paths, uid_for
from course.lessons import LESSONS_DIR, ROOT

STREAM_LIMIT = 1_000_000  # bytes of results one run may send
LOG_LIMIT = 32_000  # bytes kept of the start and of the end of a run's output
GRACE_S = 5  # seconds the checks' process has to end after its last line
LAUNCH = "import sys; sys.path.insert(0, {root!r}); import pytest; sys.exit(pytest.main(sys.argv[1:]))"
RUN_NUMBERS = itertools.count(1)


@dataclass
class RunOutcome:
    """What one sandboxed run of a lesson's checks produced."""

    status: int | None  # the checks' process's exit status; None when it was stopped
    records: list[dict] = field(default_factory=list)  # one per check, control checks removed
    done: dict | None = None  # the checks' final line: sandbox violations, collection errors
    tampering: list[str] = field(default_factory=list)
    log: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    stopped: str | None = None  # "cpu", "wall" or "deadline": why the grader stopped it
    out_of_memory: bool = False
    peak_memory_mb: float | None = None
    limits: list[str] = field(default_factory=list)

    @property
    def ran_out(self) -> bool:
        return self.stopped is not None


def lesson_budget(lesson, time_limit: float | None = None, check_seconds: float | None = None) -> float:
    """CPU seconds one lesson's processes may use together: the instructor's TIME_LIMIT, or ten checks' worth."""
    return float(time_limit) if time_limit else 60 + 10 * (check_seconds or timeout_s(lesson))


class _Reader(threading.Thread):
    """Reads a pipe to its end, keeping at most ``limit`` bytes (the head, and the tail when ``tail``)."""

    def __init__(self, stream, limit: int, tail: bool = False):
        super().__init__(daemon=True)
        self.stream, self.limit, self.tail = stream, limit, tail
        self.head, self.end, self.total = bytearray(), bytearray(), 0
        self.changed = threading.Event()

    def run(self):
        for chunk in iter(lambda: self.stream.read1(65536) if hasattr(self.stream, "read1") else b"", b""):
            self.total += len(chunk)
            room = self.limit - len(self.head)
            self.head += chunk[: max(0, room)]
            if self.tail:
                self.end = (self.end + chunk)[-self.limit :]
            self.changed.set()

    def text(self) -> str:
        if self.total <= len(self.head) or not self.tail:
            return self.head.decode(errors="replace")
        return (
            self.head.decode(errors="replace")
            + f"\n[... {self.total - len(self.head) - len(self.end)} bytes left out ...]\n"
            + self.end.decode(errors="replace")
        )


@dataclass
class Plan:
    """Everything one run needs to know: the lesson, its checks, the submission's copy, budgets, who runs it."""

    lesson: object
    files: list[Path]
    folder: Path  # the checks' folder (public or hidden)
    expected: list[dict]
    tree: Path  # the submission's lessons tree (read-only to everyone)
    scratch: Path  # a folder of this run's own (host side)
    checks: CheckSet
    hidden: bool = False
    cpu_budget: float = 260.0
    deadline: float | None = None  # time.monotonic() by which the whole submission must be done
    level: str = "bwrap"
    limits: Limits = field(default_factory=Limits)
    slot: int = 0
    threads: int | None = None
    check_seconds: float | None = None
    verbose: bool = False


class LessonRun:
    """One sandboxed run of a lesson's checks, with the workers they ask for."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.number = next(RUN_NUMBERS)
        tag = f"course-{os.getpid()}-{self.number}"
        self.checks_group = Cgroup.create(f"{tag}-checks", plan.limits.memory_mb, plan.limits.processes)
        self.workers_group = Cgroup.create(f"{tag}-workers", plan.limits.memory_mb, plan.limits.processes)
        self.workers: dict[int, subprocess.Popen] = {}
        self.worker_numbers = itertools.count(1)
        self.logs: list[_Reader] = []
        self.lock = threading.Lock()
        self.closed = False

    # -- the two kinds of sandbox ------------------------------------------------
    def _common_env(self, home: Path) -> dict[str, str]:
        plan = self.plan
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "USER": "learner",
            "LOGNAME": "learner",
            "HOME": str(home / "home"),
            "TMPDIR": str(home / "tmp"),
            "MPLCONFIGDIR": str(home / "cache" / "matplotlib"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "KERAS_HOME": str(home / "cache" / "keras"),
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MNIST_OFFLINE": "1",
            "NO_COLOR": "1",
            "COURSE_TARGET": str(plan.tree),
            "COURSE_SHORT_PATHS": str(plan.tree.parent),  # reports say lessons/..., not the scratch path
        }
        if plan.checks.data_file is not None:
            env["MNIST_NPZ"] = str(plan.checks.data_file)
        if plan.threads:
            threads = str(plan.threads)
            env.update(TF_NUM_INTRAOP_THREADS=threads, TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS=threads)
        if plan.verbose:
            env["VERBOSE"] = "1"
        return env

    def _sandbox(self, role: str, writable: Path, readonly: list[Path], env: dict, cwd: Path, group) -> Sandbox:
        plan = self.plan
        uid = uid_for(role, plan.slot)
        limits = Limits(
            plan.limits.memory_mb,
            plan.limits.processes,
            int(plan.cpu_budget) + 30,
            plan.limits.file_mb,
            plan.limits.open_files,
            plan.limits.disk_mb,
        )
        sandbox = Sandbox(
            readonly=readonly,
            env=env,
            cwd=cwd,
            isolation=plan.level,
            limits=limits,
            writable=writable,
            uid=uid,
            groups=(uid_for("worker", plan.slot),) if role == "checks" else (),
            cgroup=group,
            folders=["home", "tmp", "cache", "cache/matplotlib", "cache/keras", "outputs"],
        )
        sandbox.prepare()
        return sandbox

    def start_worker(self) -> tuple[int, tuple[int, int, int]]:
        """A worker in a sandbox of its own; returns its number and the checks' ends of its three pipes."""
        plan = self.plan
        number = next(self.worker_numbers)
        writable = plan.scratch / f"worker-{number}"
        env = self._common_env(writable)
        env["COURSE_OUTPUTS"] = str(writable / "outputs")
        env["COURSE_SANDBOX"] = json.dumps({"write_roots": [str(writable)], "learner_root": str(plan.tree)})
        readonly = [
            *python_paths(),
            ROOT / "course",
            ROOT / "app_template",
            LESSONS_DIR / "lessons.toml",
            LESSONS_DIR / ".hints.json",
            plan.tree,
            *([plan.checks.data_file] if plan.checks.data_file is not None else []),
        ]
        sandbox = self._sandbox("worker", writable, readonly, env, writable, self.workers_group)
        theirs, ours = pipes()
        command = sandbox.command(worker_command(theirs, plan.tree))
        output_read, output_write = os.pipe()
        try:
            process = subprocess.Popen(
                command,
                stdout=output_write,
                stderr=output_write,
                stdin=subprocess.DEVNULL,
                pass_fds=theirs,
                **sandbox.popen_options(),
            )
        finally:
            for fd in (*theirs, output_write):
                os.close(fd)
        reader = _Reader(os.fdopen(output_read, "rb"), LOG_LIMIT // 4, tail=True)
        reader.start()
        with self.lock:
            self.workers[number] = process
            self.logs.append(reader)
            if self.closed:
                _kill(process)
        return number, ours

    def stop_worker(self, number: int) -> None:
        process = self.workers.get(number)
        if process is not None:
            _kill(process)

    def worker_ended(self, number: int) -> str | None:
        from course.checking.spawn import ending

        process = self.workers.get(number)
        if process is None:
            return None
        status = process.poll()
        if status is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                status = process.wait(timeout=2)
        if status is None:
            return None
        if self.workers_group is not None and self.workers_group.out_of_memory():
            return f"your code's process ran out of its {self.plan.limits.memory_mb:,} MB of memory and was stopped"
        return ending(status)

    # -- the run ------------------------------------------------------------------------
    def cpu_seconds(self, checks: subprocess.Popen) -> float:
        """What the lesson's processes computed so far: from their cgroups, else from /proc."""
        groups = [self.checks_group, self.workers_group]
        if all(group is not None and group.cpu_seconds() is not None for group in groups):
            return sum(group.cpu_seconds() for group in groups)
        return sum(_tree_cpu(process.pid) for process in [checks, *self.workers.values()])

    def run(self) -> RunOutcome:
        plan = self.plan
        checks_home = plan.scratch / "checks"
        env = self._common_env(checks_home)
        readonly = [
            *python_paths(),
            ROOT / "course",
            LESSONS_DIR / "lessons.toml",
            LESSONS_DIR / ".hints.json",
            plan.folder,
            plan.tree,
            *([plan.checks.data_file] if plan.checks.data_file is not None else []),
        ]
        sandbox = self._sandbox("checks", checks_home, readonly, env, checks_home, self.checks_group)
        sentinels = {"pass": f"test_{secrets.token_hex(6)}", "fail": f"test_{secrets.token_hex(6)}"}
        results_read, results_write = os.pipe()
        names_read, names_write = os.pipe()
        os.write(names_write, json.dumps(sentinels).encode())
        os.close(names_write)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        arguments = [
            *plugin_arguments(plan.lesson, plan.files, plan.folder / "pytest.ini", checks_home / "tmp" / "pytest"),
            *IMPORT_MODE,
            "--target",
            str(plan.tree),
            "--results-fd",
            str(results_write),
            "--sentinels-fd",
            str(names_read),
            "--broker-fd",
            str(theirs.fileno()),
        ]
        if plan.check_seconds:
            arguments += ["--check-seconds", f"{plan.check_seconds:g}"]
        command = sandbox.command([sys.executable, "-I", "-B", "-c", LAUNCH.format(root=str(ROOT)), *arguments])
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                pass_fds=(results_write, names_read, theirs.fileno()),
                **sandbox.popen_options(),
            )
        finally:
            os.close(results_write)
            os.close(names_read)
            theirs.close()
        broker = threading.Thread(
            target=serve_broker, args=(ours, self.start_worker, self.stop_worker, self.worker_ended), daemon=True
        )
        broker.start()
        results = _Reader(os.fdopen(results_read, "rb"), STREAM_LIMIT)
        output = _Reader(process.stdout, LOG_LIMIT, tail=True)
        results.start()
        output.start()
        stopped = self._watch(process, results, started)
        self.close(process)
        ours.close()
        results.join(timeout=10)
        output.join(timeout=10)
        outcome = RunOutcome(
            process.returncode if stopped is None else None,
            log=output.text() + "".join(f"\n[worker]\n{log.text()}" for log in self.logs if log.total),
            seconds=round(time.monotonic() - started, 2),
            stopped=stopped,
        )
        outcome.cpu_seconds = round(self.last_cpu, 2)
        groups = [group for group in (self.checks_group, self.workers_group) if group is not None]
        outcome.out_of_memory = any(group.out_of_memory() for group in groups)
        peaks = [group.peak_memory_mb() for group in groups if group.peak_memory_mb() is not None]
        outcome.peak_memory_mb = round(max(peaks), 1) if peaks else None
        outcome.limits = limits_held(plan, self.workers_group)
        for group in groups:
            group.remove()
        _read_verdicts(outcome, bytes(results.head), results.total, plan.expected, sentinels, plan.hidden)
        return outcome

    def _watch(self, process: subprocess.Popen, results: _Reader, started: float) -> str | None:
        """Wait for the checks; stop them when a budget is spent. Returns why they were stopped (or None)."""
        plan = self.plan
        wall_limit = wall_backstop(plan.cpu_budget)
        finished_at = None
        self.last_cpu = 0.0
        while True:
            try:
                process.wait(timeout=0.5)
                return None
            except subprocess.TimeoutExpired:
                pass
            self.last_cpu = self.cpu_seconds(process)
            now = time.monotonic()
            if finished_at is None and b'"type": "done"' in bytes(results.head[-4096:]):
                finished_at = now
            if finished_at is not None and now - finished_at > GRACE_S:
                return None  # its last line came; whatever still runs (a thread that never ends) is stopped
            if self.last_cpu > plan.cpu_budget:
                return "cpu"
            if plan.deadline is not None and now > plan.deadline:
                return "deadline"
            if now - started > wall_limit:
                return "wall"

    def close(self, process: subprocess.Popen) -> None:
        with self.lock:
            self.closed = True
            workers = list(self.workers.values())
        for child in [process, *workers]:
            _kill(child)
        for group in (self.checks_group, self.workers_group):
            if group is not None:
                group.kill_all()


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and all it started (what has ended and was waited for included)."""
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


def limits_held(plan: Plan, group: Cgroup | None) -> list[str]:
    """Which limits held for the learner's code in this run, in words (the report names them)."""
    held = [f"isolation {plan.level}"]
    if group is not None:
        held += group.held
    if group is None or not any(item.startswith("memory") for item in group.held):
        held.append(f"memory {plan.limits.memory_mb:,} MB per process (RLIMIT_DATA: shared memory not counted)")
    if group is None or not any("processes" in item for item in group.held):
        held.append(
            f"{plan.limits.processes} processes per user (RLIMIT_NPROC, a user per job slot)"
            if os.geteuid() == 0 and plan.level != "none"
            else "processes not limited (not root)"
        )
    if plan.level == "bwrap":
        held.append(f"writable space {plan.limits.disk_mb:,} MB (tmpfs)")
    else:
        held.append(f"files up to {plan.limits.file_mb:,} MB each (RLIMIT_FSIZE), no total")
    if group is None or group.cpu_seconds() is None:
        held.append("CPU time counted from /proc (a process that leaves its parent is not counted)")
    return held


def _read_verdicts(
    outcome: RunOutcome, stream: bytes, total: int, expected: list[dict], sentinels: dict, hidden: bool
) -> None:
    """Parse the streamed lines into ``outcome``; anything that could not come from honest checks is tampering."""
    known = {check["nodeid"] for check in expected if check["hidden"] == hidden}
    seen: dict[str, dict] = {}
    sentinel_status: dict[str, str] = {}
    if total > STREAM_LIMIT:
        outcome.tampering.append(f"the checks sent {total:,} bytes of results (at most {STREAM_LIMIT:,})")
    for line in stream.decode(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if line.strip():
                outcome.tampering.append("a results line that is not JSON")
            continue
        if not isinstance(record, dict):
            outcome.tampering.append("a results line that is not a record")
            continue
        if outcome.done is not None:
            outcome.tampering.append("results sent after the checks had finished")
            break
        if record.get("type") == "done":
            outcome.done = record
            continue
        nodeid = str(record.get("nodeid", ""))
        name = nodeid.rsplit("::", 1)[-1]
        if name in (sentinels["pass"], sentinels["fail"]):
            if name in sentinel_status:
                outcome.tampering.append("a control check reported twice")
            sentinel_status[name] = str(record.get("status"))
            continue
        nodeid = HIDDEN_PREFIX + nodeid if hidden else nodeid
        if nodeid not in known:
            outcome.tampering.append(f"a result for a check that does not exist ({nodeid[:80]})")
            continue
        if nodeid in seen:
            outcome.tampering.append(f"two results for the same check ({nodeid[:80]})")
            continue
        record["nodeid"] = nodeid
        record["message"] = str(record.get("message", ""))[:MESSAGE_LIMIT]
        seen[nodeid] = record
    outcome.records = list(seen.values())
    passing, failing = sentinel_status.get(sentinels["pass"]), sentinel_status.get(sentinels["fail"])
    if failing == "passed" or (passing is not None and passing != "passed"):
        outcome.tampering.append(
            "the grader's control checks came out wrong (a check that must fail passed, or one that must pass failed)"
        )
    elif outcome.done is not None and (passing is None or failing is None):
        outcome.tampering.append("the grader's control checks did not report")


def run_lesson_checks(plan: Plan) -> RunOutcome:
    """Run one lesson's checks (public or hidden) for one submission; collect the verdicts."""
    return LessonRun(plan).run()

