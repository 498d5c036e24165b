"""Command line behind the Makefile: ``python -m course <command>``.

    check N|all [--target T]   grade lesson N (or every lesson)
    run N [--target T]         run lesson N's file as a script
    progress [--target T]      a table of every lesson's checks, and what to do next
    hint N [--todo n]          one more hint for lesson N (or for its TODO n)
    reset N [--yes]            put lesson N's stub back (asks first; keeps a .bak)
    watch [--target T]         re-grade the first unfinished lesson on every save
    stubs [--force] [--check]  regenerate lessons/ from solutions/ (instructors)
    grade [--target T]         grade a tree: points, Gradescope results.json, a report
    grade-all SUBMISSIONS      grade a whole class in parallel: gradebook CSV/JSON, histogram
    manifest [--check]         record (or verify) the hashes of the grading files
    classroom                  write the GitHub Classroom workflow from lessons.toml
    mutants [--lessons] [--sample]  mutation testing of the checks (score per lesson)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import runpy
import sys
import traceback
from pathlib import Path

from course.lessons import (
    ROOT,
    add_stage_paths,
    all_lessons,
    course_info,
    display_path,
    get_lesson,
    resolve_target,
)
from course.runner import run_checks

RESULTS_DIR = ROOT / ".course" / "results"


def command_check(args) -> int:
    target = resolve_target(args.target)
    lessons = all_lessons() if args.lesson == "all" else [get_lesson(args.lesson)]
    statuses = {}
    for index, lesson in enumerate(lessons):
        if index:
            print()
        results = grade_cached(lesson, target, quiet=False, refresh=True)  # `make progress` reuses them
        statuses[lesson.id] = results.get("exit_status", 1)
        # COURSE_RESULTS=dir/ keeps each lesson's results as JSON (the project's tests read them).
        if os.environ.get("COURSE_RESULTS"):
            copy = Path(os.environ["COURSE_RESULTS"]) / f"lesson{lesson.id:02d}.json"
            copy.write_text(json.dumps(results, indent=2))
    if len(lessons) > 1:
        failed = [lesson_id for lesson_id, status in statuses.items() if status]
        print()
        if failed:
            print(f"Lessons with checks still to pass: {', '.join(map(str, failed))}")
        else:
            from course.grading.checkset import hidden_checks_setting

            if hidden_checks_setting()[1]:  # hidden checks exist for this class: say "public", never "all"
                print("Every lesson passes its public checks (your instructor's hidden checks run when you are graded).")
                print(course_info()["course"]["finished"])
            else:
                print(f"Every lesson passes. {course_info()['course']['finished']}")
    return 1 if any(statuses.values()) else 0


def fingerprint(lesson, target: Path) -> str:
    """Changes whenever anything that decides the lesson's results changes.

    That is the learner's file and the files of the lessons its checks also run
    (``runs_lessons`` in lessons.toml: lesson 6's capstone runs them all), the
    lesson's checks and their settings, lessons.toml and its hints, and the
    course's own code (the grader, the data loader, the page the app serves).
    """
    paths = [lesson.stub_path(target)] + [get_lesson(other).stub_path(target) for other in lesson.runs_lessons]
    paths += [lesson.checks_path, ROOT / "checks" / "conftest.py", ROOT / "checks" / "pytest.ini"]
    paths += [ROOT / "lessons" / "lessons.toml", ROOT / "lessons" / ".hints.json"]
    paths += sorted((ROOT / "course").rglob("*.py")) + sorted(path for path in (ROOT / "app_template").rglob("*") if path.is_file())
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode() + b"\0" + (path.read_bytes() if path.exists() else b"missing") + b"\0")
    return digest.hexdigest()


def _cache_dir(target: Path) -> Path:
    cache = RESULTS_DIR / hashlib.sha256(str(target).encode()).hexdigest()[:12]
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def grade_cached(lesson, target: Path, quiet: bool = True, refresh: bool = False) -> dict:
    """A lesson's results, from the cache when neither the learner's file nor the checks changed."""
    results_file = _cache_dir(target) / f"lesson{lesson.id:02d}.json"
    stamp = fingerprint(lesson, target)
    try:
        cached = json.loads(results_file.read_text())
    except (OSError, ValueError):
        cached = {}
    if refresh or cached.get("fingerprint") != stamp:
        if quiet:
            print(f"  grading lesson {lesson.id} ...", file=sys.stderr, flush=True)
        results_file.unlink(missing_ok=True)
        status = run_checks(lesson, target, results_file, quiet=quiet)
        try:
            cached = json.loads(results_file.read_text())
        except (OSError, ValueError):
            cached = {"checks": []}
        cached["fingerprint"] = stamp
        cached["exit_status"] = status
        results_file.write_text(json.dumps(cached, indent=2))
    return cached


def all_passed(results: dict) -> bool:
    checks = results.get("checks", [])
    return bool(checks) and all(check["status"] == "passed" for check in checks)


def next_step_lines(lesson, results: dict, target: Path) -> list[str]:
    """What a learner should do next on an unfinished lesson, in two or three lines."""
    stub = display_path(lesson.stub_path(target))
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


def command_progress(args) -> int:
    target = resolve_target(args.target)
    rows, next_lesson = [], None
    for lesson in all_lessons():
        results = grade_cached(lesson, target)
        checks = results.get("checks", [])
        passed = sum(check["status"] == "passed" for check in checks)
        if all_passed(results):
            status = "✓ done"
        elif passed == 0 and checks and all(check["status"] == "todo" for check in checks):
            status = "not started"
        elif not checks:
            status = "✗ could not be graded"
        else:
            status = "in progress"
        if status != "✓ done" and next_lesson is None:
            next_lesson = (lesson, results)
        rows.append((str(lesson.id), lesson.title, f"{passed}/{len(checks)}", status))
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


def command_hint(args) -> int:
    from course.learner import show_hints

    return show_hints(args.lesson, todo=args.todo)


def command_reset(args) -> int:
    from course.learner import reset_lesson

    return reset_lesson(args.lesson, assume_yes=args.yes)


def command_watch(args) -> int:
    from course.learner import watch

    target = resolve_target(args.target)
    print(f"Finding your first unfinished lesson in {display_path(target)}/ ...", flush=True)
    start = next((lesson for lesson in all_lessons() if not all_passed(grade_cached(lesson, target))), None)
    if start is None:
        print(course_info()["course"]["finished"])
        return 0

    def regrade(lesson) -> bool:
        return all_passed(grade_cached(lesson, target, quiet=False, refresh=True))

    return watch(target, regrade, start=start, stop_after=args.stop_after)


def command_run(args) -> int:
    from course.grader import TODO_MESSAGE, _learner_frames

    lesson = get_lesson(args.lesson)
    target = resolve_target(args.target)
    path = lesson.stub_path(target)
    if not path.is_file():
        print(f"There is no {display_path(path)} to run.")
        return 1
    add_stage_paths(target)
    os.environ.setdefault("MPLBACKEND", "Agg")
    from course.quiet import uses_tensorflow

    if uses_tensorflow(path):
        from course.pipeline import configure_tensorflow

        configure_tensorflow()
    print(f"Running {display_path(path)}\n")
    try:
        runpy.run_path(str(path), run_name="__main__")
    except KeyboardInterrupt:
        print("\nStopped.")
        return 130
    except Exception as error:
        from course.data import MNISTDataError

        if os.environ.get("VERBOSE", "") not in ("", "0"):
            traceback.print_exc()
        mine = _learner_frames(error.__traceback__, target)
        match = TODO_MESSAGE.search(str(error))
        if isinstance(error, NotImplementedError) and match:
            where = Path(mine[-1].filename) if mine else path
            owner = next((other for other in all_lessons() if other.stub_path(target).resolve() == where.resolve()), lesson)
            print(f"\nNot done yet: {match['function']}() (TODO {match['number']}) in {display_path(where)}.")
            print(f"Finish it, then grade it with `make check-lesson{owner.id}`.")
        elif isinstance(error, MNISTDataError):
            print(f"\nThe data could not be loaded: {error}")
        elif mine:
            frame = mine[-1]
            print(f"\nYour code raised an error in {display_path(Path(frame.filename))}, line {frame.lineno}, in {frame.name}:")
            print(f"    {(frame.line or '').strip()}\n{type(error).__name__}: {error}")
            print("(VERBOSE=1 shows the full traceback.)")
        else:
            traceback.print_exc()
        return 1
    return 0


def report_problems(problems: list[str], all_good: str, fix: str) -> int:
    """Print each problem, then what to do (or that all is well); the exit status says which."""
    for problem in problems:
        print(f"  ✗ {problem}")
    print(fix if problems else all_good)
    return 1 if problems else 0


def command_stubs(args) -> int:
    from course import stubs

    if args.check:
        return report_problems(stubs.out_of_sync(), "lessons/ is in sync with solutions/.", "Run `make stubs` to regenerate.")
    if args.gutted:
        destination = Path(args.gutted)
        stubs.write_tree(destination, gutted=True)
        print(f"Gutted stubs written to {destination}")
        return 0
    print("Regenerating lessons/ from solutions/:")
    return stubs.write_stubs(force=args.force)


def _lesson_ids(text: str | None) -> list[int] | None:
    if not text:
        return None
    return [get_lesson(part.strip()).id for part in text.replace(" ", ",").split(",") if part.strip()]


def _hidden_option(args):
    if args.no_hidden:
        return False
    return args.hidden or True


def command_grade(args) -> int:
    from course.grading.grade import grade_tree

    target = resolve_target(args.target)
    out = Path(args.out) if args.out else ROOT / "outputs" / "grade"
    results = Path(args.results) if args.results else None
    return grade_tree(
        target, out, hidden=_hidden_option(args), lesson_ids=_lesson_ids(args.lessons), results=results,
        time_limit=args.time_limit, trust=args.trust_submissions,
    )  # fmt: skip


def command_grade_all(args) -> int:
    from course.grading.grade import grade_all

    submissions = Path(args.submissions)
    if not submissions.is_dir():
        raise SystemExit(f"SUBMISSIONS={args.submissions} is not a folder: give the folder that holds one folder (or .zip) per learner.")
    out = Path(args.out) if args.out else ROOT / "outputs" / "grades"
    grade_all(
        submissions, out, jobs=args.jobs, time_limit=args.time_limit, lesson_ids=_lesson_ids(args.lessons),
        hidden=_hidden_option(args), progress=not args.quiet, trust=args.trust_submissions,
    )  # fmt: skip
    return 0


def command_manifest(args) -> int:
    from course.grading import integrity

    if args.check:
        return report_problems(
            integrity.modified_files(), "checks/manifest.json matches the grading files.",
            "These grading files differ from checks/manifest.json: restore them, or (instructors) run `make manifest`.",
        )  # fmt: skip
    hashes = integrity.write_manifest()
    print(f"✓ {display_path(integrity.MANIFEST)}: {len(hashes)} grading files recorded (checks {integrity.fingerprint(hashes)})")
    return 0


def command_mutants(args) -> int:
    from course.mutants import main

    ids = [part.strip() for part in (args.ids or "").split(",") if part.strip()]
    return main(_lesson_ids(args.lessons), sample=args.sample, jobs=args.jobs, progress=not args.quiet, ids=ids or None)


def command_classroom(args) -> int:
    from course.grading.classroom import write_workflow

    return write_workflow()


def command_classroom_result(args) -> int:
    from course.grading.classroom import classroom_result

    return classroom_result(get_lesson(args.lesson).id)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="grade a lesson")
    check.add_argument("lesson", help="lesson number, or 'all'")
    run = commands.add_parser("run", help="run a lesson's file")
    run.add_argument("lesson")
    progress = commands.add_parser("progress", help="table of all lessons")
    watch = commands.add_parser("watch", help="re-grade on every save")
    watch.add_argument("--stop-after", type=float, default=None, help=argparse.SUPPRESS)  # for tests
    hint = commands.add_parser("hint", help="one more hint for a lesson")
    hint.add_argument("lesson")
    hint.add_argument("--todo", type=int, default=None, help="only hints for this TODO")
    reset = commands.add_parser("reset", help="restore a lesson's stub")
    reset.add_argument("lesson")
    reset.add_argument("--yes", action="store_true", help="do not ask")
    for sub in (check, run, progress, watch):
        sub.add_argument("--target", default=None, help="lessons (default), solutions, or a folder")
    stub = commands.add_parser("stubs", help="regenerate lessons/ from solutions/")
    stub.add_argument("--force", action="store_true", help="overwrite edited stubs (backed up first)")
    stub.add_argument("--check", action="store_true", help="only report whether lessons/ is in sync")
    stub.add_argument("--gutted", metavar="DIR", help="write stubs with `pass` instead of `raise` to DIR")
    grade = commands.add_parser("grade", help="grade a tree for points")
    grade.add_argument("--target", default=None, help="lessons (default), solutions, or a folder")
    grade.add_argument("--out", default=None, help="folder for results.json, report.txt, grade.json (outputs/grade)")
    grade.add_argument("--results", default=None, help="also write the Gradescope results.json here")
    grade_all = commands.add_parser("grade-all", help="grade a folder of submissions")
    grade_all.add_argument("submissions", help="a folder holding one folder (or .zip) per learner")
    grade_all.add_argument("--out", default=None, help="folder for the gradebook (outputs/grades)")
    grade_all.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: CPU cores)")
    grade_all.add_argument("--quiet", action="store_true", help="no progress bar")
    for sub in (grade, grade_all):
        sub.add_argument("--lessons", default=None, help="only these lessons, e.g. 1,2")
        sub.add_argument("--hidden", default=None, help="folder of hidden checks (default: HIDDEN_CHECKS or lessons.toml)")
        sub.add_argument("--no-hidden", action="store_true", help="grade with the public checks only")
        sub.add_argument("--time-limit", type=float, default=None, help="seconds for each lesson of a submission (default: the lesson's own limit)")
        sub.add_argument("--trust-submissions", action="store_true", help="grade even where the code cannot be isolated (no bubblewrap)")
    commands.add_parser("classroom", help="write .github/workflows/classroom.yml")
    classroom_result = commands.add_parser("classroom-result", help="grade one lesson for GitHub Classroom (per-check credit)")
    classroom_result.add_argument("lesson")
    mutants = commands.add_parser("mutants", help="mutation testing of the checks")
    mutants.add_argument("--lessons", default=None, help="only these lessons, e.g. 1,2")
    mutants.add_argument("--sample", action="store_true", help="only the fixed sample in checks/mutants.toml")
    mutants.add_argument("--jobs", type=int, default=None, help="mutants graded at once (default: CPU cores)")
    mutants.add_argument("--quiet", action="store_true", help="no progress bar")
    mutants.add_argument("--ids", default=None, help="only these mutants (ids from the report), e.g. L5-T5-9c3cfc95")
    manifest = commands.add_parser("manifest", help="record the hashes of the grading files")
    manifest.add_argument("--check", action="store_true", help="only report whether they match")
    args = parser.parse_args(argv)
    from course.runner import stop_on_sigterm

    stop_on_sigterm()  # `make watch` or a grader stopped with SIGTERM takes its checks' processes with it
    handler = {
        "check": command_check,
        "run": command_run,
        "progress": command_progress,
        "stubs": command_stubs,
        "hint": command_hint,
        "reset": command_reset,
        "watch": command_watch,
        "grade": command_grade,
        "grade-all": command_grade_all,
        "manifest": command_manifest,
        "classroom": command_classroom,
        "classroom-result": command_classroom_result,
        "mutants": command_mutants,
    }
    return handler[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
