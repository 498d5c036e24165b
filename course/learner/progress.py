"""Grading a learner's own tree: ``make check-lessonN``, ``make check``, ``make progress`` and ``make watch``.

Each lesson's results are kept in ``.course/results/`` with a key that changes
whenever anything that decides them changes, so ``make progress`` re-grades
only the lessons that need it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

from course.checking.runner import CheckSettings, run_checks
from course.lessons import ROOT, all_lessons, course_info, display_path, get_lesson

RESULTS_DIR = ROOT / ".course" / "results"


def check_lessons(which: str, target: Path, settings: CheckSettings) -> int:
    """`make check-lessonN` (``which`` = N) and `make check` (``which`` = "all"): grade, print, keep the results."""
    lessons = all_lessons() if which == "all" else [get_lesson(which)]
    statuses = {}
    for index, lesson in enumerate(lessons):
        if index:
            print()
        results = grade_cached(lesson, target, settings, quiet=False, refresh=True)  # `make progress` reuses them
        statuses[lesson.id] = results.get("exit_status", 1)
        if settings.results_copy is not None:  # COURSE_RESULTS=dir/: each lesson's results as JSON (for the tests)
            copy = settings.results_copy / f"lesson{lesson.id:02d}.json"
            copy.write_text(json.dumps(results, indent=2))
    if len(lessons) > 1:
        failed = [lesson_id for lesson_id, status in statuses.items() if status]
        print()
        if failed:
            print(f"Lessons with checks still to pass: {', '.join(map(str, failed))}")
        else:
            from course.lessons import HiddenChecks

            if HiddenChecks.setting().configured:  # hidden checks exist for this class: say "public", never "all"
                print(
                    "Every lesson passes its public checks (your instructor's hidden checks run when you are graded)."
                )
                print(course_info()["course"]["finished"])
            else:
                print(f"Every lesson passes. {course_info()['course']['finished']}")
    return 1 if any(statuses.values()) else 0


def results_key(lesson, target: Path) -> str:
    """Changes whenever anything that decides the lesson's results changes.

    That is the learner's file and the files of the lessons its checks also run
    (``runs_lessons`` in lessons.toml: lesson 6's capstone runs them all), the
    lesson's checks and their settings, lessons.toml and its hints, and the
    course's own code (the grader, the data loader, the page the app serves).
    """
    paths = [lesson.file_in(target)] + [get_lesson(other).file_in(target) for other in lesson.runs_lessons]
    paths += [lesson.checks_path, ROOT / "checks" / "conftest.py", ROOT / "checks" / "pytest.ini"]
    paths += [ROOT / "lessons" / "lessons.toml", ROOT / "lessons" / ".hints.json"]
    paths += sorted((ROOT / "course").rglob("*.py")) + sorted(
        path for path in (ROOT / "app_template").rglob("*") if path.is_file()
    )
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode() + b"\0" + (path.read_bytes() if path.exists() else b"missing") + b"\0")
    return digest.hexdigest()


def _cache_dir(target: Path) -> Path:
    cache = RESULTS_DIR / hashlib.sha256(str(target).encode()).hexdigest()[:12]
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def grade_cached(lesson, target: Path, settings: CheckSettings, quiet: bool = True, refresh: bool = False) -> dict:
    """A lesson's results, from the cache when neither the learner's file nor the checks changed."""
    results_file = _cache_dir(target) / f"lesson{lesson.id:02d}.json"
    stamp = results_key(lesson, target)
    try:
        cached = json.loads(results_file.read_text())
    except (OSError, ValueError):
        cached = {}
    if refresh or cached.get("key") != stamp:
        if quiet:
            print(f"  grading lesson {lesson.id} ...", file=sys.stderr, flush=True)
        results_file.unlink(missing_ok=True)
        status = run_checks(lesson, target, results_file, quiet=quiet, settings=settings)
        try:
            cached = json.loads(results_file.read_text())
        except (OSError, ValueError):
            cached = {"checks": []}
        cached["key"] = stamp
        cached["exit_status"] = status
        results_file.write_text(json.dumps(cached, indent=2))
    return cached


def all_passed(results: dict) -> bool:
    checks = results.get("checks", [])
    return bool(checks) and all(check["status"] == "passed" for check in checks)


def next_step_lines(lesson, results: dict, target: Path) -> list[str]:
    """What a learner should do next on an unfinished lesson, in two or three lines."""
    stub = display_path(lesson.file_in(target))
    checks = results.get("checks", [])
    first = next((check for check in checks if check["status"] != "passed"), None)
    lines = [f"Next: lesson {lesson.id}, {lesson.title}. Read lessons/{lesson.dir}/README.md and edit {stub}."]
    if first is not None:
        detail = first["message"].splitlines()[0] if first["message"] else first["status"]
        lines.append(f"      First check to fix: {first['name']} ({detail})")
    lines.append(
        f"      `make check-lesson{lesson.id}` grades it, `make watch` re-grades on every save, "
        f"`make hint-lesson{lesson.id}` gives a hint."
    )
    return lines


def lesson_status(counts: Counter) -> str:
    """A lesson's word in the progress table, from how many of its checks ended how."""
    if not counts:
        return "✗ could not be graded"
    if counts["passed"] == counts.total():
        return "✓ done"
    if counts["todo"] == counts.total():
        return "not started"
    return "in progress"


def show_progress(target: Path, settings: CheckSettings) -> int:
    """`make progress`: a table of every lesson's checks (graded again only where something changed), then what next."""
    rows, next_lesson = [], None
    for lesson in all_lessons():
        results = grade_cached(lesson, target, settings)
        counts = Counter(check["status"] for check in results.get("checks", []))
        status = lesson_status(counts)
        if status != "✓ done" and next_lesson is None:
            next_lesson = (lesson, results)
        rows.append((str(lesson.id), lesson.title, f"{counts['passed']}/{counts.total()}", status))
    header = ("Lesson", "Title", "Checks", "Status")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(4)]
    print(f"Progress of {display_path(target)}/")
    for row in [header, tuple("-" * width for width in widths), *rows]:
        print(("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths))).rstrip())
    print()
    if next_lesson is None:
        print(course_info()["course"]["finished"])
    else:
        print("\n".join(next_step_lines(*next_lesson, target)))
    return 0


def watch_lessons(target: Path, settings: CheckSettings, stop_after: float | None = None) -> int:
    """`make watch`: from the first unfinished lesson, re-graded on every save."""
    from dataclasses import replace

    from course.learner.watch import watch

    print(f"Finding your first unfinished lesson in {display_path(target)}/ ...", flush=True)
    start = next((lesson for lesson in all_lessons() if not all_passed(grade_cached(lesson, target, settings))), None)
    if start is None:
        print(course_info()["course"]["finished"])
        return 0
    watching = replace(settings, watching=True)  # the checks then say "save" rather than "run make check-lessonN"

    def regrade(lesson) -> bool:
        return all_passed(grade_cached(lesson, target, watching, quiet=False, refresh=True))

    return watch(target, regrade, start=start, stop_after=stop_after)
