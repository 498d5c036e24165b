"""Grading at each isolation level: bwrap (namespaces), user (no namespaces: users, permissions, cgroups), none.

The `user` level is what the Gradescope package falls back to in a container
that cannot make namespaces: the solutions must still get every point and the
stubs none, and the graded code must still be unable to read solutions/ or the
hidden checks. `none` grades only with TRUST=1 (or the course's own trees).
"""

import json
import os

import pytest

from course.bench import attacks, sample_class
from course.grading import isolation
from course.lessons import ROOT, SOLUTIONS_DIR

HIDDEN_EXAMPLE = ROOT / "checks" / "hidden_example"


@pytest.fixture(scope="module")
def user_level_class(tmp_path_factory):
    """A class graded at the user level: a complete submission, a stub, and two that read what they must not."""
    assert os.geteuid() == 0, "the user level needs a grader that is root (as on Gradescope, or CI)"
    assert isolation.unreachable_python(isolation.uid_for("worker")) is None, (
        "the graded code's user cannot reach this Python: .ci/run opens the folders on the way (chmod o+x)"
    )
    folder = tmp_path_factory.mktemp("user-level")
    sample_class.make_submission("complete", folder / "class" / "complete")
    sample_class.make_submission("stub", folder / "class" / "stub")
    for kind in ("runs_the_reference", "reads_hidden_checks"):
        attacks.build(kind, folder / "class" / kind)
    out = folder / "out"
    import subprocess

    completed = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "grade-all",
            f"SUBMISSIONS={folder / 'class'}",
            "LESSONS=1,2",
            f"HIDDEN_CHECKS={HIDDEN_EXAMPLE}",
            f"OUT={out}",
            "JOBS=2",
        ],
        cwd=ROOT,
        env={**os.environ, "COURSE_ISOLATION": "user"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    book = json.loads((out / "gradebook.json").read_text())
    return {grade["submission"]: grade for grade in book["grades"]}, book["summary"]


def test_user_level_gives_the_complete_submission_every_point(user_level_class):
    grades, summary = user_level_class
    assert summary["isolation"] == "user"
    assert grades["complete"]["score"] == grades["complete"]["max_score"] == 20, grades["complete"]["reasons"]
    assert grades["complete"]["status"] == "complete"
    assert grades["stub"]["score"] == 0


def test_user_level_keeps_solutions_and_hidden_checks_unreadable(user_level_class):
    grades, _ = user_level_class
    assert grades["runs_the_reference"]["score"] == 0, grades["runs_the_reference"]["reasons"]
    hidden = [check for lesson in grades["reads_hidden_checks"]["lessons"] for check in lesson["checks"]]
    assert all(check["status"] == "passed" for check in hidden), [c["message"] for c in hidden if c["message"]]
    assert SOLUTIONS_DIR.stat().st_mode & 0o007 == (ROOT / "lessons").stat().st_mode & 0o007, (
        "solutions/ got its permissions back after grading"
    )


def test_user_level_says_which_limits_held(user_level_class):
    _grades, summary = user_level_class
    assert summary["limits"][0] == "isolation user"
    assert any("memory" in limit for limit in summary["limits"]), summary["limits"]


@pytest.mark.parametrize("target, points", [("solutions", 20), ("lessons", 0)])
def test_no_isolation_with_trust(make, tmp_path, target, points):
    result = make(
        "grade",
        f"TARGET={target}",
        "LESSONS=1,2",
        "TRUST=1",
        f"OUT={tmp_path / 'out'}",
        "HIDDEN_CHECKS=",
        env={"COURSE_ISOLATION": "none"},
        timeout=300,
    )
    grade = json.loads((tmp_path / "out" / "grade.json").read_text())
    assert grade["isolation"] == "none" and grade["score"] == points, result.output
