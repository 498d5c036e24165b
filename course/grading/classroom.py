"""GitHub Classroom: the autograding workflow, written from lessons/lessons.toml, with per-check credit.

GitHub Classroom grades a push with ``.github/workflows/classroom.yml`` in the
assignment's template repository. Its reporter action
(``autograding-grading-reporter``) adds up, for each step named in its
``runners``, the ``score`` of every test in that step's ``result`` output: a
base64 JSON ``{"version": 1, "status", "max_score", "tests": [...]}``. So each
lesson's step runs ``make classroom-result LESSONS=N``, which grades the lesson
(the same checks and report as ``make grade``) and writes that JSON with each
check's own share of the lesson's points: partial credit, check by check.

Every grading step runs even when an earlier step failed (``if: always()``),
and a step whose grading could not run at all (the setup failed) still posts
its lesson with 0 points and says why, so the learner always gets a score.

``make classroom`` rewrites the workflow; the project's tests fail while it is
out of date with lessons.toml.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace

from course.lessons import LESSONS_DIR, ROOT, all_lessons

WORKFLOW = ROOT / ".github" / "workflows" / "classroom.yml"
STEP_TIMEOUT_MIN = 15

HEADER = """\
# GitHub Classroom autograding for this course: one step per lesson, each check worth
# its share of the lesson's points in lessons/lessons.toml. Written by `make classroom`;
# do not edit by hand, nor add tests in Classroom's web page (INSTRUCTORS.md, "GitHub Classroom").
name: Autograding Tests
"on":
  - push
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
      - name: Checkout code
        uses: actions/checkout@v4
      - name: Set up Python (pip's downloads cached between pushes)
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          cache: pip
          cache-dependency-path: requirements-lock.txt
      - name: Install the course's pinned packages
        run: make setup
      - name: Cache MNIST
        uses: actions/cache@v4
        with:
          path: ~/.keras/datasets/mnist.npz
          key: mnist-npz-keras-v1
      - name: Get MNIST (downloaded once, then cached)
        run: make data
      - name: Grading files unmodified
        run: make manifest-check
"""

STEP = """\
      - name: "{label}"
        id: lesson-{id}
        if: always()
        timeout-minutes: {timeout}
        run: |
          if make --no-print-directory classroom-result LESSONS={id} > result-{id}.txt; then
            grep '^result=' result-{id}.txt >> "$GITHUB_OUTPUT"
          else
            cat result-{id}.txt
            echo "result={fallback}" >> "$GITHUB_OUTPUT"
          fi
"""

REPORTER = """\
      - name: Autograding Reporter
        if: always()
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}        with:
          runners: {runners}
"""


def encode(result: dict) -> str:
    return base64.b64encode(json.dumps(result).encode()).decode()


def not_graded(lesson, why: str) -> dict:
    """A lesson that could not be graded: its points, all lost, and why."""
    return {
        "version": 1,
        "status": "error",
        "max_score": lesson.points,
        "tests": [
            {"name": lesson.label, "status": "error", "score": 0, "message": why, "line_no": 0, "execution_time": 0}
        ],
    }


def lesson_result(grade, lesson) -> dict:
    """One lesson of a Grade, as a Classroom runner's result: each check scored on its own."""
    (score,) = [graded for graded in grade.lessons if graded.id == lesson.id]
    tests = []
    for check in score.checks:
        passed, message = score.verdict(check)
        tests.append(
            {
                "name": check.name + (" (hidden)" if check.hidden else ""),
                "status": "pass" if passed else "fail",
                "score": check.score,
                "message": message,
                "line_no": 0,
                "execution_time": 0,
            }
        )
    return {
        "version": 1,
        "status": "pass" if score.all_passed else "fail",
        "max_score": lesson.points,
        "tests": tests,
    }


def classroom_result(lesson_id: int, settings) -> int:
    """`make classroom-result LESSONS=N`: grade lesson N of lessons/ and print its runner result."""
    from course.grading.grade import grade_tree
    from course.grading.reports import text_report
    from course.lessons import get_lesson

    lesson = get_lesson(lesson_id)
    grade = grade_tree(LESSONS_DIR, replace(settings, lesson_ids=(lesson.id,)))
    print(text_report(grade))
    if grade.status == "checks modified":
        result = not_graded(
            lesson, "the grading files were modified, so this lesson gets no grade: " + ", ".join(grade.modified[:3])
        )
    else:
        result = lesson_result(grade, lesson)
    print(f"result={encode(result)}")
    return 0


def workflow_text() -> str:
    lessons = all_lessons()
    steps = "".join(
        STEP.format(
            label=lesson.label,
            id=lesson.id,
            timeout=STEP_TIMEOUT_MIN,
            fallback=encode(
                not_graded(lesson, "grading could not run: see the setup steps above (is the repository complete?)")
            ),
        )
        for lesson in lessons
    )
    env = "".join(
        f'          LESSON-{lesson.id}_RESULTS: "${{{{steps.lesson-{lesson.id}.outputs.result}}}}"\n'
        for lesson in lessons
    )
    return HEADER + steps + REPORTER.format(env=env, runners=",".join(f"lesson-{lesson.id}" for lesson in lessons))


def write_workflow() -> int:
    WORKFLOW.parent.mkdir(parents=True, exist_ok=True)
    WORKFLOW.write_text(workflow_text())
    total = sum(lesson.points for lesson in all_lessons())
    print(
        f"✓ {WORKFLOW.relative_to(ROOT)}: {len(all_lessons())} graded steps, {total} points in all, "
        "credit check by check"
    )
    return 0
