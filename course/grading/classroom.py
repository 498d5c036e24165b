"""The GitHub Classroom autograding workflow, written from lessons/lessons.toml.

GitHub Classroom grades a push with the workflow at
``.github/workflows/classroom.yml`` in the assignment's template repository:
one ``autograding-command-grader`` step per lesson, worth that lesson's
points, and a reporter step that sends the total to Classroom. Each step runs
``make grade LESSONS=N``, which exits 0 only when the grading files are
unmodified and every check of lesson N passes (the command grader gives all of
a step's points or none).

``make classroom`` rewrites the file; the project's tests fail while it is out
of date with lessons.toml.
"""

from __future__ import annotations

from course.lessons import ROOT, all_lessons

WORKFLOW = ROOT / ".github" / "workflows" / "classroom.yml"
STEP_TIMEOUT_MIN = 15

HEADER = """\
# GitHub Classroom autograding for this course: one step per lesson, worth the
# lesson's points in lessons/lessons.toml. Written by `make classroom`; do not edit
# by hand (INSTRUCTORS.md, "GitHub Classroom").
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
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "3.11"
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
        id: {step_id}
        uses: classroom-resources/autograding-command-grader@v1
        with:
          test-name: "{label}"
          command: make grade LESSONS={id} OUT=outputs/grade-lesson{id}
          timeout: {timeout}
          max-score: {points}
"""

REPORTER = """\
      - name: Autograding Reporter
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
{env}        with:
          runners: {runners}
"""


def workflow_text() -> str:
    lessons = all_lessons()
    steps = "".join(
        STEP.format(label=lesson.label, step_id=f"lesson-{lesson.id}", id=lesson.id, timeout=STEP_TIMEOUT_MIN, points=lesson.points)
        for lesson in lessons
    )
    env = "".join(f'          LESSON-{lesson.id}_RESULTS: "${{{{steps.lesson-{lesson.id}.outputs.result}}}}"\n' for lesson in lessons)
    return HEADER + steps + REPORTER.format(env=env, runners=",".join(f"lesson-{lesson.id}" for lesson in lessons))


def write_workflow() -> int:
    WORKFLOW.parent.mkdir(parents=True, exist_ok=True)
    WORKFLOW.write_text(workflow_text())
    total = sum(lesson.points for lesson in all_lessons())
    print(f"✓ {WORKFLOW.relative_to(ROOT)}: {len(all_lessons())} graded steps, {total} points in all")
    return 0
