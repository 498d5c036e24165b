"""Grading for instructors: one tree (``make grade``) or a whole class (``make grade-all``).

Every grade comes from the same steps:

1. **The instructor's checks, verified.** ``checks/`` is compared with
   ``checks/manifest.json`` (see ``course/integrity.py``); if anything that
   decides a grade was changed, there is no grade, only "checks modified".
   The checks, plus any hidden checks from the configured folder, are copied
   into a fresh folder, so a submission never runs against its own ``checks/``.
2. **The submission, copied and fenced in.** Its ``lessons/`` tree is copied to
   a folder of its own; each lesson's checks run in a new process with a time
   limit, the whole submission has a time limit too, and the sandbox
   (``course/sandbox.py``) refuses writes outside that folder, network use and
   new programs.
3. **Points.** A lesson's points (``lessons/lessons.toml``) are shared among its
   checks, public and hidden, by each check's weight (``@pytest.mark.points``,
   default 1). A check that did not run scores nothing. A lesson whose code
   dodges its checks (``course/integrity.py``) or trips the sandbox scores 0.
4. **Reasons.** Anything that makes a submission "broken" (a syntax error, a
   missing file, a time-out, a package the course does not install, the
   sandbox, a dodge) is named per lesson, in words an instructor can forward.

The results are one dictionary per submission; ``gradescope_results`` and
``text_report`` render it, ``grade_all`` adds a gradebook (CSV and JSON) and a
histogram of scores per lesson.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from course import integrity
from course.lessons import ROOT, all_lessons, course_info, display_path
from course.runner import check_environment, process_limit, pytest_command, run_process, timeout_s

DEFAULT_TIME_LIMIT_S = 300.0
IMPORT_MODE = ("--import-mode=importlib",)  # public and hidden check files may share a name


# ---------------------------------------------------------------------------
# 1. The instructor's checks


def hidden_checks_setting() -> tuple[Path | None, bool]:
    """(folder, configured): HIDDEN_CHECKS, else ``[grading] hidden_checks`` in lessons.toml."""
    value = os.environ.get("HIDDEN_CHECKS")
    if value is None:
        value = course_info().get("grading", {}).get("hidden_checks", "")
    if not value:
        return None, False
    folder = Path(value).expanduser()
    folder = folder if folder.is_absolute() else (ROOT / folder)
    return (folder.resolve() if folder.is_dir() else None), True


@dataclass
class CheckSet:
    """The checks for one grading run, copied to ``folder``: public ones, then hidden ones under hidden/."""

    folder: Path
    files: dict[int, list[Path]]
    expected: dict[int, list[dict]]
    hidden_folder: Path | None
    hidden_configured: bool
    fingerprint: str
    modified: list[str] = field(default_factory=list)
    data_file: Path | None = None

    @property
    def ini(self) -> Path:
        return self.folder / "pytest.ini"

    @property
    def hidden_state(self) -> str:
        """"run" (hidden checks are part of this grade), "pending" (configured, not here) or "none"."""
        if self.hidden_folder is not None:
            return "run"
        return "pending" if self.hidden_configured else "none"


def prepare_checks(workdir: Path, hidden: Path | None | bool = True) -> CheckSet:
    """Verify the course's checks and copy them (and the hidden ones) to ``workdir/checks``.

    ``hidden=True`` uses the configured folder; a path uses that folder; ``False`` or None, none.
    """
    hashes = integrity.current_hashes()
    modified = integrity.modified_files(found=hashes)
    fingerprint = integrity.fingerprint(hashes)
    if hidden is True:
        hidden_folder, configured = hidden_checks_setting()
    else:
        hidden_folder, configured = (Path(hidden).resolve() if hidden else None), bool(hidden)
        if hidden_folder is not None and not hidden_folder.is_dir():
            raise SystemExit(f"HIDDEN_CHECKS={hidden} is not a folder.")
    folder = workdir / "checks"
    folder.mkdir(parents=True)
    for name in ["conftest.py", "pytest.ini", *(lesson.checks for lesson in all_lessons())]:
        shutil.copy2(ROOT / "checks" / name, folder / name)
    files = {lesson.id: [folder / lesson.checks] for lesson in all_lessons()}
    if hidden_folder is not None:
        shutil.copytree(hidden_folder, folder / "hidden", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for lesson in all_lessons():
            files[lesson.id] += sorted((folder / "hidden").glob(f"test_lesson{lesson.id:02d}*.py"))
    checks = CheckSet(folder, files, {}, hidden_folder, configured, fingerprint, modified, data_file=_mnist_on_disk())
    checks.expected = list_checks(checks)
    return checks


def _mnist_on_disk() -> Path:
    """Graded code runs with its own HOME and no network, so MNIST must be found on disk first."""
    from course.data import MNISTDataError, find_mnist_file

    try:
        found = find_mnist_file()
    except MNISTDataError as error:
        raise SystemExit(f"Grading needs MNIST on disk: {error}") from None
    if found is None:
        raise SystemExit(
            "Grading needs MNIST on disk and never downloads it: set MNIST_NPZ=/path/to/mnist.npz "
            "(the Makefile does when ../shared/data/mnist.npz exists) or copy it to data/mnist.npz."
        )
    return found.resolve()


def list_checks(checks: CheckSet) -> dict[int, list[dict]]:
    """Every check of every lesson, with its weight, from one pytest collection (no learner code runs)."""
    listing = checks.folder / "checks.json"
    files = [path for lesson in all_lessons() for path in checks.files[lesson.id]]
    command = pytest_command(all_lessons()[0], files, checks.ini, extra=(*IMPORT_MODE, "--collect-only", "--list-checks", str(listing)))
    run_process(command, check_environment(ROOT / "lessons"), 120, quiet=True)
    try:
        found = json.loads(listing.read_text())
    except (OSError, ValueError):
        raise SystemExit("The checks could not be collected: run `make check TARGET=solutions` to see why.") from None
    expected = {}
    for lesson in all_lessons():
        names = {path.relative_to(checks.folder).as_posix() for path in checks.files[lesson.id]}
        expected[lesson.id] = [check for check in found if check["nodeid"].split("::")[0] in names]
        if not expected[lesson.id]:
            raise SystemExit(f"No checks were found for lesson {lesson.id} in {display_path(lesson.checks_path)}.")
    return expected


# ---------------------------------------------------------------------------
# 2. One submission


def find_lessons_tree(path: Path) -> Path | None:
    """A submission is a lessons/ tree, or a whole clone that holds one."""
    for candidate in (path / "lessons", path):
        if any((candidate / lesson.dir).is_dir() for lesson in all_lessons()):
            return candidate
    return None


def _unpack(archive: Path, destination: Path) -> Path:
    """Extract a .zip submission, refusing members that would land outside ``destination``."""
    destination.mkdir(parents=True)
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            target = (destination / member.filename).resolve()
            if not target.is_relative_to(destination.resolve()):
                raise ValueError(f"the archive holds a path outside itself: {member.filename}")
        bundle.extractall(destination)
    entries = [entry for entry in destination.iterdir() if not entry.name.startswith((".", "__MACOSX"))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() and find_lessons_tree(destination) is None else destination


def _sandbox_environment(work: Path, tree: Path, checks_folder: Path, data_file: Path | None, threads: int | None) -> dict:
    folders = {name: work / name for name in ("home", "tmp", "outputs", "cache")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    extra = {
        "COURSE_SANDBOX": json.dumps({"write_roots": [str(work)], "learner_root": str(tree)}),
        "COURSE_SHORT_PATHS": os.pathsep.join([str(work), str(checks_folder.parent)]),  # lessons/..., checks/...
        "HOME": str(folders["home"]),
        "TMPDIR": str(folders["tmp"]),
        "COURSE_OUTPUTS": str(folders["outputs"]),
        "MPLCONFIGDIR": str(folders["cache"] / "matplotlib"),
        "KERAS_HOME": str(folders["cache"] / "keras"),
        "XDG_CACHE_HOME": str(folders["cache"]),
        "MNIST_OFFLINE": "1",
        "NO_COLOR": "1",
    }
    if data_file is not None:
        extra["MNIST_NPZ"] = str(data_file)
    if threads:
        extra.update(TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS=str(threads))
    return extra


def grade_submission(
    name: str,
    source: Path,
    checks: CheckSet,
    workdir: Path,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    lesson_ids: list[int] | None = None,
    threads: int | None = None,
) -> dict:
    """Grade one submission (a folder or a .zip) with ``checks``; returns its grade as a dictionary."""
    started = time.monotonic()
    lessons = [lesson for lesson in all_lessons() if lesson_ids is None or lesson.id in lesson_ids]
    grade = {
        "submission": name,
        "source": str(source),
        "checks_fingerprint": checks.fingerprint,
        "hidden_checks": checks.hidden_state,
        "lessons": [],
        "notes": [],
    }
    work = workdir / "work"
    work.mkdir(parents=True)
    try:
        unpacked = _unpack(source, work / "unpacked") if source.suffix == ".zip" and source.is_file() else source
        found = find_lessons_tree(unpacked) if unpacked.is_dir() else None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        found, grade["notes"] = None, [f"the submission could not be opened: {error}"]
    if found is None:
        grade["notes"] = grade["notes"] or [
            "no lessons found: expected a lessons/ folder, or lesson folders such as 01_load_data/, in the submission"
        ]
        return _finish(grade, lessons, checks, started)
    if (found.parent / "checks").is_dir() and found.name == "lessons":
        theirs = [name for name in integrity.modified_files(found.parent) if name.startswith("checks/")]
        if theirs:
            grade["notes"].append(f"its own copy of checks/ differs from the course's ({', '.join(theirs[:3])}); ignored: graded with the instructor's checks")
    tree = work / "lessons"
    shutil.copytree(found, tree, symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".git"))
    environment = check_environment(tree, _sandbox_environment(work, tree, checks.folder, checks.data_file, threads))
    (work / "logs").mkdir()
    deadline = started + time_limit
    for lesson in lessons:
        results_file = workdir / "results" / f"lesson{lesson.id:02d}.json"  # outside `work`: not writable by the submission
        results_file.parent.mkdir(exist_ok=True)
        remaining = deadline - time.monotonic()
        outcome = {"status": None, "ran_out": remaining <= 0, "results": {}}
        if remaining > 0:
            command = pytest_command(lesson, checks.files[lesson.id], checks.ini, results_file, extra=IMPORT_MODE)
            with open(work / "logs" / f"lesson{lesson.id:02d}.txt", "w") as log:
                status = run_process(command, environment, min(process_limit(lesson), remaining), cwd=work, output=log)
            outcome.update(status=status, ran_out=status is None)
            try:
                outcome["results"] = json.loads(results_file.read_text())
            except (OSError, ValueError):
                pass
        grade["lessons"].append(score_lesson(lesson, tree, checks, outcome, time_limit))
    return _finish(grade, lessons, checks, started, graded=True)


def _finish(grade: dict, lessons, checks: CheckSet, started: float, graded: bool = False) -> dict:
    if not graded:  # nothing could be run: every lesson scores 0 with every check "not run"
        grade["lessons"] = [score_lesson(lesson, None, checks, {"status": None, "ran_out": False, "results": {}}, 0) for lesson in lessons]
    grade["score"] = round(sum(lesson["score"] for lesson in grade["lessons"]), 2)
    grade["max_score"] = sum(lesson["max_score"] for lesson in grade["lessons"])
    grade["reasons"] = grade["notes"][:1] if not graded else [
        f"lesson {lesson['id']}: {reason}" for lesson in grade["lessons"] for reason in lesson["reasons"]
    ]
    grade["status"] = (
        "no submission" if not graded
        else "broken" if grade["reasons"]
        else "complete" if grade["score"] == grade["max_score"] and checks.hidden_state != "pending"
        else "graded"
    )  # fmt: skip
    grade["seconds"] = round(time.monotonic() - started, 1)
    return grade


def score_lesson(lesson, tree: Path | None, checks: CheckSet, outcome: dict, time_limit: float) -> dict:
    """One lesson's points, checks and reasons, from its results file (or their absence)."""
    results = outcome["results"]
    by_id = {check["nodeid"]: check for check in results.get("checks", [])}
    if outcome["ran_out"]:
        missing = f"not run: the submission used up its {time_limit:g} s time limit"
    elif outcome["status"] is None:
        missing = "not run"
    else:
        missing = f"not run: the checks' process ended early (exit status {outcome['status']})"
    checks_out = []
    for expected in checks.expected[lesson.id]:
        found = by_id.get(expected["nodeid"])
        status = found["status"] if found else "not run"
        checks_out.append(
            {
                "name": expected["name"],
                "nodeid": expected["nodeid"],
                "hidden": expected["hidden"],
                "weight": expected["points"],
                "status": status,
                "message": found["message"] if found else missing,
                "error": found.get("error") if found else None,
            }
        )
    reasons = lesson_reasons(lesson, tree, outcome, checks_out, time_limit) if tree is not None else []
    zeroed = [reason for reason in reasons if reason.endswith(ZERO)]
    total_weight = sum(check["weight"] for check in checks_out) or 1
    earned_weight = 0
    for check in checks_out:
        earned = check["status"] == "passed" and not zeroed
        earned_weight += check["weight"] if earned else 0
        check["max_score"] = round(lesson.points * check["weight"] / total_weight, 4)
        check["score"] = check["max_score"] if earned else 0.0
    public = [check for check in checks_out if not check["hidden"]]
    hidden = [check for check in checks_out if check["hidden"]]
    return {
        "id": lesson.id,
        "title": lesson.title,
        "label": lesson.label,
        "max_score": lesson.points,
        "score": round(lesson.points * earned_weight / total_weight, 2),
        "public": {"passed": sum(check["status"] == "passed" for check in public), "total": len(public)},
        "hidden": {"passed": sum(check["status"] == "passed" for check in hidden), "total": len(hidden)},
        "checks": checks_out,
        "reasons": reasons,
        "seconds": results.get("seconds"),
    }


