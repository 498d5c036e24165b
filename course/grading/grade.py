"""Grading one submission, one tree (``make grade``) or a whole class (``make grade-all``)."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from course.grading import integrity, isolation
from course.grading.checkset import CheckSet, HiddenChecks, prepare_checks
from course.grading.gradebook import class_summary_lines, write_gradebook
from course.grading.isolation import Limits
from course.grading.lessonrun import lesson_budget, run_lesson_checks
from course.grading.reports import gradescope_results, text_report, write_submission_files
from course.grading.scoring import Grade, dodge_reasons, run_reasons, score_lesson
from course.grading.submission import (
    arrange_flat,
    copy_safely,
    find_lessons_tree,
    find_submissions,
    flat_upload,
    unique_names,
    unpack,
)
from course.lessons import LESSONS_DIR, SOLUTIONS_DIR, all_lessons, course_info, display_path


def isolation_for(trust: bool, own_tree: bool = False) -> str:
    """The isolation to grade with; refuses untrusted code that cannot be isolated here."""
    level = isolation.level()
    if level == "none" and not (trust or own_tree):
        raise SystemExit(
            f"Grading runs each submission's code, and here it cannot be isolated: {isolation.why_not_isolated()}.\n"
            "Install bubblewrap, or grade with TRUST=1 (--trust-submissions) if you trust every submission."
        )
    return level


def _open(source: Path, work: Path) -> tuple[Path | None, list[str]]:
    """The submission's lessons tree: unpacked, arranged from a flat upload, or as it is."""
    try:
        if source.is_dir() and find_lessons_tree(source) is None and not flat_upload(source):
            archives = sorted(source.glob("*.zip"))
            if len(archives) == 1:  # a .zip uploaded as it is (Gradescope keeps it in /autograder/submission)
                source = archives[0]
        if source.suffix == ".zip" and source.is_file():
            source = unpack(source, work / "unpacked")
        if source.is_dir() and flat_upload(source):
            source = arrange_flat(source, work / "arranged")
        return (find_lessons_tree(source) if source.is_dir() else None), []
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        return None, [f"the submission could not be opened: {error}"]


def grade_submission(
    name: str,
    source: Path,
    checks: CheckSet,
    workdir: Path,
    time_limit: float | None = None,
    lesson_ids: list[int] | None = None,
    threads: int | None = None,
    level: str | None = None,
    limits: Limits | None = None,
) -> Grade:
    """Grade one submission (a folder, a clone, a .zip or a flat upload): each lesson in a sandbox of its own."""
    started = time.monotonic()
    level = level or isolation.level()
    limits = limits or Limits()
    lessons = [lesson for lesson in all_lessons() if lesson_ids is None or lesson.id in lesson_ids]
    grade = Grade(name, str(source), checks.fingerprint, checks.hidden_state, isolation=level)
    work = workdir / "work"
    work.mkdir(parents=True)
    found, grade.notes = _open(source, work)
    if found is None:
        grade.notes = grade.notes or [
            "no lessons found: expected a lessons/ folder, or lesson folders such as 01_load_data/, in the submission"
        ]
        grade.lessons = [score_lesson(lesson, checks.expected[lesson.id], [], "not run", []) for lesson in lessons]
        return grade.finish(False, time.monotonic() - started)
    if (found.parent / "checks").is_dir() and found.name == "lessons":
        theirs = [path for path in integrity.modified_files(found.parent) if path.startswith("checks/")]
        if theirs:
            grade.notes.append(
                f"its own copy of checks/ differs from the course's ({', '.join(theirs[:3])}); "
                "ignored: graded with the instructor's checks"
            )
    tree = work / "submission"
    grade.notes += copy_safely(found, tree)
    for lesson in lessons:
        budget = lesson_budget(lesson, time_limit)
        lesson_limits = Limits(
            limits.memory_mb,
            limits.processes,
            int(budget * (os.cpu_count() or 1)) + 30,
            limits.file_mb,
            limits.open_files,
        )
        reasons = dodge_reasons(lesson, tree)
        records, seconds, missing = [], 0.0, "not run"
        runs = [(checks.files[lesson.id], checks.folder, False)]
        if checks.hidden_files[lesson.id]:
            runs.append((checks.hidden_files[lesson.id], checks.hidden_dir, True))  # a sandbox of its own
        for files, folder, hidden in runs:
            if (
                level == "user" and checks.hidden_dir is not None
            ):  # no namespaces: permissions keep the hidden checks away
                checks.hidden_dir.chmod(0o755 if hidden else 0o700)
            scratch = workdir / f"lesson{lesson.id:02d}{'-hidden' if hidden else ''}"
            run = run_lesson_checks(
                lesson,
                files,
                folder,
                checks.expected[lesson.id],
                tree,
                scratch,
                checks,
                hidden=hidden,
                budget=budget,
                limits=lesson_limits,
                threads=threads,
                isolation=level,
            )
            records += run.records
            seconds += run.seconds
            reasons += [
                reason for reason in run_reasons(lesson, run, budget, limits.memory_mb) if reason not in reasons
            ]
            if run.ran_out:
                missing = f"not run: the lesson used up its {budget:g} s time budget"
            elif run.done is None:
                missing = f"not run: the checks' process ended early (exit status {run.status})"
            shutil.rmtree(scratch, ignore_errors=True)
        grade.lessons.append(
            score_lesson(lesson, checks.expected[lesson.id], records, missing, reasons, round(seconds, 2))
        )
    return grade.finish(True, time.monotonic() - started)


