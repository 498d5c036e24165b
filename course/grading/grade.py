"""Grading one submission, or one tree (``make grade``); a whole class is ``class_grading``.

Grading is a function that returns a ``Grade``; printing and writing files are
the commands' (``grade_tree``, ``grade_all``) and the renderers' (``reports``,
``gradebook``). Each submission is graded inside a guard: whatever goes wrong
in taking it in, copying, scanning, grading or reporting makes that one
submission "broken" with the reason, and the class goes on.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from course.grading import integrity, isolation
from course.grading.checkset import CheckSet, prepare_checks
from course.grading.copies import closed_to_others
from course.grading.lessonrun import lesson_budget, run_lesson_checks
from course.grading.sandboxes import Plan
from course.grading.scoring import Grade, dodge_reasons, run_reasons, score_lesson
from course.grading.settings import GradingSettings
from course.grading.submission import printable, take_in
from course.lessons import LESSONS_DIR, SOLUTIONS_DIR, all_lessons, display_path


class GradingRefused(SystemExit):
    """Grading cannot start here (no isolation for strangers' code, checks that cannot be read, ...)."""


def isolation_for(settings: GradingSettings, own_tree: bool = False) -> str:
    """The isolation to grade with; refuses untrusted code that cannot be isolated here."""
    level = isolation.level(settings.isolation)
    if level == "none" and not (settings.trust or own_tree):
        raise GradingRefused(
            f"Grading runs each submission's code, and here it cannot be isolated: {isolation.why_not_isolated()}.\n"
            "Install bubblewrap, or grade with TRUST=1 (--trust-submissions) if you trust every submission."
        )
    if level == "user":
        blocked = isolation.unreachable_python(isolation.uid_for("worker"))
        if blocked is not None:
            raise GradingRefused(
                f"At the `user` level the graded code runs as an unprivileged user, who cannot reach this Python: "
                f"{blocked} is closed to other users. Let other users pass through it (chmod o+x {blocked}), "
                "or set the course up with a Python installed for everyone."
            )
    return level


@contextlib.contextmanager
def kept_from_others(level: str, hidden=None):
    """At the `user` level nothing but permissions keeps the graded code from the instructor's tree (solutions/,
    the history in .git, the hidden checks' own folder): everything in it but .venv is closed to other users while
    grading (``copies.closed_to_others``), then put back. The sandboxes read copies made for the run."""
    from course.lessons import HiddenChecks

    hidden = hidden or HiddenChecks.setting()
    if level != "user" or os.geteuid() != 0:
        yield
        return
    with closed_to_others(hidden.folder):
        yield


def _broken(grade: Grade, lessons, checks: CheckSet, reason: str, started: float) -> Grade:
    """A submission the grader could not finish grading: 0 for what was not graded, and the reason."""
    graded = {lesson.id for lesson in grade.lessons}
    grade.lessons += [
        score_lesson(lesson, checks.expected[lesson.id], [], f"not run: {reason}", [reason])
        for lesson in lessons
        if lesson.id not in graded
    ]
    grade.finish(True, time.monotonic() - started)
    grade.status = "broken"
    if reason not in grade.reasons:
        grade.reasons.append(reason)
    return grade


def grade_submission(
    name: str,
    source: Path,
    checks: CheckSet,
    workdir: Path,
    settings: GradingSettings,
    level: str,
    slot: int = 0,
    threads: int | None = None,
    lanes: int = 1,
) -> Grade:
    """Grade one submission (a folder, a clone, a .zip or a flat upload); never raises for what it holds."""
    started = time.monotonic()
    lessons = [lesson for lesson in all_lessons() if settings.lesson_ids is None or lesson.id in settings.lesson_ids]
    grade = Grade(printable(name), printable(str(source)), checks.fingerprint, checks.hidden_state, isolation=level)
    try:
        graded = _grade_into(grade, lessons, source, checks, workdir, settings, level, (slot, lanes), threads, started)
    except Exception as error:
        detail = printable(f"{type(error).__name__}: {error}")[:300]
        return _broken(grade, lessons, checks, f"the grader could not grade it ({detail})", started)
    return grade.finish(graded, time.monotonic() - started)


def _grade_into(grade, lessons, source, checks, workdir, settings, level, slots, threads, started) -> bool:
    """Take the submission in, then grade its lessons, ``lanes`` at a time (each lane: users and cgroups of its own)."""
    slot, lanes = slots
    deadline = started + settings.deadline
    isolation.slot_folder(workdir, slot)  # its copy: for its own job slot's users only
    found, grade.notes = take_in(source, workdir / "in")
    if found is None:
        grade.notes = grade.notes or [
            "no lessons found: expected a lessons/ folder, or lesson folders such as 01_load_data/, in the submission"
        ]
        grade.lessons = [score_lesson(lesson, checks.expected[lesson.id], [], "not run", []) for lesson in lessons]
        return False
    if (found.parent / "checks").is_dir() and found.name == "lessons":  # a clone: its checks, as copied (bounded)
        theirs = [path for path in integrity.modified_files(found.parent) if path.startswith("checks/")]
        if theirs:
            grade.notes.append(
                f"its own copy of checks/ differs from the course's ({', '.join(theirs[:3])}); "
                "ignored: graded with the instructor's checks"
            )
    tree = workdir / "graded" / "lessons"
    tree.parent.mkdir(parents=True)
    found.rename(tree)
    _read_only_for_all(tree)
    free: queue.SimpleQueue[int] = queue.SimpleQueue()
    for lane in range(max(1, lanes)):
        free.put(lane)

    def in_a_lane(lesson):
        lane = free.get()
        try:
            return _grade_lesson(lesson, tree, checks, workdir, settings, level, (slot, lane), threads, deadline)
        finally:
            free.put(lane)

    with ThreadPoolExecutor(max_workers=max(1, lanes)) as pool:
        for score, held in pool.map(in_a_lane, lessons):  # in the lessons' order, whichever finished first
            grade.lessons.append(score)
            grade.limits = grade.limits or held
    return True


def _grade_lesson(lesson, tree, checks, workdir, settings, level, slots, threads, deadline):
    slot, lane = slots
    budget = lesson_budget(lesson, settings.time_limit, settings.check_seconds)
    reasons = dodge_reasons(lesson, tree)
    records, seconds, missing, held = [], 0.0, "not run", []
    cpu, peaks = 0.0, []
    runs = [(checks.files[lesson.id], checks.folder, False)]
    if checks.hidden_files[lesson.id]:
        runs.append((checks.hidden_files[lesson.id], checks.hidden_dir, True))  # a sandbox of its own
    for files, folder, hidden in runs:
        if time.monotonic() > deadline:
            missing = f"not run: the submission used up its {settings.deadline:g} s deadline"
            reason = f"stopped: the submission used up its {settings.deadline:g} s deadline"
            reasons += [reason] if reason not in reasons else []
            break
        scratch = workdir / f"lesson{lesson.id:02d}{'-hidden' if hidden else ''}"
        plan = Plan(
            lesson=lesson,
            files=files,
            folder=folder,
            expected=checks.expected[lesson.id],
            tree=tree,
            scratch=scratch,
            checks=checks,
            hidden=hidden,
            cpu_budget=budget,
            deadline=deadline,
            level=level,
            limits=settings.limits,
            slot=slot,
            lane=lane,
            threads=threads,
            check_seconds=settings.check_seconds,
            verbose=settings.verbose,
            cgroups=settings.cgroups,
        )
        run = run_lesson_checks(plan)
        records += run.records
        seconds += run.seconds
        cpu += run.cpu_seconds
        peaks += [run.peak_memory_mb] if run.peak_memory_mb is not None else []
        held = held or run.limits
        reasons += [
            reason
            for reason in run_reasons(
                lesson, run, budget, settings.limits.memory_mb, settings.deadline, settings.check_seconds
            )
            if reason not in reasons
        ]
        if run.ran_out:
            missing = (
                "not run: " + next(reason for reason in reasons if reason.startswith("stopped"))[len("stopped: ") :]
            )
        elif run.done is None:
            missing = f"not run: the checks' process ended early (exit status {run.status})"
        shutil.rmtree(scratch, ignore_errors=True)
    score = score_lesson(lesson, checks.expected[lesson.id], records, missing, reasons, round(seconds, 2))
    score.cpu_seconds, score.peak_memory_mb = round(cpu, 2), (max(peaks) if peaks else None)
    return score, held


def _read_only_for_all(tree: Path) -> None:
    """The submission's copy: readable by the checks' and the workers' users, writable by none of them."""
    for folder, _folders, files in os.walk(tree):
        os.chmod(folder, 0o555)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o444)


