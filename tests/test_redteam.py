"""Red team: submissions that try to forge a grade or spoil a classmate's, graded as `make grade-all` grades.

One class holds every attack in course/bench/attacks.py, a complete classmate
and an untouched-stub classmate, graded on lessons 1-3 with the example hidden
checks, two at a time. Each attack must earn only what its honest part earns,
the classmates keep their honest grades, nothing outside the grader's scratch
is written, and no report claims more than the points say.
"""

import json
import subprocess

import pytest

from course.bench import attacks, sample_class
from course.grading import integrity, isolation
from course.lessons import ROOT

HIDDEN_EXAMPLE = ROOT / "checks" / "hidden_example"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    assert isolation.level() == "bwrap", (
        f"the red-team tests need bubblewrap: {isolation.why_not_isolated()} (.ci/run installs it)"
    )
    folder = tmp_path_factory.mktemp("redteam")
    escape = folder / "outside" / "escaped.txt"
    escape.parent.mkdir()
    for kind in attacks.ATTACKS:
        attacks.build(kind, folder / "class" / kind, escape_target=escape)
    sample_class.make_submission("complete", folder / "class" / "zz-complete")
    sample_class.make_submission("stub", folder / "class" / "zz-stub")
    out = folder / "out"
    completed = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "grade-all",
            f"SUBMISSIONS={folder / 'class'}",
            "LESSONS=1,2,3",
            f"HIDDEN_CHECKS={HIDDEN_EXAMPLE}",
            f"OUT={out}",
            "TIME_LIMIT=20",
            "JOBS=2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    grades = {grade["submission"]: grade for grade in json.loads((out / "gradebook.json").read_text())["grades"]}
    return grades, out, escape


@pytest.mark.parametrize("kind", attacks.ATTACKS)
def test_an_attack_earns_only_its_honest_part(graded, kind):
    grades, _, _ = graded
    scores = {lesson["id"]: lesson["score"] for lesson in grades[kind]["lessons"]}
    for lesson_id, points in attacks.EXPECTED[kind].items():
        assert scores[lesson_id] == points, (kind, lesson_id, scores, grades[kind]["reasons"], grades[kind]["notes"])


def test_classmates_keep_their_honest_grades(graded):
    grades, _, _ = graded
    assert grades["zz-complete"]["score"] == grades["zz-complete"]["max_score"] == 35, grades["zz-complete"]["reasons"]
    assert grades["zz-complete"]["status"] == "complete"
    assert grades["zz-stub"]["score"] == 0


def test_tampering_is_named(graded):
    grades, _, _ = graded
    assert any("tampering detected" in reason for reason in grades["no_ops_the_checks"]["reasons"])
    assert any("tampering detected" in reason for reason in grades["forges_results_at_exit"]["reasons"])
    assert any("points outside the submission" in note for note in grades["symlinks_to_solutions"]["notes"])
    assert any("ran out of its" in reason and "memory" in reason for reason in grades["holds_memory"]["reasons"])
    assert any("used up its 20 s time budget" in reason for reason in grades["c_loop_at_import"]["reasons"])


def test_nothing_outside_the_scratch_is_written(graded):
    _, _, escape = graded
    assert not escape.exists(), "a submission wrote outside its sandbox"
    assert not list(escape.parent.iterdir())
    assert integrity.modified_files() == [], "grading changed the course's own files"
    assert not list((ROOT / "checks").glob("pytest.py")) and not list((ROOT / "course").rglob("pytest.py"))


def test_hidden_checks_and_classmates_stay_out_of_reach(graded):
    """The public checks' sandbox holds no hidden check; what the hidden run says reaches no learner."""
    grades, out, _ = graded
    public = [check for check in grades["reads_hidden_checks"]["lessons"][0]["checks"] if not check["hidden"]]
    assert public and all(check["status"] == "passed" for check in public), public
    for name in ("results.json", "report.txt"):
        text = (out / "submissions" / "reads_hidden_checks" / name).read_text()
        assert "HIDDEN CHECKS FOUND" not in text and "def test_" not in text, text[:500]
    assert grades["copies_a_classmate"]["lessons"][0]["score"] == 0


def test_output_is_capped(graded):
    grades, out, _ = graded
    results = out / "submissions" / "huge_message" / "results.json"
    assert results.stat().st_size < 200_000, results.stat().st_size
    assert all(
        len(check["message"]) <= 2000 for lesson in grades["huge_message"]["lessons"] for check in lesson["checks"]
    )


def test_reports_tell_the_truth(graded):
    grades, out, _ = graded
    for name, grade in grades.items():
        report = (out / "submissions" / name / "report.txt").read_text()
        if grade["score"] < grade["max_score"]:
            assert "All checks passed" not in report, (name, report)
        if grade["reasons"]:
            assert grade["status"] == "broken" and "Problems:" in report, (name, report)


def test_no_isolation_means_no_untrusted_grading(tmp_path, make):
    """Without bubblewrap, grade-all refuses unless the instructor says TRUST=1; the reason is given."""
    sample_class.make_submission("stub", tmp_path / "class" / "someone")
    grade_all = ("grade-all", f"SUBMISSIONS={tmp_path / 'class'}", "LESSONS=1", f"OUT={tmp_path / 'out'}")
    refused = make(*grade_all, env={"COURSE_ISOLATION": "none"}, timeout=300)
    assert refused.returncode != 0 and "cannot be isolated" in refused.output
    assert "TRUST=1" in refused.output
    trusted = make(*grade_all, "TRUST=1", env={"COURSE_ISOLATION": "none"}, timeout=300)
    assert trusted.returncode == 0, trusted.output
