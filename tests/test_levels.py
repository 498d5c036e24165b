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
    for kind in ("runs_the_reference", "reads_hidden_checks", "reads_the_history"):
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
    """Whatever the graded code finds beside the Python it runs (the course's tree: solutions/, its history in .git,
    the hidden checks), it cannot read: the workers read a copy of the course made for the run."""
    grades, _ = user_level_class
    assert grades["runs_the_reference"]["score"] == 0, grades["runs_the_reference"]["reasons"]
    assert grades["reads_the_history"]["lessons"][0]["score"] == 0, grades["reads_the_history"]["lessons"][0]
    hidden = [check for lesson in grades["reads_hidden_checks"]["lessons"] for check in lesson["checks"]]
    assert all(check["status"] == "passed" for check in hidden), [c["message"] for c in hidden if c["message"]]
    for folder in (SOLUTIONS_DIR, ROOT / ".git", ROOT / "course", ROOT):
        assert folder.stat().st_mode & 0o007 == (ROOT / "lessons").stat().st_mode & 0o007, (
            f"{folder} got its permissions back after grading"
        )


def test_a_process_that_hops_from_fork_to_fork_is_gone_before_the_next_classmate(tmp_path):
    """At the user level without control groups, a submission leaves a process that forks and exits every few
    milliseconds and kills every process of its user: the grader kills all of that user's processes (from a killer
    they cannot kill) before the job slot is used again, so the next three classmates keep every point."""
    import subprocess

    attacks.build("fork_hopper", tmp_path / "class" / "a-fork-hopper")
    for name in ("b-classmate", "c-classmate", "d-classmate"):
        sample_class.make_submission("complete", tmp_path / "class" / name)
    out = tmp_path / "out"
    completed = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "grade-all",
            f"SUBMISSIONS={tmp_path / 'class'}",
            "LESSONS=1",
            f"OUT={out}",
            "JOBS=1",
            "HIDDEN_CHECKS=",
        ],
        cwd=ROOT,
        env={**os.environ, "COURSE_ISOLATION": "user", "COURSE_CGROUPS": "0"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    grades = {grade["submission"]: grade for grade in json.loads((out / "gradebook.json").read_text())["grades"]}
    for name in ("b-classmate", "c-classmate", "d-classmate"):
        assert grades[name]["score"] == 10, (name, grades[name]["reasons"], grades[name]["lessons"][0]["checks"])
    assert not isolation.processes_of(isolation.uid_for("worker", 0)), "a process of the slot's user outlived it"


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