ZERO = "; 0 points for this lesson"


def lesson_reasons(lesson, tree: Path, outcome: dict, checks: list[dict], time_limit: float) -> list[str]:
    """Why a lesson is broken, in words; empty for code that simply is not right (yet)."""
    stub = lesson.stub_path(tree)
    if not stub.is_file():
        return [f"lessons/{lesson.dir}/{lesson.stub} is missing"]
    lines_by_reason: dict[str, list[int]] = {}
    for flag in integrity.dodges(stub.read_text(errors="replace"), str(stub)):
        lines_by_reason.setdefault(flag.reason, []).append(flag.line)
    reasons = [
        f"{reason} (lessons/{lesson.dir}/{lesson.stub}, line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}){ZERO}"
        for reason, lines in lines_by_reason.items()
    ]
    for violation in outcome["results"].get("sandbox", []):
        where = f" ({violation['where']})" if violation.get("where") else ""
        reason = f"tried {violation['kind']}: {violation['detail']}{where}{ZERO}"
        if reason not in reasons:
            reasons.append(reason)
    errors = [check["error"] for check in checks if check["error"]]
    for error in errors:
        if error["type"] in ("SyntaxError", "IndentationError", "TabError"):
            reasons.append(f"{error['type']} in {error.get('file', lesson.stub)}, line {error.get('line', '?')}")
            break
    for error in errors:
        if error["type"] == "ModuleNotFoundError":
            reasons.append(f"imports a package the course does not install ({error['detail']})")
            break
    timed_out = [check for check in checks if check["status"] == "timeout"]
    if timed_out:
        reasons.append(f"{len(timed_out)} check(s) ran past the {timeout_s(lesson):g} s limit (a loop that never ends?)")
    if outcome["ran_out"]:
        reasons.append(f"stopped: the submission used up its {time_limit:g} s time limit")
    elif outcome["status"] is not None and not outcome["results"]:
        reasons.append(f"the checks' process ended without results (exit status {outcome['status']}): did the code end the process?")
    return reasons


