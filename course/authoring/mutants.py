"""Mutation testing of the checks: do they tell right code from plausibly wrong code?

A check that passes the reference solution and fails the stub can still let
wrong code through. ``make mutants`` measures how much: it takes each lesson's
solution, changes one small thing inside one of its TODO regions (a mutant:
``<`` for ``<=``, ``rows[-1] + 1`` for ``rows[-1]``, two arguments swapped,
a keyword argument dropped, the wrong variable returned, ...), and grades the
changed file with that lesson's checks, exactly as ``make check-lessonN`` would
(a process per mutant, the lesson's time limits). A mutant is

* **killed** when at least one check fails, **timed out** when the checks ran
  past their limit (both count as caught);
* **survived** when every check passes: wrong code the checks cannot see;
* **equivalent** when the change does not change behaviour at all (a figure a
  little larger, a keyword that repeats the default). Those are listed, each
  with a reason, in ``checks/mutants.toml`` after a person has read them, and
  are left out of the score.

The mutation score of a lesson is caught / (mutants - equivalent).

Why not mutmut or cosmic-ray? Both mutate whole modules, not marked regions of
one file; mutmut 3 runs the tests in forked children of one process (which
TensorFlow does not survive) through trampolines in a ``mutants/`` copy, and
cosmic-ray writes each mutant over the file in place, one at a time. Grading a
copied tree with the course's own runner is simpler, parallel, and tests the
checks exactly as learners meet them. The operators below follow theirs.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from course.authoring import learner_bugs
from course.authoring.mutate import Mutant, mutants_of
from course.authoring.mutation_report import OUTPUT, Outcome, held_out_score, print_report, write_report
from course.lessons import CHECKS_DIR, SOLUTIONS_DIR, all_lessons, display_path, get_lesson

REVIEWED = CHECKS_DIR / "mutants.toml"

# ---------------------------------------------------------------------------
# The reviewed list: equivalent mutants and the fixed sample


def reviewed() -> dict:
    """checks/mutants.toml: {"equivalent": {id: reason}, "sample": [ids]}."""
    try:
        data = tomllib.loads(REVIEWED.read_text())
    except FileNotFoundError:
        return {"equivalent": {}, "sample": []}
    equivalent = {entry["id"]: entry["reason"] for entry in data.get("equivalent", [])}
    return {"equivalent": equivalent, "sample": list(data.get("sample", {}).get("ids", []))}


# ---------------------------------------------------------------------------
# Running the checks against a mutant


def run_mutant(mutant: Mutant, workdir: Path, threads: int | None = None) -> Outcome:
    """Grade a copy of solutions/ with this mutant in place, stopping at the first failed check."""
    from course.checking.runner import check_environment, process_limit, pytest_command, run_process

    lesson = get_lesson(mutant.lesson)
    tree = workdir / "tree"
    shutil.copytree(SOLUTIONS_DIR, tree, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.h5", "*.bak"))
    lesson.file_in(tree).write_text(mutant.source)
    results = workdir / "results.json"
    outputs = workdir / "outputs"
    outputs.mkdir()
    extra = {"COURSE_OUTPUTS": str(outputs), "NO_COLOR": "1", "MPLCONFIGDIR": str(workdir / "mpl")}
    if threads:
        extra.update(TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS="1", OMP_NUM_THREADS=str(threads))
    command = pytest_command(
        lesson, [lesson.checks_path], results_file=results, extra=("-x", "--basetemp", str(workdir / "pytest"))
    )
    started = time.monotonic()
    status = run_process(command, check_environment(tree, extra), process_limit(lesson), quiet=True, cwd=workdir)
    seconds = time.monotonic() - started
    if status is None:
        return Outcome(mutant, "timed out", seconds, "the whole lesson's time limit")
    try:
        checks = json.loads(results.read_text())["checks"]
    except (OSError, ValueError, KeyError):
        return Outcome(mutant, "killed", seconds, f"the checks' process ended early (exit status {status})")
    failed = next((check for check in checks if check["status"] != "passed"), None)
    if failed is None and status == 0:
        return Outcome(mutant, "survived", seconds)
    if failed is None:
        return Outcome(mutant, "killed", seconds, f"exit status {status}")
    return Outcome(mutant, "timed out" if failed["status"] == "timeout" else "killed", seconds, failed["name"])


def clean_run_problems(lessons, jobs: int | None = None) -> list[str]:
    """Grade the unchanged solutions first, as mutation testers do.

    A check that fails there would "kill" every mutant.
    """
    lesson_ids = [lesson.id for lesson in lessons]
    originals = [
        Mutant(lesson_id, 0, "", 0, "none", "", "", get_lesson(lesson_id).file_in(SOLUTIONS_DIR).read_text())
        for lesson_id in lesson_ids
    ]
    problems = []
    with (
        tempfile.TemporaryDirectory(prefix="course-mutants-clean-") as scratch,
        ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool,
    ):
        folders = [Path(scratch) / str(lesson_id) for lesson_id in lesson_ids]
        for folder in folders:
            folder.mkdir()
        for outcome in pool.map(run_mutant, originals, folders):
            if outcome.status != "survived":
                problems.append(f"lesson {outcome.mutant.lesson}: {outcome.caught_by or outcome.status}")
    return problems


def run_all(mutants: list[Mutant], jobs: int | None = None, progress: bool = True) -> list[Outcome]:
    """Grade every mutant, ``jobs`` at a time; equivalent ones (checks/mutants.toml) are not run."""
    from tqdm import tqdm

    equivalent = {**reviewed()["equivalent"], **{m.id: m.harmless for m in mutants if getattr(m, "harmless", "")}}
    jobs = max(1, jobs or os.cpu_count() or 1)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    outcomes = [Outcome(mutant, "equivalent", 0.0) for mutant in mutants if mutant.id in equivalent]
    to_run = [mutant for mutant in mutants if mutant.id not in equivalent]
    with tempfile.TemporaryDirectory(prefix="course-mutants-") as scratch:
        bar = tqdm(total=len(to_run), unit="mutant", disable=not (progress and sys.stderr.isatty()), dynamic_ncols=True)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = {}
            for number, mutant in enumerate(to_run):
                folder = Path(scratch) / f"{number:04d}"
                folder.mkdir()
                futures[pool.submit(run_mutant, mutant, folder, threads)] = folder
            for future in as_completed(futures):
                outcome = future.result()
                outcomes.append(outcome)
                shutil.rmtree(futures[future], ignore_errors=True)
                if outcome.status == "survived":
                    mutant = outcome.mutant  # a held-out bug is counted, never shown: nobody may tune on it
                    said = f"{mutant.id}  {mutant.description}"
                    bar.write(f"  survived: {f'a held-out bug of lesson {mutant.lesson}' if mutant.held_out else said}")
                bar.update()
        bar.close()
    return sorted(outcomes, key=lambda outcome: (outcome.mutant.lesson, outcome.mutant.line, outcome.mutant.id))


THRESHOLD = 90.0  # the score every lesson must reach
HELD_OUT = 95.0  # the share of the held-out learner bugs every lesson must catch


def main(
    lesson_ids: list[int] | None = None,
    sample: bool = False,
    jobs: int | None = None,
    progress: bool = True,
    ids: list[str] | None = None,
    learner_only: bool = False,
    halves=("tuned", "held out"),
) -> int:
    """``make mutants``: generate, grade, report. Exit status 0 when every lesson scores >= THRESHOLD
    and every catalogued learner bug (checks/learner_bugs.toml) is caught or marked harmless.

    With ``sample`` only the fixed sample of checks/mutants.toml runs (``ids``: only those mutants),
    and every one of them must be caught; ``learner_only``: the catalogue alone.
    """
    if ids:
        lesson_ids = sorted({int(mutant_id[1:].split("-")[0]) for mutant_id in ids})
    lessons = [lesson for lesson in all_lessons() if lesson_ids is None or lesson.id in lesson_ids]
    bugs = learner_bugs.load({lesson.id for lesson in lessons}, halves)
    mutants = [] if learner_only else [mutant for lesson in lessons for mutant in mutants_of(lesson.id)]
    mutants += bugs
    known = {mutant.id for mutant in mutants}
    review = reviewed()
    stale = [
        mutant_id
        for mutant_id in review["equivalent"]
        if mutant_id not in known
        and int(mutant_id[1:].split("-")[0]) in {lesson.id for lesson in lessons}
        and not learner_only
    ]
    if sample or ids:
        sample = True
        wanted = ids or [
            mutant_id
            for mutant_id in review["sample"]
            if int(mutant_id[1:].split("-")[0]) in {lesson.id for lesson in lessons}
        ]
        missing = [mutant_id for mutant_id in wanted if mutant_id not in known]
        if missing:
            print(f"✗ these mutants do not exist (any more): {', '.join(missing)}")
            return 1
        mutants = [mutant for mutant in mutants if mutant.id in wanted]
        which = "the mutants asked for" if ids else "fixed sample"
        lesson_list = ", ".join(str(lesson.id) for lesson in lessons)
        print(f"Mutation testing, {which}: {len(mutants)} mutants of lessons {lesson_list}")
    else:
        print(
            f"Mutation testing: {len(mutants) - len(bugs)} mutants of the solutions' TODO regions and "
            f"{len(bugs)} catalogued learner bugs, each graded like `make check-lessonN` "
            f"({jobs or os.cpu_count()} at a time)"
        )
    started = time.monotonic()
    broken = clean_run_problems(lessons, jobs)
    if broken:
        print("✗ The checks do not pass on the solutions themselves, so no mutant can be judged:")
        for problem in broken:
            print(f"  {problem}")
        print("Run `make check TARGET=solutions` to see why (is MNIST where the course looks? `make data`).")
        return 1
    outcomes = run_all(mutants, jobs, progress)
    if sample:
        escaped = [outcome for outcome in outcomes if outcome.status == "survived"]
        for outcome in outcomes:
            mark = "✗ survived" if outcome.status == "survived" else f"✓ {outcome.status}"
            print(
                f"  {mark:12} {outcome.mutant.id}  {outcome.mutant.description}"
                + (f"  [{outcome.caught_by}]" if outcome.caught_by else "")
            )
        caught = len(outcomes) - len(escaped)
        kind = "" if ids else "sample "
        print(f"{caught}/{len(outcomes)} {kind}mutants caught in {time.monotonic() - started:.0f} s.")
        return 1 if escaped else 0
    summary = write_report(outcomes)
    print()
    print_report(summary)
    if stale:
        print(f"\nchecks/mutants.toml lists equivalents that no longer exist (remove them): {', '.join(stale)}")
    low = [lesson_id for lesson_id, s in summary.items() if s["mutants"] and s["score"] < THRESHOLD]
    escaped = [bug for s in summary.values() for bug in s["learner"]["survivors"]]
    weak = [lesson_id for lesson_id, s in summary.items() if s["held_out"]["mutants"] and held_out_score(s) < HELD_OUT]
    print(f"\nTook {time.monotonic() - started:.0f} s. Report: {display_path(OUTPUT / 'summary.json')}")
    if low:
        print(f"✗ below {THRESHOLD:g}%: lesson {', '.join(map(str, low))}")
    elif not learner_only:
        print(f"✓ every lesson scores at least {THRESHOLD:g}%")
    if escaped:
        print(f"✗ {len(escaped)} catalogued learner bug(s) pass the checks: {', '.join(b['id'] for b in escaped)}")
    elif "tuned" in halves:
        print("✓ every catalogued learner bug is caught (or marked harmless, with its reason)")
    if weak:
        print(f"✗ held-out bugs caught below {HELD_OUT:g}% in lesson {', '.join(map(str, weak))}")
    return 1 if low or stale or escaped or weak else 0