def lanes_here() -> int:
    """How many lessons of one submission to grade at once: one per CPU core (``make grade``, Gradescope)."""
    return max(1, os.cpu_count() or 1)


def own_tree(target: Path) -> bool:
    """The course's own lessons/ or solutions/: a learner grading their own work, not a stranger's."""
    return target.resolve() in (LESSONS_DIR.resolve(), SOLUTIONS_DIR.resolve())


def grade_tree(target: Path, settings: GradingSettings, say=print) -> Grade:
    """Grade one tree as a learner or an autograder would (``make grade``); returns the Grade."""
    level = isolation_for(settings, own_tree(target))
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch, kept_from_others(level, settings.hidden):
        Path(scratch).chmod(0o711)  # the sandboxes' users pass through; what is inside says who may read it
        checks = prepare_checks(Path(scratch), settings.hidden)
        name = display_path(target)
        if checks.modified:
            grade = Grade(
                name,
                str(target),
                checks.fingerprint,
                checks.hidden_state,
                status="checks modified",
                modified=checks.modified,
            )
            grade.max_score, grade.reasons = sum(lesson.points for lesson in all_lessons()), ["checks modified"]
            return grade
        where = {"bwrap": "each lesson in sandboxes of its own", "user": "each lesson as unprivileged users"}
        say(f"Grading {name}/ with the course's checks ({where.get(level, 'not sandboxed')}) ...", flush=True)
        return grade_submission(name, target, checks, Path(scratch) / "submission", settings, level, lanes=lanes_here())