def own_tree(target: Path) -> bool:
    """The course's own lessons/ or solutions/: a learner grading their own work, not a stranger's."""
    return target.resolve() in (LESSONS_DIR.resolve(), SOLUTIONS_DIR.resolve())


def grade_tree(
    target: Path,
    out: Path,
    hidden: HiddenChecks | None = None,
    lesson_ids=None,
    results: Path | None = None,
    time_limit=None,
    trust=False,
) -> int:
    """Grade one tree as a learner or an autograder would; prints the report, writes the files."""
    level = isolation_for(trust, own_tree(target))
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        checks = prepare_checks(Path(scratch), hidden)
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
        else:
            where = {"bwrap": "each lesson in a sandbox of its own", "user": "each lesson as an unprivileged user"}.get(
                level, "not sandboxed"
            )
            print(f"Grading {name}/ with the course's checks ({where}) ...", flush=True)
            grade = grade_submission(
                name, target, checks, Path(scratch) / "submission", time_limit, lesson_ids, level=level
            )
    write_submission_files(grade, out)
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(gradescope_results(grade), indent=2))
    print(text_report(grade))
    print(
        f"\nWritten: {display_path(out / 'results.json')} (Gradescope format), "
        f"{display_path(out / 'report.txt')}, {display_path(out / 'grade.json')}"
    )
    if results is not None:
        print(f"         {results}")
    # Exit status 0 when every check that ran passed (what an autograder step needs).
    return 0 if grade.status in ("complete", "graded") and grade.checks_that_ran_passed else 1


def grade_all(
    submissions: Path,
    out: Path,
    jobs: int | None = None,
    time_limit: float | None = None,
    lesson_ids=None,
    hidden: HiddenChecks | None = None,
    progress: bool = True,
    trust: bool = False,
) -> list[Grade]:
    """Grade every submission in ``submissions`` in parallel; write the gradebook to ``out``."""
    from tqdm import tqdm

    if not submissions.is_dir():
        raise SystemExit(
            f"SUBMISSIONS={submissions} is not a folder: give the folder that holds one folder (or .zip) per learner."
        )
    level = isolation_for(trust)
    entries = find_submissions(submissions)
    if not entries:
        raise SystemExit(f"No submissions in {submissions}: expected one folder (or .zip) per learner.")
    jobs = max(1, jobs or os.cpu_count() or 1)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="course-grade-all-") as scratch:
        checks = prepare_checks(Path(scratch), hidden)
        if checks.modified:
            raise SystemExit(
                "The course's grading files differ from checks/manifest.json: "
                + ", ".join(checks.modified[:5])
                + ".\nIf you changed the checks on purpose, run `make manifest`, then grade again."
            )
        grades: list[Grade] = []
        lock = threading.Lock()
        names = unique_names(entries)

        def one(entry: Path) -> Grade:
            folder = Path(scratch) / "s" / names[entry]
            grade = grade_submission(names[entry], entry, checks, folder, time_limit, lesson_ids, threads, level)
            changed = integrity.modified_files()
            if changed:  # the instructor's own files changed while this submission ran
                grade.status = "broken"
                grade.reasons.append(f"the course's own files changed while it was graded: {', '.join(changed[:3])}")
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
                    write_submission_files(grade, out / "submissions" / grade.submission)
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
        "submissions": len(grades),
        "jobs": jobs,
        "time_limit_s": time_limit,
        "seconds": round(elapsed, 1),
        "submissions_per_minute": round(60 * len(grades) / elapsed, 2) if elapsed else None,
        "longest_submission_s": max(grade.seconds for grade in grades),
    }
    write_gradebook(grades, summary, out)
    print("\n".join(class_summary_lines(grades, summary, out)))
    return grades


def _one_line(grade: Grade) -> str:
    mark = "✓" if grade.status == "complete" else "✗" if grade.status in ("broken", "no submission") else "·"
    line = f"{mark} {grade.submission}: {grade.score:g}/{grade.max_score:g} ({grade.seconds:.0f} s)"
    if grade.reasons:
        line += f" · {grade.reasons[0]}" + (f" (+{len(grade.reasons) - 1} more)" if len(grade.reasons) > 1 else "")
    return line
