"""The two kinds of sandbox of a lesson's run: the checks', and a worker's.

Both see the system, Python and the course's code read-only, and the
submission's copy read-only; each writes only to a space of its own (a
size-limited tmpfs with bubblewrap). The checks also read the checks' folder;
a worker reads the page lesson 6 serves and MNIST, and never the checks.
``Plan`` is everything a run needs to know; ``limits_held`` says, in words,
which limits held for the learner's code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from course.grading.cgroups import Cgroup
from course.grading.checkset import CheckSet
from course.grading.isolation import Limits, Sandbox, python_paths, uid_for


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
    lane: int = 0  # lessons of one submission graded at once each have a lane: users and cgroups of their own
    threads: int | None = None
    check_seconds: float | None = None
    verbose: bool = False
    cgroups: bool = True


def environment(plan: Plan, home: Path) -> dict[str, str]:
    """The environment of either sandbox, whose writable space is ``home``."""
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


def sandbox_for(plan: Plan, role: str, writable: Path, readonly: list[Path], env: dict, cwd: Path, group) -> Sandbox:
    """The checks' sandbox or a worker's: its user, groups, limits, writable space and what it reads."""
    uid = uid_for(role, plan.slot, plan.lane)
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
        groups=(uid_for("worker", plan.slot),),  # the slot's folder is passed (and its copy read) by its group
        cgroup=group,
        folders=["home", "tmp", "cache", "cache/matplotlib", "cache/keras", "outputs"],
    )
    sandbox.prepare()
    return sandbox


def _data(plan: Plan) -> list[Path]:
    return [plan.checks.data_file] if plan.checks.data_file is not None else []


def worker_course(plan: Plan) -> Path:
    """The copy of the course a learner's worker reads for this lesson (``copies``: never the instructor's tree)."""
    return plan.checks.lesson_copies.get(plan.lesson.id, plan.checks.course_copy)


def worker_readonly(plan: Plan) -> list[Path]:
    """What a worker reads: Python, its lesson's copy of the course (with the page lesson 6 serves), the
    submission's copy, MNIST."""
    return [*python_paths(), worker_course(plan), plan.tree, *_data(plan)]


def judge_readonly(plan: Plan) -> list[Path]:
    """What the judge reads: Python, the course's copy, MNIST (never the submission, never the checks)."""
    return [*python_paths(), plan.checks.course_copy, *_data(plan)]


def checks_readonly(plan: Plan) -> list[Path]:
    """What the checks read: Python, the course's copy, their own folder, the submission's copy, MNIST."""
    return [*python_paths(), plan.checks.course_copy, plan.folder, plan.tree, *_data(plan)]


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