# ---------------------------------------------------------------------------
# Renderings: text, Gradescope


def hidden_words(lesson: dict, state: str) -> str:
    if state == "run":
        return f" · hidden checks {lesson['hidden']['passed']}/{lesson['hidden']['total']}"
    return " · hidden checks not run here" if state == "pending" else ""


def check_counts(grade: dict, kind: str) -> tuple[int, int]:
    """(passed, total) of a grade's ``kind`` ("public" or "hidden") checks, over all its lessons."""
    return tuple(sum(lesson[kind][key] for lesson in grade["lessons"]) for key in ("passed", "total"))


def summary_line(grade: dict) -> str:
    """The last line of a report: never "all passed" while hidden checks are pending or failing."""
    public, hidden = check_counts(grade, "public"), check_counts(grade, "hidden")
    score = f"{grade['score']:g}/{grade['max_score']:g} points"
    state = grade["hidden_checks"]
    if grade["status"] == "checks modified":
        return "No grade: the checks were modified."
    if state == "run":
        counts = f"public checks {public[0]}/{public[1]} · hidden checks {hidden[0]}/{hidden[1]}"
        everything = public[0] == public[1] and hidden[0] == hidden[1]
        return f"{score}. " + (f"All checks passed ({counts})." if everything else f"{counts[0].upper()}{counts[1:]}.")
    if state == "pending":
        return f"{score}. Public checks {public[0]}/{public[1]}; hidden checks are not run here (your instructor runs them)."
    everything = public[0] == public[1]
    return f"{score}. " + (f"All checks passed ({public[0]}/{public[1]})." if everything else f"Checks {public[0]}/{public[1]}.")


