"""``make bench-grade``: how fast does ``make grade-all`` get through a class on this machine?

It builds a class of 40 submissions from the solutions and stubs (every kind
in course/bench/sample_class.py, complete, partial and broken, in turn), grades
them all with one submission per CPU core at a time, and prints submissions
per minute and the longest single submission. As a baseline measured in the
same run, a slice of the same class is graded both ways: all at once (one
per core) and one submission at a time; their ratio is what parallel grading buys.
Each lesson's median wall and CPU seconds are printed for complete
submissions and untouched stubs apart (where the time goes).
Then a complete submission is graded three times sandboxed (bubblewrap, as
grade-all does) and three times without a sandbox: what isolation costs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from course.bench.sample_class import KINDS, make_submission
from course.grading import isolation
from course.grading.checkset import prepare_checks
from course.grading.class_grading import grade_all
from course.grading.grade import grade_submission
from course.grading.settings import GradingSettings
from course.lessons import ROOT, HiddenChecks


def build(folder: Path, count: int) -> list[str]:
    kinds = [KINDS[index % len(KINDS)] for index in range(count)]
    for index, kind in enumerate(kinds):
        make_submission(kind, folder / f"{index + 1:02d}-{kind}", escape_target=folder.parent / "escaped.txt")
    return kinds


def run(submissions: Path, out: Path, jobs: int) -> tuple[float, list]:
    started = time.monotonic()
    grades, _summary = grade_all(submissions, out, GradingSettings(jobs=jobs, hidden=HiddenChecks.none()))
    return time.monotonic() - started, grades


def isolation_cost(scratch: Path, repeats: int = 3) -> None:
    """A complete submission, graded alone, sandboxed and not, in turns: seconds each way and the ratio."""
    submission = make_submission("complete", scratch / "complete")
    scratch.chmod(0o711)
    checks = prepare_checks(scratch / "checks", HiddenChecks.none())
    settings = GradingSettings(hidden=HiddenChecks.none())
    times = {"bwrap": [], "none": []}
    for repeat in range(repeats):
        for level in times:
            started = time.monotonic()
            folder = scratch / f"{level}-{repeat}"
            grade = grade_submission("complete", submission, checks, folder, settings, level)
            times[level].append(time.monotonic() - started)
            assert grade.score == grade.max_score, (level, grade.reasons)
    best = {level: min(values) for level, values in times.items()}
    print(f"\nIsolation: a complete submission, graded {repeats} times each way, in turns")
    for level, values in times.items():
        print(
            f"  {'sandboxed (bubblewrap)' if level == 'bwrap' else 'not sandboxed':24} "
            + "  ".join(f"{value:5.1f} s" for value in values)
            + f"   best {best[level]:.1f} s"
        )
    print(f"  ratio (sandboxed / not sandboxed, best of each): {best['bwrap'] / best['none']:.2f}x")


def per_lesson(grades: list) -> None:
    """Each lesson's median wall and CPU seconds, for complete submissions and untouched stubs apart."""
    print("\n  per lesson, median of the class (complete / stub):   wall s         CPU s")
    for lesson_id in sorted({lesson.id for grade in grades for lesson in grade.lessons}):
        cells = []
        for measure in ("seconds", "cpu_seconds"):
            for kind in ("complete", "stub"):
                values = [
                    getattr(lesson, measure)
                    for grade in grades
                    if grade.submission.endswith(f"-{kind}")
                    for lesson in grade.lessons
                    if lesson.id == lesson_id and getattr(lesson, measure) is not None
                ]
                cells.append(f"{statistics.median(values):5.1f}" if values else "    -")
        print(f"    lesson {lesson_id}{'':41}{cells[0]} / {cells[1]}   {cells[2]} / {cells[3]}")


def main(submissions: int = 40, baseline: int = 6, jobs: int | None = None, isolation_cost_too: bool = True) -> int:
    """`make bench-grade`: a class of ``submissions`` graded ``jobs`` at a time.

    A slice of ``baseline`` submissions is graded both ways.
    """
    jobs = jobs or os.cpu_count() or 1

    with tempfile.TemporaryDirectory(prefix="bench-grade-") as scratch:
        scratch = Path(scratch)
        kinds = build(scratch / "class", submissions)
        print(
            f"bench-grade: {submissions} submissions ({len(set(kinds))} kinds), {jobs} at a time, "
            f"on {os.cpu_count()} CPU cores\n",
            flush=True,
        )
        out = ROOT / "outputs" / "bench-grade"
        shutil.rmtree(out, ignore_errors=True)
        seconds, grades = run(scratch / "class", out, jobs)
        rate = 60 * len(grades) / seconds
        longest = max(grades, key=lambda grade: grade.seconds)
        print(
            f"\n  grade-all, {jobs} at a time: {len(grades)} submissions in {seconds:.0f} s "
            f"= {rate:.1f} submissions/min"
        )
        print(f"  longest single submission: {longest.seconds:.0f} s ({longest.submission})")
        by_status = Counter(grade.status for grade in grades)
        print("  outcomes: " + ", ".join(f"{count} {status}" for status, count in sorted(by_status.items())))
        per_lesson(grades)
        print(f"  gradebook and histogram: {out.relative_to(ROOT)}/")

        if baseline:
            slice_folder = scratch / "slice"
            slice_folder.mkdir()
            for path in sorted((scratch / "class").iterdir())[:baseline]:
                path.rename(slice_folder / path.name)
            print(f"\nBaseline: the first {baseline} submissions, graded both ways", flush=True)
            par_seconds, _ = run(slice_folder, scratch / "out-slice-parallel", jobs)
            base_seconds, base_grades = run(slice_folder, scratch / "out-slice", 1)
            par_rate, base_rate = (60 * len(base_grades) / value for value in (par_seconds, base_seconds))
            print(f"\n  slice, {jobs} at a time: {par_seconds:.0f} s = {par_rate:.1f} submissions/min")
            print(f"  slice, one at a time: {base_seconds:.0f} s = {base_rate:.1f} submissions/min")
            print(f"  ratio (parallel / one at a time): {par_rate / base_rate:.2f}x")
        if isolation_cost_too and isolation.level() == "bwrap":
            isolation_cost(scratch / "isolation")
    return 0
