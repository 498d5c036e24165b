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

from course.checking.budget import wall_backstop
from course.checking.runner import CheckSettings, plugin_arguments
from course.checking.spawn import Template, pipes, serve_broker, start_template, template_command, tree_cpu
from course.grading.cgroups import Cgroup
from course.grading.checkset import IMPORT_MODE
from course.grading.isolation import leftovers_removed, uid_for
from course.grading.sandboxes import (
    Plan,
    checks_readonly,
    environment,
    judge_readonly,
    limits_held,
    sandbox_for,
    worker_course,
    worker_readonly,
)
from course.grading.verdicts import LOG_LIMIT, STREAM_LIMIT, Reader, RunOutcome, read_verdicts

GRACE_S = 5  # seconds the checks' process has to end after its last line
LAUNCH = "import sys; sys.path.insert(0, {root!r}); import pytest; sys.exit(pytest.main(sys.argv[1:]))"
RUN_NUMBERS = itertools.count(1)


def lesson_budget(lesson, time_limit: float | None = None, check_seconds: float | None = None) -> float:
    """CPU seconds one lesson's processes may use together: the instructor's TIME_LIMIT, or ten checks' worth."""
    return float(time_limit) if time_limit else 60 + 10 * (check_seconds or lesson.timeout_s)


class LessonRun:
    """One sandboxed run of a lesson's checks, with the workers they ask for."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.number = next(RUN_NUMBERS)
        tag = f"course-{os.getpid()}-{self.number}"
        groups = Cgroup.create if plan.cgroups else (lambda *_: None)
        self.checks_group = groups(f"{tag}-checks", plan.limits.memory_mb, plan.limits.processes)
        self.workers_group = groups(f"{tag}-workers", plan.limits.memory_mb, plan.limits.processes)
        self.templates: dict[str, Template] = {}  # by role: the processes every worker of this run is forked from
        self.workers: dict[int, tuple[Template, int]] = {}  # by number: its template, and its pid there
        self.logs: list[Reader] = []
        self.lock = threading.Lock()
        self.closed = False
        self.worker_numbers = itertools.count(1)

    def start_templates(self) -> None:
        """The learner's and the judge's templates, each in a sandbox of its own, started with the checks: they
        import the libraries while the checks are collected, then fork each worker the checks ask for.

        A learner's workers run as the job slot's user; the judge (which never imports the learner's file) as a
        user of its own, which the learner's workers can neither signal nor trace."""
        from course.quiet import uses_tensorflow

        plan = self.plan
        lesson_file = plan.lesson.file_in(plan.tree)
        tensorflow = lesson_file.is_file() and uses_tensorflow(lesson_file)
        for role, who, readonly, root in (
            ("learner", "worker", worker_readonly(plan), worker_course(plan)),
            ("judge", "judge", judge_readonly(plan), plan.checks.course_copy),
        ):
            writable = plan.scratch / role
            env = environment(plan, writable)
            sandbox = sandbox_for(plan, who, writable, readonly, env, writable, self.workers_group)
            output_read, output_write = os.pipe()
            try:
                template = start_template(
                    lambda fd, warm, sandbox=sandbox, root=root: sandbox.command(template_command(fd, warm, root)),
                    tensorflow and role == "learner",  # the judge imports it when a yardstick needs it
                    stdout=output_write,
                    stderr=output_write,
                    **sandbox.popen_options(),
                )
            finally:
                os.close(output_write)
            reader = Reader(os.fdopen(output_read, "rb"), LOG_LIMIT // 4, tail=True)
            reader.start()
            template.writable = writable
            self.templates[role] = template
            self.logs.append(reader)

    def start_worker(self, role: str = "learner") -> tuple[int, tuple[int, int, int]]:
        """A worker forked from its role's template; returns its number and the checks' ends of its three pipes."""
        plan = self.plan
        template = self.templates[role]
        number = next(self.worker_numbers)
        folder = template.writable / f"worker-{number}"
        env = {"HOME": str(folder / "home"), "TMPDIR": str(folder / "tmp"), "COURSE_OUTPUTS": str(folder / "outputs")}
        if role != "judge":  # the guard: write only in the sandbox's own space
            guard = {"write_roots": [str(template.writable)], "learner_root": str(plan.tree)}
            env["COURSE_SANDBOX"] = json.dumps(guard)
        theirs, ours = pipes()
        try:
            pid = template.fork(theirs, plan.tree, role, folder, env)
        finally:
            for fd in theirs:
                os.close(fd)
        with self.lock:
            self.workers[number] = (template, pid)
        return number, ours

    def stop_worker(self, number: int) -> None:
        if number in self.workers:
            template, pid = self.workers[number]
            template.kill(pid)

    def workers_cpu_now(self) -> float:
        """CPU seconds of every worker of this run so far: from their cgroup, else from /proc (the templates, with
        every worker they forked: the running ones, and the ones they have reaped)."""
        if self.workers_group is not None and self.workers_group.cpu_seconds() is not None:
            return self.workers_group.cpu_seconds()
        return sum(tree_cpu(template.process.pid) for template in list(self.templates.values()))

    def worker_ended(self, number: int, wait: bool = True) -> str | None:
        if number not in self.workers:
            return None
        template, pid = self.workers[number]
        why = template.ended(pid, wait)
        if why is not None and self.workers_group is not None and self.workers_group.out_of_memory():
            return f"your code's process ran out of its {self.plan.limits.memory_mb:,} MB of memory and was stopped"
        return why

    # -- the run ------------------------------------------------------------------------
    def cpu_seconds(self, checks: subprocess.Popen) -> float:
        """What the lesson's processes computed so far: from their cgroups, else from /proc."""
        groups = [self.checks_group, self.workers_group]
        if all(group is not None and group.cpu_seconds() is not None for group in groups):
            return sum(group.cpu_seconds() for group in groups)
        return tree_cpu(checks.pid) + self.workers_cpu_now()

    def run(self) -> RunOutcome:
        plan = self.plan
        checks_home = plan.scratch / "checks"
        env = environment(plan, checks_home)
        sandbox = sandbox_for(plan, "checks", checks_home, checks_readonly(plan), env, checks_home, self.checks_group)
        sentinels = {"pass": f"test_{secrets.token_hex(6)}", "fail": f"test_{secrets.token_hex(6)}"}
        results_read, results_write = os.pipe()
        names_read, names_write = os.pipe()
        os.write(names_write, json.dumps(sentinels).encode())
        os.close(names_write)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        settings = CheckSettings(check_seconds=plan.check_seconds, verbose=plan.verbose, colour=False)
        arguments = [
            *plugin_arguments(
                plan.lesson, plan.files, plan.folder / "pytest.ini", checks_home / "tmp" / "pytest", plan.tree, settings
            ),
            *IMPORT_MODE,
            "--results-fd",
            str(results_write),
            "--sentinels-fd",
            str(names_read),
            "--broker-fd",
            str(theirs.fileno()),
        ]
        launch = LAUNCH.format(root=str(plan.checks.course_copy))
        command = sandbox.command([sys.executable, "-I", "-B", "-c", launch, *arguments])
        started = time.monotonic()
        self.start_templates()
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
            target=serve_broker,
            args=(ours, self.start_worker, self.stop_worker, self.worker_ended, self.workers_cpu_now),
            daemon=True,
        )
        broker.start()
        results = Reader(os.fdopen(results_read, "rb"), STREAM_LIMIT)
        output = Reader(process.stdout, LOG_LIMIT, tail=True)
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
        read_verdicts(outcome, bytes(results.head), results.total, plan.expected, sentinels, plan.hidden)
        return outcome

    def _watch(self, process: subprocess.Popen, results: Reader, started: float) -> str | None:
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
        _kill(process)
        for template in self.templates.values():
            template.close()
        for group in (self.checks_group, self.workers_group):
            if group is not None:
                group.kill_all()
        if self.plan.level != "bwrap" and os.geteuid() == 0:  # no namespaces: what the slot's users left behind
            for role in ("worker", "judge"):
                leftovers_removed(uid_for(role, self.plan.slot, self.plan.lane))


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def run_lesson_checks(plan: Plan) -> RunOutcome:
    """Run one lesson's checks (public or hidden) for one submission; collect the verdicts."""
    return LessonRun(plan).run()