def text_report(grade: dict) -> str:
    lines = [f"Grade for {grade['submission']}   (checks {grade['checks_fingerprint']}{', MODIFIED' if grade.get('modified') else ''})"]
    if grade["status"] == "checks modified":
        lines.append("  checks modified: " + ", ".join(grade["modified"][:5]) + (" ..." if len(grade["modified"]) > 5 else ""))
        lines.append("  The grading files differ from checks/manifest.json, so no grade is given.")
        lines.append("  Restore them (git checkout checks course lessons/lessons.toml) or, if you are the instructor, run `make manifest`.")
        return "\n".join(lines)
    width = max(len(lesson["label"]) for lesson in grade["lessons"]) if grade["lessons"] else 0
    for lesson in grade["lessons"]:
        counts = f"public checks {lesson['public']['passed']}/{lesson['public']['total']}" + hidden_words(lesson, grade["hidden_checks"])
        lines.append(f"  {lesson['label'].ljust(width)}  {lesson['score']:6.2f}/{lesson['max_score']:<3g}  {counts}")
    if grade["reasons"] or grade["notes"]:
        lines.append("Problems:")
        lines += [f"  - {reason}" for reason in grade["reasons"]]
        lines += [f"  - note: {note}" for note in grade["notes"] if note not in grade["reasons"]]
    lines.append(summary_line(grade))
    return "\n".join(lines)


