"""One lesson of one submission, graded in a sandbox of its own, and what came out of it.

The supervising grader (outside the sandbox) owns the verdicts: the checks
stream one JSON line per check into a pipe whose other end only it holds, so
no file inside or outside the sandbox holds results the learner's code could
rewrite. What arrives is checked against the checks the grader collected
before any learner code ran:

* a result for a check that does not exist, a second result for the same
  check, or anything after the final "done" line is **tampering**;
* two **sentinel checks** with random names, one that must pass (at a random
  place) and one that must fail (run last, after any learner code has been
  imported), must come out one passed and one failed: code that turns every check, fixture or
  ``expect`` into a no-op (or rewrites how pytest reports) gets them wrong.

Code running in the same process as the checks can still, with enough effort,
forge a consistent stream (it can read the sentinels' names from memory):
INSTRUCTORS.md says so. The sandbox is what keeps it from anything outside its
own lesson: other lessons, other submissions, the hidden checks, the solutions.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from course.checking.control import MESSAGE_LIMIT  # characters of one check's message that reach any report
from course.checking.runner import plugin_arguments, process_limit
from course.grading.checkset import HIDDEN_PREFIX, IMPORT_MODE, CheckSet
from course.grading.isolation import Limits, Sandbox, prepare_scratch, python_paths
from course.grading.submission import copy_safely
from course.lessons import LESSONS_DIR, ROOT

STREAM_LIMIT = 1_000_000  # bytes of results one run may send
LOG_LIMIT = 32_000  # bytes kept of the start and of the end of a run's output
LAUNCH = "import sys; sys.path.insert(0, {root!r}); import pytest; sys.exit(pytest.main(sys.argv[1:]))"


@dataclass
class RunOutcome:
    """What one sandboxed run of a lesson's checks produced."""

    status: int | None  # the process's exit status; None when it ran past its time budget
    records: list[dict] = field(default_factory=list)  # one per check, sentinels removed
    done: dict | None = None  # the checks' final line: sandbox violations, collection errors
    tampering: list[str] = field(default_factory=list)
    log: str = ""
    seconds: float = 0.0

    @property
    def ran_out(self) -> bool:
        return self.status is None


def lesson_budget(lesson, time_limit: float | None = None) -> float:
    """Seconds one lesson's run may take: its own limit, or the instructor's TIME_LIMIT if smaller."""
    budget = process_limit(lesson)
    return min(budget, time_limit) if time_limit else budget


class _Reader(threading.Thread):
    """Reads a pipe to its end, keeping at most ``limit`` bytes (the head, and the tail when ``tail``)."""

    def __init__(self, stream, limit: int, tail: bool = False):
        super().__init__(daemon=True)
        self.stream, self.limit, self.tail = stream, limit, tail
        self.head, self.end, self.total = bytearray(), bytearray(), 0

    def run(self):
        for chunk in iter(lambda: self.stream.read(65536), b""):
            self.total += len(chunk)
            room = self.limit - len(self.head)
            self.head += chunk[: max(0, room)]
            if self.tail:
                self.end = (self.end + chunk)[-self.limit :]

    def text(self) -> str:
        if self.total <= len(self.head) or not self.tail:
            return self.head.decode(errors="replace")
        return (
            self.head.decode(errors="replace")
            + f"\n[... {self.total - len(self.head) - len(self.end)} bytes left out ...]\n"
            + self.end.decode(errors="replace")
        )


def _environment(scratch: Path, tree: Path, data_file: Path | None, threads: int | None) -> dict[str, str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(scratch / "home"),
        "TMPDIR": str(scratch / "tmp"),
        "COURSE_OUTPUTS": str(scratch / "outputs"),
        "COURSE_TARGET": str(tree),
        "COURSE_SHORT_PATHS": str(scratch),  # reports say lessons/..., not the scratch path
        "COURSE_SANDBOX": json.dumps({"write_roots": [str(scratch)], "learner_root": str(tree)}),
        "MPLCONFIGDIR": str(scratch / "cache" / "matplotlib"),
        "MPLBACKEND": "Agg",
        "KERAS_HOME": str(scratch / "cache" / "keras"),
        "XDG_CACHE_HOME": str(scratch / "cache"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MNIST_OFFLINE": "1",
        "NO_COLOR": "1",
    }
    if data_file is not None:
        env["MNIST_NPZ"] = str(data_file)
    if threads:
        env.update(TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS=str(threads))
    for name in ("COURSE_TIMEOUT_S", "VERBOSE"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    return env


def run_lesson_checks(
    lesson,
    files: list[Path],
    folder: Path,
    expected: list[dict],
    tree: Path,
    work: Path,
    checks: CheckSet,
    hidden: bool = False,
    budget: float | None = None,
    limits: Limits | None = None,
    threads: int | None = None,
    isolation: str | None = None,
) -> RunOutcome:
    """Run ``files`` (checks in ``folder``) against a fresh copy of ``tree`` in a sandbox; collect the verdicts."""
    scratch = work
    for name in ("home", "tmp", "outputs", "cache"):
        (scratch / name).mkdir(parents=True, exist_ok=True)
    copy_safely(tree, scratch / "lessons")
    prepare_scratch(scratch)
    budget = budget or process_limit(lesson)
    limits = limits or Limits(cpu_seconds=int(budget * (os.cpu_count() or 1)) + 30)
    readonly = [
        *python_paths(),
        ROOT / "course",
        ROOT / "app_template",
        LESSONS_DIR / "lessons.toml",
        LESSONS_DIR / ".hints.json",
        folder,
    ]
    if checks.data_file is not None:
        readonly.append(checks.data_file)
    env = _environment(scratch, scratch / "lessons", checks.data_file, threads)
    sandbox = Sandbox(
        scratch=scratch,
        readonly=readonly,
        env=env,
        cwd=folder,
        limits=limits,
        **({"isolation": isolation} if isolation else {}),
    )
    sentinels = {"pass": f"test_{secrets.token_hex(6)}", "fail": f"test_{secrets.token_hex(6)}"}
    results_read, results_write = os.pipe()
    names_read, names_write = os.pipe()
    os.write(names_write, json.dumps(sentinels).encode())
    os.close(names_write)
    arguments = [
        *plugin_arguments(lesson, files, folder / "pytest.ini", basetemp=scratch / "tmp" / "pytest"),
        *IMPORT_MODE,
        "--results-fd",
        str(results_write),
        "--sentinels-fd",
        str(names_read),
    ]
    command = sandbox.command([sys.executable, "-I", "-B", "-c", LAUNCH.format(root=str(ROOT)), *arguments])
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        pass_fds=(results_write, names_read),
        **sandbox.popen_options(),
    )
    os.close(results_write)
    os.close(names_read)
    results = _Reader(os.fdopen(results_read, "rb"), STREAM_LIMIT)
    output = _Reader(process.stdout, LOG_LIMIT, tail=True)
    results.start()
    output.start()
    try:
        status = process.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        status = None
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # the sandbox and whatever it started
        process.wait()
    results.join(timeout=10)
    output.join(timeout=10)
    outcome = RunOutcome(status, log=output.text(), seconds=round(time.monotonic() - started, 2))
    _read_verdicts(outcome, bytes(results.head), results.total, expected, sentinels, hidden)
    return outcome


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
