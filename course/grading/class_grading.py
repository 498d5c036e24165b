"""Grading a whole class (``make grade-all``): every submission in parallel, the gradebook always written.

Each submission is graded by ``grade.grade_submission`` in a job slot of its
own (its workers run as the slot's user); a submission the grader cannot
finish is "broken" with its reason, and the class goes on.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from course.grading import integrity
from course.grading.checkset import prepare_checks
from course.grading.grade import GradingRefused, grade_submission, isolation_for, kept_from_others
from course.grading.gradebook import class_summary_lines, write_gradebook
from course.grading.reports import write_submission_files
from course.grading.scoring import Grade
from course.grading.settings import GradingSettings
from course.grading.submission import find_submissions, printable, unique_names
from course.lessons import course_info


class _Slots:
    """Job slots: each submission graded at once gets its own (and with it its own user for its workers)."""

    def __init__(self, jobs: int):
        self.free: queue.Queue[int] = queue.Queue()
        for slot in range(jobs):
            self.free.put(slot)

    @contextlib.contextmanager
    def taken(self):
        slot = self.free.get()
        try:
            yield slot
        finally:
            self.free.put(slot)


def grade_all(
    submissions: Path, out: Path, settings: GradingSettings, progress: bool = True, say=print
) -> tuple[list[Grade], dict]:
    """Grade every submission in ``submissions`` in parallel; write the gradebook to ``out`` (always)."""
    from tqdm import tqdm

    if not submissions.is_dir():
        raise GradingRefused(
            f"SUBMISSIONS={submissions} is not a folder: give the folder that holds one folder (or .zip) per learner."
        )
    level = isolation_for(settings)
    entries = find_submissions(submissions)
    if not entries:
        raise GradingRefused(f"No submissions in {submissions}: expected one folder (or .zip) per learner.")
    jobs = max(1, settings.jobs or os.cpu_count() or 1)
    lanes = max(1, (os.cpu_count() or 1) // jobs)  # a submission's lessons at once, where cores are left over
    threads = max(1, (os.cpu_count() or 1) // (jobs * lanes))
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    grades: list[Grade] = []
    with tempfile.TemporaryDirectory(prefix="course-grade-all-") as scratch, kept_from_others(level, settings.hidden):
        Path(scratch).chmod(0o711)  # the sandboxes' users pass through; what is inside says who may read it
        checks = prepare_checks(Path(scratch), settings.hidden)
        if checks.modified:
            raise GradingRefused(
                "The course's grading files differ from checks/manifest.json: "
                + ", ".join(checks.modified[:5])
                + ".\nIf you changed the checks on purpose, run `make manifest`, then grade again."
            )
        lock = threading.Lock()
        names = unique_names(entries)
        numbers = {entry: index for index, entry in enumerate(entries)}
        slots = _Slots(jobs)

        def one(entry: Path) -> Grade:
            folder = Path(scratch) / f"s{numbers[entry]:05d}"
            with slots.taken() as slot:
                grade = grade_submission(names[entry], entry, checks, folder, settings, level, slot, threads, lanes)
            changed = integrity.modified_files()
            if changed:  # the instructor's own files changed while this submission ran
                grade.status = "broken"
                grade.reasons.append(f"the course's own files changed while it was graded: {', '.join(changed[:3])}")
            with contextlib.suppress(OSError):
                _writable_again(folder)
                shutil.rmtree(folder, ignore_errors=True)
            return grade

        bar = tqdm(
            total=len(entries), unit="submission", disable=not (progress and sys.stderr.isatty()), dynamic_ncols=True
        )
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for future in as_completed([pool.submit(one, entry) for entry in entries]):
                grade = future.result()
                with lock:
                    grades.append(grade)
                    try:
                        write_submission_files(grade, out / "submissions" / grade.submission)
                    except OSError as error:
                        grade.notes.append(printable(f"its report could not be written: {error}"))
                    if progress:
                        bar.write(_one_line(grade))
                    bar.update()
        bar.close()
    grades.sort(key=lambda grade: grade.submission)
    elapsed = time.monotonic() - started
    summary = {
        "course": course_info()["course"]["title"],
        "graded_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "checks_fingerprint": checks.fingerprint,
        "hidden_checks": checks.hidden_state,
        "isolation": level,
        "limits": next((grade.limits for grade in grades if grade.limits), []),
        "submissions": len(grades),
        "jobs": jobs,
        "time_limit_s": settings.time_limit,
        "deadline_s": settings.deadline,
        "seconds": round(elapsed, 1),
        "submissions_per_minute": round(60 * len(grades) / elapsed, 2) if elapsed else None,
        "longest_submission_s": max(grade.seconds for grade in grades),
    }
    write_gradebook(grades, summary, out)
    say("\n".join(class_summary_lines(grades, summary, out)))
    return grades, summary


def _writable_again(folder: Path) -> None:
    """The submission's read-only copy, made removable again."""
    for root, folders, _files in os.walk(folder):
        for name in folders:
            with contextlib.suppress(OSError):
                os.chmod(os.path.join(root, name), 0o755)
        with contextlib.suppress(OSError):
            os.chmod(root, 0o755)


def _one_line(grade: Grade) -> str:
    mark = "✓" if grade.status == "complete" else "✗" if grade.status in ("broken", "no submission") else "·"
    line = f"{mark} {grade.submission}: {grade.score:g}/{grade.max_score:g} ({grade.seconds:.0f} s)"
    if grade.reasons:
        line += f" · {grade.reasons[0]}" + (f" (+{len(grade.reasons) - 1} more)" if len(grade.reasons) > 1 else "")
    return line