def gradescope_results(grade: dict) -> dict:
    """The grade in Gradescope's results.json format (score, execution_time, output, tests)."""
    tests = []
    for lesson in grade["lessons"]:
        for number, check in enumerate(lesson["checks"], start=1):
            output = check["message"] if check["status"] != "passed" else ""
            if lesson["reasons"] and check["status"] == "passed" and check["score"] == 0:
                output = "; ".join(lesson["reasons"])
            tests.append(
                {
                    "name": f"{lesson['label']}: {check['name']}" + (" (hidden)" if check["hidden"] else ""),
                    "number": f"{lesson['id']}.{number}",
                    "score": check["score"],
                    "max_score": check["max_score"],
                    "status": "passed" if check["score"] > 0 or (check["status"] == "passed" and check["max_score"] == 0) else "failed",
                    "output": output,
                    "visibility": "after_published" if check["hidden"] else "visible",
                }
            )
    return {
        "score": grade["score"],
        "execution_time": int(round(grade.get("seconds") or 0)),
        "output": text_report(grade),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write_submission_files(grade: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grade.json").write_text(json.dumps(grade, indent=2))
    (folder / "results.json").write_text(json.dumps(gradescope_results(grade), indent=2))
    (folder / "report.txt").write_text(text_report(grade) + "\n")


# ---------------------------------------------------------------------------
# make grade: the current tree


def grade_tree(target: Path, out: Path, hidden=True, lesson_ids=None, results: Path | None = None, time_limit=None) -> int:
    """Grade one tree in place of a learner or an autograder; prints the report, writes the files."""
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        checks = prepare_checks(Path(scratch), hidden)
        name = display_path(target)
        if checks.modified:
            grade = {
                "submission": name, "source": str(target), "checks_fingerprint": checks.fingerprint,
                "hidden_checks": checks.hidden_state, "status": "checks modified", "modified": checks.modified,
                "lessons": [], "score": 0, "max_score": sum(lesson.points for lesson in all_lessons()),
                "reasons": ["checks modified"], "notes": [], "seconds": 0,
            }  # fmt: skip
        else:
            print(f"Grading {name}/ with the course's checks (each lesson in its own process) ...", flush=True)
            grade = grade_submission(name, target, checks, Path(scratch) / "submission", time_limit or DEFAULT_TIME_LIMIT_S, lesson_ids)
            grade["modified"] = []
    write_submission_files(grade, out)
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(gradescope_results(grade), indent=2))
    print(text_report(grade))
    print(f"\nWritten: {display_path(out / 'results.json')} (Gradescope format), {display_path(out / 'report.txt')}, {display_path(out / 'grade.json')}")
    if results is not None:
        print(f"         {results}")
    # Exit status 0 when every check that ran passed (what an autograder step needs).
    everything = grade["status"] in ("complete", "graded") and grade["score"] == grade["max_score"]
    return 0 if everything else 1


# ---------------------------------------------------------------------------
# make grade-all: a whole class


def find_submissions(folder: Path) -> list[Path]:
    entries = sorted(entry for entry in folder.iterdir() if not entry.name.startswith((".", "_")))
    return [entry for entry in entries if entry.is_dir() or entry.suffix == ".zip"]


def grade_all(
    submissions: Path,
    out: Path,
    jobs: int | None = None,
    time_limit: float = DEFAULT_TIME_LIMIT_S,
    lesson_ids: list[int] | None = None,
    hidden=True,
    progress: bool = True,
) -> list[dict]:
    """Grade every submission in ``submissions`` in parallel; write the gradebook to ``out``."""
    from tqdm import tqdm

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
                "The course's grading files differ from checks/manifest.json: " + ", ".join(checks.modified[:5])
                + ".\nIf you changed the checks on purpose, run `make manifest`, then grade again."
            )  # fmt: skip
        grades, lock = [], threading.Lock()
        names = _unique_names(entries)

        def one(entry: Path) -> dict:
            grade = grade_submission(names[entry], entry, checks, Path(scratch) / "s" / names[entry], time_limit, lesson_ids, threads)
            changed = integrity.modified_files()
            if changed:  # the instructor's own files changed while this submission ran
                grade["status"] = "broken"
                grade["reasons"].append(f"the course's own files changed while it was graded: {', '.join(changed[:3])}")
            shutil.rmtree(Path(scratch) / "s" / names[entry], ignore_errors=True)
            return grade

        bar = tqdm(total=len(entries), unit="submission", disable=not (progress and sys.stderr.isatty()), dynamic_ncols=True)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(one, entry): entry for entry in entries}
            for future in as_completed(futures):
                grade = future.result()
                with lock:
                    grades.append(grade)
                    write_submission_files(grade, out / "submissions" / grade["submission"])
                    mark = "✓" if grade["status"] == "complete" else "✗" if grade["status"] in ("broken", "no submission") else "·"
                    line = f"{mark} {grade['submission']}: {grade['score']:g}/{grade['max_score']:g} ({grade['seconds']:.0f} s)"
                    if grade["reasons"]:
                        line += f" · {grade['reasons'][0]}" + (f" (+{len(grade['reasons']) - 1} more)" if len(grade["reasons"]) > 1 else "")
                    if progress:
                        bar.write(line)
                    bar.update()
        bar.close()
    grades.sort(key=lambda grade: grade["submission"])
    elapsed = time.monotonic() - started
    summary = {
        "course": course_info()["course"]["title"],
        "graded_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "checks_fingerprint": checks.fingerprint,
        "hidden_checks": checks.hidden_state,
        "submissions": len(grades),
        "jobs": jobs,
        "time_limit_s": time_limit,
        "seconds": round(elapsed, 1),
        "submissions_per_minute": round(60 * len(grades) / elapsed, 2) if elapsed else None,
        "longest_submission_s": max(grade["seconds"] for grade in grades),
    }
    write_gradebook(grades, summary, out)
    return grades


