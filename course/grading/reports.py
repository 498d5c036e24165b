"""A Grade, rendered: a text report for the learner, and Gradescope's results.json.

The report's last line never says "All checks passed" unless every point was
earned: not while hidden checks are pending or failing, not when a lesson was
voided (a dodge, the audit hook, tampering).
"""

from __future__ import annotations

import json
from pathlib import Path

from course.grading.scoring import Grade, LessonScore


def hidden_words(lesson: LessonScore, state: str) -> str:
    if state == "run":
        passed, total = lesson.counts(hidden=True)
        return f" · hidden checks {passed}/{total}"
    return " · hidden checks not run here" if state == "pending" else ""


def summary_line(grade: Grade) -> str:
    """The last line of a report."""
    (public_passed, public_total), (hidden_passed, hidden_total) = grade.counts(False), grade.counts(True)
    score = f"{grade.score:g}/{grade.max_score:g} points"
    if grade.status == "checks modified":
        return "No grade: the checks were modified."
    voided = " Some lessons scored 0 (see Problems above)." if grade.reasons else ""
    if grade.hidden_checks == "run":
        counts = f"public checks {public_passed}/{public_total} · hidden checks {hidden_passed}/{hidden_total}"
        if grade.everything_passed:
            return f"{score}. All checks passed ({counts})."
        return f"{score}. {counts[0].upper()}{counts[1:]}.{voided}"
    if grade.hidden_checks == "pending":
        return (
            f"{score}. Public checks {public_passed}/{public_total}; "
            f"hidden checks are not run here (your instructor runs them).{voided}"
        )
    if grade.everything_passed:
        return f"{score}. All checks passed ({public_passed}/{public_total})."
    return f"{score}. Checks {public_passed}/{public_total}.{voided}"


def text_report(grade: Grade) -> str:
    lines = [
        f"Grade for {grade.submission}   (checks {grade.checks_fingerprint}{', MODIFIED' if grade.modified else ''})"
    ]
    if grade.status == "checks modified":
        lines.append(
            "  checks modified: " + ", ".join(grade.modified[:5]) + (" ..." if len(grade.modified) > 5 else "")
        )
        lines.append("  The grading files differ from checks/manifest.json, so no grade is given.")
        lines.append(
            "  Restore them (git checkout checks course lessons/lessons.toml) "
            "or, if you are the instructor, run `make manifest`."
        )
        return "\n".join(lines)
    width = max((len(lesson.label) for lesson in grade.lessons), default=0)
    for lesson in grade.lessons:
        passed, total = lesson.counts(hidden=False)
        counts = f"public checks {passed}/{total}" + hidden_words(lesson, grade.hidden_checks)
        lines.append(f"  {lesson.label.ljust(width)}  {lesson.score:6.2f}/{lesson.max_score:<3g}  {counts}")
    if grade.limits:
        lines.append("  Graded with: " + "; ".join(grade.limits))
    if grade.reasons or grade.notes:
        lines.append("Problems:")
        lines += [f"  - {reason}" for reason in grade.reasons]
        lines += [f"  - note: {note}" for note in grade.notes if note not in grade.reasons]
    lines.append(summary_line(grade))
    return "\n".join(lines)


def gradescope_results(grade: Grade) -> dict:
    """The grade in Gradescope's results.json format (score, execution_time, output, tests)."""
    tests = []
    for lesson in grade.lessons:
        for number, check in enumerate(lesson.checks, start=1):
            passed, output = lesson.verdict(check)
            tests.append(
                {
                    "name": f"{lesson.label}: {check.name}" + (" (hidden)" if check.hidden else ""),
                    "number": f"{lesson.id}.{number}",
                    "score": check.score,
                    "max_score": check.max_score,
                    "status": "passed" if passed else "failed",
                    "output": output,
                    "output_format": "text",
                    "visibility": "after_published" if check.hidden else "visible",
                }
            )
    return {
        "score": grade.score,
        "execution_time": round(grade.seconds or 0),
        "output": text_report(grade),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write_submission_files(grade: Grade, folder: Path) -> None:
    """grade.json, results.json (Gradescope) and report.txt; any name in them survives any bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grade.json").write_text(json.dumps(grade.to_dict(), indent=2), encoding="utf-8", errors="replace")
    results = json.dumps(gradescope_results(grade), indent=2)
    (folder / "results.json").write_text(results, encoding="utf-8", errors="replace")
    (folder / "report.txt").write_text(text_report(grade) + "\n", encoding="utf-8", errors="replace")


def say_grade(grade: Grade, out: Path, results: Path | None = None, say=print) -> int:
    """`make grade`: write the files, print the report; the exit status is 0 when every check that ran passed."""
    from course.lessons import display_path

    write_submission_files(grade, out)
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(gradescope_results(grade), indent=2), encoding="utf-8", errors="replace")
    say(text_report(grade))
    say(
        f"\nWritten: {display_path(out / 'results.json')} (Gradescope format), "
        f"{display_path(out / 'report.txt')}, {display_path(out / 'grade.json')}"
    )
    if results is not None:
        say(f"         {results}")
    return 0 if grade.status in ("complete", "graded") and grade.checks_that_ran_passed else 1
