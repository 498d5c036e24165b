"""Classroom 50: grade a learner's checkout and write its ``result.json`` (the bundle's autograder.py calls this).

Classroom 50, GitHub Classroom's open successor, runs an assignment's
``autograder.py`` in the learner's checkout on GitHub Actions and reads
``./result.json`` (schema ``classroom50/result/v1``). ``make classroom50``
writes that bundle (``course.handout.classroom50``): the script, and beside it
this course's grader with its own checks. Only the learner's lesson files are
taken from the checkout; the checks, the grader and its settings are the
bundle's.

Classroom 50 counts in whole numbers, while a check's share of its lesson's
points comes in hundredths (10 points over 7 checks), so ``score`` and
``max-score`` count hundredths of a point: 10000 is the whole course, 100.00
points, exactly as ``make grade`` reports it. Each test also carries
``points`` and ``max-points`` in points (extra fields are kept verbatim), and
a ``message`` that says, as ``make check`` would, why a check did not pass.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path

from course.grading.reports import text_report
from course.grading.scoring import Grade
from course.lessons import all_lessons

SCHEMA = "classroom50/result/v1"
HUNDREDTHS = 100  # result.json's unit: a hundredth of a point


def committed_at(checkout: Path) -> str | None:
    """The graded commit's committer date in UTC (Classroom 50's "datetime": the same on every regrade)."""
    try:
        shown = subprocess.run(
            ["git", "-C", str(checkout), "log", "-1", "--format=%ct"], capture_output=True, text=True, timeout=30
        )
        stamp = datetime.datetime.fromtimestamp(int(shown.stdout.strip()), datetime.UTC)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def tests_of(grade: Grade) -> list[dict]:
    """One test per check, in hundredths of a point; a lesson that was not graded is one failed test."""
    tests = []
    for lesson in grade.lessons:
        for check in lesson.checks:
            passed, message = lesson.verdict(check)
            tests.append(
                {
                    "test-name": f"{lesson.label} › {check.name}" + (" (hidden)" if check.hidden else ""),
                    "passed": passed,
                    "score": round(check.score * HUNDREDTHS),
                    "max-score": round(check.max_score * HUNDREDTHS),
                    "points": check.score,
                    "max-points": check.max_score,
                    "message": message,
                }
            )
    why = "; ".join(grade.reasons) or grade.status
    for lesson in all_lessons() if not grade.lessons else ():  # nothing was graded: every lesson says why
        tests.append(
            {
                "test-name": lesson.label,
                "passed": False,
                "score": 0,
                "max-score": lesson.points * HUNDREDTHS,
                "points": 0,
                "max-points": lesson.points,
                "message": f"not graded: {why}",
            }
        )
    return tests


def result_json(grade: Grade, environ=None, submitted: str | None = None) -> dict:
    """The grade as Classroom 50's result.json; identity fields come from the runner's environment."""
    environ = os.environ if environ is None else environ
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tests = tests_of(grade)
    commit = environ.get("COMMIT_URL", "local")
    return {
        "schema": SCHEMA,
        "classroom": environ.get("CLASSROOM", "local"),
        "assignment": environ.get("ASSIGNMENT", "local"),
        "submission": environ.get("SUBMISSION_TAG", "submit/local"),
        "commit": commit,
        "release": environ.get("RELEASE_URL", "local"),
        "review": environ.get("REVIEW_URL") or commit,
        "datetime": submitted or now,
        "graded_at": now,
        "score": sum(test["score"] for test in tests),
        "max-score": sum(test["max-score"] for test in tests),
        "tests": tests,
        "points": grade.score,
        "max-points": grade.max_score,
        "status": grade.status,
    }


def release_body(grade: Grade) -> str:
    """The submission Release's text: the grade report, points and reasons, as `make grade` prints it."""
    return f"## {grade.score:g} / {grade.max_score:g} points\n\n```\n{text_report(grade)}\n```\n"


def grade_checkout(checkout: Path, result: Path, settings) -> int:
    """`python -m course classroom50-grade`: grade the lesson files in ``checkout``; write result.json beside.

    The exit status is 0 whenever result.json was written (a failing check is a result, not an error).
    """
    from course.grading.grade import grade_tree

    checkout = Path(checkout).resolve()
    grade = grade_tree(checkout, settings)
    result.write_text(json.dumps(result_json(grade, submitted=committed_at(checkout)), indent=2) + "\n")
    result.with_name("release-body.md").write_text(release_body(grade))
    print(text_report(grade))
    print(f"\nWrote {result} ({grade.score:g} of {grade.max_score:g} points, in hundredths).")
    return 0