def _unique_names(entries: list[Path]) -> dict[Path, str]:
    names, seen = {}, set()
    for entry in entries:
        base = entry.stem if entry.suffix == ".zip" else entry.name
        name, number = base, 2
        while name in seen:
            name, number = f"{base}-{number}", number + 1
        seen.add(name)
        names[entry] = name
    return names


def write_gradebook(grades: list[dict], summary: dict, out: Path) -> None:
    lessons = all_lessons()
    with open(out / "gradebook.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["submission", "status", "score", "max_score", "percent", *(f"lesson_{lesson.id}" for lesson in lessons),
             "public_checks", "hidden_checks", "seconds", "reasons"]
        )  # fmt: skip
        for grade in grades:
            by_id = {lesson["id"]: lesson for lesson in grade["lessons"]}
            public, hidden = check_counts(grade, "public"), check_counts(grade, "hidden")
            writer.writerow(
                [grade["submission"], grade["status"], f"{grade['score']:g}", f"{grade['max_score']:g}",
                 f"{100 * grade['score'] / grade['max_score']:.1f}" if grade["max_score"] else "0",
                 *(f"{by_id[lesson.id]['score']:g}" if lesson.id in by_id else "" for lesson in lessons),
                 f"{public[0]}/{public[1]}", f"{hidden[0]}/{hidden[1]}" if summary["hidden_checks"] == "run" else summary["hidden_checks"],
                 f"{grade['seconds']:.1f}", "; ".join(grade["reasons"] + [note for note in grade["notes"] if note not in grade["reasons"]])]
            )  # fmt: skip
    (out / "gradebook.json").write_text(json.dumps({"summary": summary, "grades": grades}, indent=2))
    plot_scores(grades, out / "scores.png")


def plot_scores(grades: list[dict], path: Path) -> None:
    """A histogram of points per lesson, and of the totals: where did the class get stuck?"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lessons = [lesson for lesson in all_lessons() if any(lesson.id == graded["id"] for grade in grades for graded in grade["lessons"])]
    panels = len(lessons) + 1
    columns = min(4, panels)
    rows = -(-panels // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows), squeeze=False)
    flat = axes.ravel()
    for axis, lesson in zip(flat, lessons):
        scores = [graded["score"] for grade in grades for graded in grade["lessons"] if graded["id"] == lesson.id]
        axis.hist(scores, bins=10, range=(0, lesson.points), color="#4c72b0", edgecolor="white")
        mean = sum(scores) / len(scores)
        axis.axvline(mean, color="#333333", linestyle="--", linewidth=1)
        axis.set_title(f"{lesson.id} · {lesson.title}   (mean {mean:.1f}/{lesson.points})", fontsize=9)
        axis.set_xlim(0, lesson.points)
        axis.set_xlabel("points", fontsize=8)
    total_axis = flat[len(lessons)]
    maximum = max(grade["max_score"] for grade in grades) or 1
    totals = [grade["score"] for grade in grades]
    total_axis.hist(totals, bins=10, range=(0, maximum), color="#dd8452", edgecolor="white")
    total_axis.axvline(sum(totals) / len(totals), color="#333333", linestyle="--", linewidth=1)
    total_axis.set_title(f"Total   (mean {sum(totals) / len(totals):.1f}/{maximum:g})", fontsize=9, fontweight="bold")
    total_axis.set_xlim(0, maximum)
    total_axis.set_xlabel("points", fontsize=8)
    for axis in flat[len(lessons) + 1 :]:
        axis.axis("off")
    for axis in flat[: len(lessons) + 1]:
        axis.set_ylabel("submissions", fontsize=8)
        axis.tick_params(labelsize=7)
        axis.yaxis.get_major_locator().set_params(integer=True)
    figure.suptitle(f"Scores of {len(grades)} submissions (dashed: the mean)", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def print_class_summary(grades: list[dict], out: Path) -> None:
    statuses = {}
    for grade in grades:
        statuses[grade["status"]] = statuses.get(grade["status"], 0) + 1
    summary = json.loads((out / "gradebook.json").read_text())["summary"]
    print(
        f"\nGraded {len(grades)} submissions in {summary['seconds']:.0f} s with {summary['jobs']} in parallel "
        f"({summary['submissions_per_minute']:.1f} per minute; the longest took {summary['longest_submission_s']:.0f} s)."
    )
    print("  " + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())))
    if summary["hidden_checks"] == "pending":
        print("  Hidden checks are configured but their folder was not found: grades are from the public checks only.")
    print(f"Written: {display_path(out / 'gradebook.csv')}, {display_path(out / 'gradebook.json')}, {display_path(out / 'scores.png')},")
    print(f"         and one folder per submission under {display_path(out / 'submissions')}/ (results.json, report.txt)")
