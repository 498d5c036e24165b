"""Unit tests for how grades are scored and written down: ``course.grading.scoring``, ``reports`` and ``gradebook``.

Every Grade, LessonScore and CheckResult is built here, by hand or through ``score_lesson``:
no subprocess, no sandbox, no TensorFlow, no real tree graded. The gradebook's lesson list
is replaced by a small one of the test's own, so the tests do not depend on lessons.toml.
"""

import csv
import json
from types import SimpleNamespace

import pytest

from course.grading import gradebook, reports
from course.grading.scoring import (
    HIDDEN_FAILURE,
    ZERO,
    CheckResult,
    Grade,
    LessonScore,
    run_reasons,
    score_lesson,
    shares_of,
)

VOIDED = f"catches NotImplementedError, so an unfinished TODO would look finished (lessons/x.py, line 3){ZERO}"


def lesson(lesson_id=1, points=10, title="Load the data", timeout_s=20):
    """A stand-in for a lessons.toml entry, with only what scoring and the gradebook read."""
    return SimpleNamespace(
        id=lesson_id,
        title=title,
        label=f"Lesson {lesson_id} · {title}",
        points=points,
        timeout_s=timeout_s,
        dir=f"{lesson_id:02d}_lesson",
        stub="lesson.py",
    )


def expected(public=2, hidden=0, weights=None):
    """The checks a lesson expects: ``public`` public ones then ``hidden`` hidden ones, weight 1 unless given."""
    weights = weights or [1] * (public + hidden)
    return [
        {"name": f"check {n}", "nodeid": f"checks/test_x.py::check_{n}", "hidden": n >= public, "points": weights[n]}
        for n in range(public + hidden)
    ]


def records(statuses):
    """What the checks reported: one record per status (``None``: that check never reported)."""
    return [
        {
            "nodeid": f"checks/test_x.py::check_{n}",
            "status": status,
            "message": "" if status == "passed" else f"{n} went wrong",
        }
        for n, status in enumerate(statuses)
        if status is not None
    ]


def scored(lesson_id=1, points=10, public=("passed", "passed"), hidden=(), reasons=(), title="Load the data"):
    """One LessonScore, as the grader builds it from the checks' records."""
    statuses = [*public, *hidden]
    return score_lesson(
        lesson(lesson_id, points, title),
        expected(len(public), len(hidden)),
        records(statuses),
        "not run",
        list(reasons),
    )


def graded(*lessons, hidden_checks="run", name="ada", notes=(), seconds=12.34):
    return Grade(name, f"submissions/{name}", "abc123", hidden_checks, lessons=list(lessons), notes=list(notes)).finish(
        True, seconds
    )


# ---------------------------------------------------------------------------
# scoring


def test_points_are_shared_by_weight_between_public_and_hidden_checks():
    """A lesson's points go to its checks, public and hidden alike, in proportion to their weights."""
    score = score_lesson(
        lesson(points=10),
        expected(public=2, hidden=1, weights=[1, 1, 2]),
        records(["passed", "failed", "passed"]),
        "",
        [],
    )
    assert [check.max_score for check in score.checks] == [2.5, 2.5, 5.0]
    assert [check.score for check in score.checks] == [2.5, 0.0, 5.0]
    assert [check.hidden for check in score.checks] == [False, False, True]
    assert score.score == 7.5 and score.max_score == 10


def test_shares_that_do_not_divide_evenly_still_give_exactly_the_lesson_s_points():
    """10 points over 3 checks: all passed is exactly 10 (not 9.9999), two passed is 6.67."""
    three = expected(public=3)
    full = score_lesson(lesson(points=10), three, records(["passed"] * 3), "", [])
    assert full.score == full.max_score == 10
    assert [check.max_score for check in full.checks] == [3.34, 3.33, 3.33]
    assert round(sum(check.max_score for check in full.checks), 9) == 10
    assert score_lesson(lesson(points=10), three, records(["passed", "passed", "failed"]), "", []).score == 6.67
    grade = graded(full, scored(2, points=15, public=["passed"] * 7))
    assert grade.score == grade.max_score == 25 and grade.status == "complete"


def test_a_lesson_s_score_is_the_sum_of_its_checks_scores():
    """One result model: 10 points over 3 checks, only the first passing, is 3.34 on the check and on the lesson."""
    first_only = score_lesson(lesson(points=10), expected(public=3), records(["passed", "failed", "failed"]), "", [])
    assert [check.score for check in first_only.checks] == [3.34, 0.0, 0.0]
    assert first_only.score == 3.34
    grade = graded(first_only)
    assert grade.score == 3.34 and reports.gradescope_results(grade)["score"] == 3.34
    assert sum(test["score"] for test in reports.gradescope_results(grade)["tests"]) == 3.34


def test_a_check_that_never_reported_scores_nothing_and_says_why():
    """A check with no record is "not run", with the grader's explanation as its message and no points."""
    score = score_lesson(
        lesson(), expected(public=2), records(["passed", None]), "not run: the lesson used up its 60 s time budget", []
    )
    missing = score.checks[1]
    assert (missing.status, missing.score, missing.error) == ("not run", 0.0, None)
    assert missing.message == "not run: the lesson used up its 60 s time budget"
    assert score.score == 5.0 and score.counts(hidden=False) == (1, 2)


def test_a_zeroing_reason_voids_passed_checks_but_an_ordinary_reason_does_not():
    """A reason ending "0 points for this lesson" costs the whole lesson; a time-out reason costs only its checks."""
    voided = scored(public=["passed", "passed"], reasons=[VOIDED])
    assert voided.score == 0 and all(check.score == 0 for check in voided.checks)
    assert [check.status for check in voided.checks] == ["passed", "passed"]  # what ran is still shown as it was
    slow = scored(
        public=["passed", "timeout"], reasons=["1 check(s) ran past the 20 s limit (a loop that never ends?)"]
    )
    assert slow.score == 5.0


def test_a_lesson_worth_zero_points_scores_zero_without_dividing_by_zero():
    """A 0-point lesson (practice) has checks worth 0, whatever passed."""
    score = scored(points=0, public=["passed", "failed"])
    assert score.score == score.max_score == 0
    assert all(check.max_score == 0 and check.score == 0 for check in score.checks)


@pytest.mark.parametrize(
    ("points", "weights"),
    [(10, [1, 1, 1]), (15, [1] * 7), (20, [1, 2, 1, 1]), (5, [3, 3, 3]), (0.5, [1, 1, 1]), (100, [1] * 84)],
)
def test_check_shares_are_cents_that_add_up_to_the_lesson_s_points(points, weights):
    """Gradescope shows each check's share: in hundredths, never more than a cent from its weight, summing exactly."""
    shares = shares_of(points, weights)
    assert round(sum(shares) * 100) == round(points * 100)
    assert all(round(share * 100, 9).is_integer() for share in shares)
    exact = [points * weight / sum(weights) for weight in weights]
    assert all(abs(share - wanted) < 0.01 for share, wanted in zip(shares, exact))


def test_a_zero_point_lesson_with_a_failing_check_is_not_all_passed():
    """0/0 points is not success: a failing check in a practice lesson keeps "All checks passed" away."""
    practice = scored(7, points=0, public=["passed", "failed"])
    assert not practice.all_passed
    grade = graded(practice, hidden_checks="none")
    assert grade.status == "graded" and not grade.everything_passed and not grade.checks_that_ran_passed
    assert "All checks passed" not in reports.summary_line(grade)
    with_full_marks = graded(scored(1), practice, hidden_checks="none")
    assert with_full_marks.score == with_full_marks.max_score == 10
    assert "All checks passed" not in reports.summary_line(with_full_marks)
    tests = reports.gradescope_results(with_full_marks)["tests"]
    assert [test["status"] for test in tests] == ["passed", "passed", "passed", "failed"]


def test_a_grade_without_lessons_is_never_complete():
    """Nothing graded (no lesson selected, none found) is not "complete", whatever 0 == 0 says."""
    empty = Grade("me", "x", "abc", "none").finish(True, 1)
    assert empty.status == "graded" and not empty.everything_passed


def test_a_lesson_with_no_checks_scores_zero_of_its_points():
    """No checks collected: nothing can be earned, and the lesson's points still count in the maximum."""
    score = score_lesson(lesson(points=10), [], [], "not run", [])
    assert (score.score, score.max_score, score.checks) == (0, 10, [])
    assert score.counts(hidden=False) == (0, 0) and score.counts(hidden=True) == (0, 0)


def test_counts_split_public_from_hidden_and_only_passed_counts():
    """Errors, time-outs, TODOs and checks not run are all "not passed"; hidden checks are counted apart."""
    first = scored(1, public=["passed", "error", "timeout"], hidden=["passed", "failed"])
    second = scored(2, public=["todo", None], hidden=["passed"])
    assert first.counts(hidden=False) == (1, 3) and first.counts(hidden=True) == (1, 2)
    assert second.counts(hidden=False) == (0, 2) and second.counts(hidden=True) == (1, 1)
    grade = graded(first, second)
    assert grade.counts(False) == (1, 5) and grade.counts(True) == (2, 3)
    by_hand = LessonScore(
        3,
        "Train",
        "Lesson 3 · Train",
        15,
        0.0,
        [
            CheckResult("fits", "t::fits", False, 1, "error", "boom", error={"type": "ValueError"}, max_score=7.5),
            CheckResult("saves", "t::saves", True, 1, "passed", "", score=7.5, max_score=7.5),
        ],
    )
    assert by_hand.counts(hidden=False) == (0, 1) and by_hand.counts(hidden=True) == (1, 1)


@pytest.mark.parametrize(
    "lessons, hidden_checks, status",
    [
        pytest.param([("passed", "passed"), ("passed",)], "run", "complete", id="every-point"),
        pytest.param([("passed", "passed"), ("passed",)], "none", "complete", id="every-point-no-hidden-checks"),
        pytest.param([("passed", "passed"), ("failed",)], "run", "graded", id="some-points"),
        pytest.param([("passed", "passed"), ("passed",)], "pending", "graded", id="hidden-checks-pending"),
    ],
)
def test_finish_totals_the_lessons_and_decides_the_status(lessons, hidden_checks, status):
    """A grade is "complete" only with every point earned and no hidden check still to run."""
    grade = graded(
        *(scored(n, public=statuses) for n, statuses in enumerate(lessons, start=1)), hidden_checks=hidden_checks
    )
    assert grade.status == status
    assert grade.max_score == 20
    assert grade.score == sum(score.score for score in grade.lessons)
    assert grade.seconds == 12.3


def test_a_voided_lesson_makes_the_grade_broken_and_names_the_lesson():
    """The grade's reasons are its lessons' reasons, each with its lesson number."""
    grade = graded(scored(1), scored(2, reasons=[VOIDED]))
    assert grade.status == "broken"
    assert grade.reasons == [f"lesson 2: {VOIDED}"]
    assert grade.score == 10 and not grade.everything_passed


def test_a_submission_with_no_lessons_is_not_graded_and_its_first_note_is_the_reason():
    """A tree with no lessons is "no submission": every lesson scores 0 and the first note says why."""
    notes = ["no lessons found: expected a lessons/ folder", "second note"]
    grade = Grade("bob", "submissions/bob", "abc123", "run", notes=notes)
    grade.lessons = [scored(1, public=[None, None]), scored(2, public=[None])]
    grade.finish(False, 0.04)
    assert (grade.status, grade.score, grade.max_score) == ("no submission", 0, 20)
    assert grade.reasons == ["no lessons found: expected a lessons/ folder"]
    assert grade.seconds == 0.0 and not grade.everything_passed


def test_everything_passed_needs_lessons_all_points_run_hidden_checks_and_no_reasons():
    assert graded(scored(1), hidden_checks="run").everything_passed
    assert graded(scored(1), hidden_checks="none").everything_passed
    assert not graded(scored(1), hidden_checks="pending").everything_passed
    assert not graded(scored(1, public=["passed", "failed"])).everything_passed
    assert not graded(scored(1, hidden=["failed"])).everything_passed
    assert not graded().everything_passed  # nothing graded is not "all passed"


def test_a_grade_survives_a_round_trip_through_grade_json():
    """grade.json holds everything: Grade.from_dict(to_dict()) through JSON gives the same grade back."""
    failing = scored(2, public=["failed"], hidden=["passed"])
    failing.checks[0].error = {"type": "AssertionError", "file": "lesson.py", "line": 4}
    failing.seconds = 3.25
    grade = graded(scored(1), failing, notes=["its own copy of checks/ differs"])
    data = json.loads(json.dumps(grade.to_dict()))
    assert data["lessons"][1]["public"] == {"passed": 0, "total": 1}
    assert data["lessons"][1]["hidden"] == {"passed": 1, "total": 1}
    assert data["lessons"][1]["checks"][0]["error"]["line"] == 4
    assert Grade.from_dict(data) == grade
    assert LessonScore.from_dict(data["lessons"][1]) == failing


@pytest.fixture
def run():
    """A sandboxed run that finished cleanly; each test changes what it needs."""
    return SimpleNamespace(tampering=[], done={"sandbox": []}, records=[], stopped=None, status=0)


def test_run_reasons_names_checks_that_timed_out(run, monkeypatch):
    monkeypatch.delenv("COURSE_TIMEOUT_S", raising=False)
    run.records = [{"status": "timeout"}, {"status": "passed"}, {"status": "timeout"}]
    assert run_reasons(lesson(timeout_s=20), run, 300, 2048) == [
        "2 check(s) ran past the 20 s limit (a loop that never ends?)"
    ]
    run.records = [{"status": "passed"}]
    assert run_reasons(lesson(), run, 300, 2048) == []


def test_run_reasons_names_errors_once_each(run, monkeypatch):
    """The first syntax error with its line, a missing package, running out of memory: each said once."""
    monkeypatch.delenv("COURSE_TIMEOUT_S", raising=False)
    run.records = [
        {"status": "error", "error": {"type": "SyntaxError", "file": "lessons/01/lesson.py", "line": 3}},
        {"status": "error", "error": {"type": "IndentationError", "line": 9}},
        {"status": "error", "error": {"type": "ModuleNotFoundError", "detail": "No module named 'torch'"}},
        {"status": "error", "error": {"type": "MemoryError"}},
        {"status": "error", "error": {"type": "MemoryError"}},
    ]
    assert run_reasons(lesson(), run, 300, 2048) == [
        "SyntaxError in lessons/01/lesson.py, line 3",
        "imports a package the course does not install (No module named 'torch')",
        "ran out of its 2,048 MB of memory",
    ]


def test_run_reasons_for_tampering_and_sandbox_violations_void_the_lesson(run, monkeypatch):
    monkeypatch.delenv("COURSE_TIMEOUT_S", raising=False)
    run.tampering = ["sentinel check missing", "sentinel check missing"]
    run.done = {"sandbox": [{"kind": "to write a file", "detail": "/etc/x", "where": "lesson.py:5"}] * 2}
    reasons = run_reasons(lesson(), run, 300, 2048)
    assert reasons == [
        f"tampering detected: sentinel check missing{ZERO}",
        f"tried to write a file: /etc/x (lesson.py:5){ZERO}",
    ]
    assert scored(public=["passed", "passed"], reasons=reasons).score == 0


def test_run_reasons_tells_a_spent_budget_from_a_process_that_died(run, monkeypatch):
    monkeypatch.delenv("COURSE_TIMEOUT_S", raising=False)
    run.done, run.status = None, -9
    (died,) = run_reasons(lesson(), run, 300, 2048)
    assert died.startswith("the checks' process ended without finishing (exit status -9)")
    run.stopped = "cpu"
    assert run_reasons(lesson(), run, 45.5, 2048) == ["stopped: the lesson used up its 45.5 s of computing"]


def test_run_reasons_name_which_clock_stopped_a_lesson(run):
    """CPU seconds are the budget; the wall-clock backstop and the submission's deadline each say so."""
    run.done, run.status = None, None
    run.stopped = "wall"
    (reason,) = run_reasons(lesson(), run, 100, 2048)
    assert reason == "stopped: the lesson ran past its wall-clock backstop (430 s; a very busy machine?)"
    run.stopped = "deadline"
    assert run_reasons(lesson(), run, 100, 2048, deadline=900) == ["stopped: the submission used up its 900 s deadline"]


def test_running_out_of_memory_in_a_cgroup_is_named(run):
    run.out_of_memory = True
    assert run_reasons(lesson(), run, 100, 3072) == ["ran out of its 3,072 MB of memory"]


# ---------------------------------------------------------------------------
# reports


@pytest.mark.parametrize(
    "public, hidden, hidden_checks, reasons, last_line",
    [
        pytest.param(
            ["passed", "passed"],
            ["passed"],
            "run",
            [],
            "10/10 points. All checks passed (public checks 2/2 · hidden checks 1/1).",
            id="all-passed",
        ),
        pytest.param(
            ["passed", "passed"],
            ["failed"],
            "run",
            [],
            "6.67/10 points. Public checks 2/2 · hidden checks 0/1.",
            id="a-hidden-check-fails",
        ),
        pytest.param(
            ["passed", "passed"],
            [],
            "pending",
            [],
            "10/10 points. Public checks 2/2; hidden checks are not run here (your instructor runs them).",
            id="hidden-checks-pending",
        ),
        pytest.param(
            ["passed", "passed"],
            ["passed"],
            "run",
            [VOIDED],
            "0/10 points. Public checks 2/2 · hidden checks 1/1. Some lessons scored 0 (see Problems above).",
            id="voided",
        ),
        pytest.param(
            ["passed", "passed"], [], "none", [], "10/10 points. All checks passed (2/2).", id="no-hidden-checks"
        ),
        pytest.param(["passed", "error"], [], "none", [], "5/10 points. Checks 1/2.", id="an-error"),
    ],
)
def test_the_report_s_last_line_says_all_passed_only_when_every_point_was_earned(
    public, hidden, hidden_checks, reasons, last_line
):
    grade = graded(scored(1, public=public, hidden=hidden, reasons=reasons), hidden_checks=hidden_checks)
    report = reports.text_report(grade)
    assert report.splitlines()[-1] == last_line
    assert ("All checks passed" in report) == (
        grade.score == grade.max_score and hidden_checks != "pending" and not reasons
    )


def test_the_report_has_one_aligned_line_per_lesson():
    grade = graded(
        scored(1, public=["passed", "passed"], hidden=["failed"], title="Load the data"),
        scored(12, points=15, public=["passed", "passed", "failed"], hidden=["passed"], title="CNN"),
    )
    lines = reports.text_report(grade).splitlines()
    assert lines[0] == "Grade for ada   (checks abc123)"
    assert lines[1] == "  Lesson 1 · Load the data    6.67/10   public checks 2/2 · hidden checks 0/1"
    assert lines[2] == "  Lesson 12 · CNN            11.25/15   public checks 2/3 · hidden checks 1/1"
    assert lines[1].index("/10") == lines[2].index("/15") and lines[1].index("public") == lines[2].index("public")
    pending = reports.text_report(graded(scored(1), hidden_checks="pending")).splitlines()[1]
    assert pending.endswith("public checks 2/2 · hidden checks not run here")
    assert reports.text_report(graded(scored(1), hidden_checks="none")).splitlines()[1].endswith("public checks 2/2")


def test_the_report_lists_problems_and_notes_without_repeating_a_note():
    grade = graded(scored(1, reasons=[VOIDED]), notes=["its own copy of checks/ differs"])
    lines = reports.text_report(grade).splitlines()
    assert lines[2:5] == ["Problems:", f"  - lesson 1: {VOIDED}", "  - note: its own copy of checks/ differs"]
    unopened = Grade("bob", "x", "abc123", "run", lessons=[scored(1, public=[None, None])], notes=["no lessons found"])
    report = reports.text_report(unopened.finish(False, 0))
    assert report.count("no lessons found") == 1 and "  - no lessons found" in report


def test_modified_checks_give_no_grade_only_what_was_modified():
    """With "checks modified" the report names the first five changed files and gives no points.

    results.json has no tests.
    """
    modified = [f"checks/test_lesson0{n}.py" for n in range(1, 8)]
    grade = Grade("ada", "lessons", "abc123", "run", status="checks modified", modified=modified, max_score=100)
    grade.reasons = ["checks modified"]
    lines = reports.text_report(grade).splitlines()
    assert lines[0] == "Grade for ada   (checks abc123, MODIFIED)"
    assert lines[1] == "  checks modified: " + ", ".join(modified[:5]) + " ..."
    assert "no grade is given" in lines[2] and "make manifest" in lines[3]
    assert "points" not in "\n".join(lines) and "All checks passed" not in "\n".join(lines)
    assert reports.summary_line(grade) == "No grade: the checks were modified."
    results = reports.gradescope_results(grade)
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"] == reports.text_report(grade)


def test_gradescope_results_hide_what_a_failing_hidden_check_says():
    """A hidden check's message (expected values) never reaches the learner; a public one's does."""
    grade = graded(scored(3, public=["passed", "failed"], hidden=["failed", "passed"]))
    tests = reports.gradescope_results(grade)["tests"]
    assert [test["name"] for test in tests] == [
        "Lesson 3 · Load the data: check 0",
        "Lesson 3 · Load the data: check 1",
        "Lesson 3 · Load the data: check 2 (hidden)",
        "Lesson 3 · Load the data: check 3 (hidden)",
    ]
    assert [test["number"] for test in tests] == ["3.1", "3.2", "3.3", "3.4"]
    assert [test["status"] for test in tests] == ["passed", "failed", "failed", "passed"]
    assert [test["output"] for test in tests] == ["", "1 went wrong", HIDDEN_FAILURE, ""]
    assert [test["visibility"] for test in tests] == ["visible", "visible", "after_published", "after_published"]
    assert "2 went wrong" not in json.dumps(reports.gradescope_results(grade))


def test_gradescope_results_fail_passed_checks_of_a_voided_lesson_with_the_reason():
    grade = graded(scored(1, public=["passed", "failed"], reasons=[VOIDED]))
    tests = reports.gradescope_results(grade)["tests"]
    assert [(test["status"], test["score"], test["max_score"]) for test in tests] == [
        ("failed", 0, 5.0),
        ("failed", 0, 5.0),
    ]
    assert tests[0]["output"] == VOIDED and tests[1]["output"] == "1 went wrong"


def test_gradescope_results_pass_a_passed_check_worth_zero_points():
    tests = reports.gradescope_results(graded(scored(1, points=0, public=["passed", "failed"])))["tests"]
    assert [(test["status"], test["max_score"]) for test in tests] == [("passed", 0), ("failed", 0)]


def test_gradescope_results_total_the_tests_and_carry_the_report():
    grade = graded(
        scored(1, public=["passed", "passed", "failed"]), scored(2, public=["passed"], hidden=["failed"]), seconds=41.6
    )
    results = json.loads(json.dumps(reports.gradescope_results(grade)))
    assert results["score"] == grade.score == 11.67
    assert sum(test["score"] for test in results["tests"]) == pytest.approx(results["score"], abs=0.01)
    assert sum(test["max_score"] for test in results["tests"]) == pytest.approx(grade.max_score, abs=0.01)
    assert results["execution_time"] == 42 and isinstance(results["execution_time"], int)
    assert results["output"] == reports.text_report(grade)
    assert (results["visibility"], results["stdout_visibility"]) == ("visible", "hidden")


def test_write_submission_files_writes_what_each_renderer_gives(tmp_path):
    grade = graded(scored(1), scored(2, hidden=["failed"]))
    reports.write_submission_files(grade, tmp_path / "submissions" / "ada")
    folder = tmp_path / "submissions" / "ada"
    assert Grade.from_dict(json.loads((folder / "grade.json").read_text())) == grade
    assert json.loads((folder / "results.json").read_text()) == json.loads(
        json.dumps(reports.gradescope_results(grade))
    )
    assert (folder / "report.txt").read_text() == reports.text_report(grade) + "\n"


# ---------------------------------------------------------------------------
# gradebook

LESSONS = (lesson(1, 10, "Load the data"), lesson(2, 10, "Preprocess"), lesson(3, 15, "Build the CNN"))
HEADER = [
    "submission",
    "status",
    "score",
    "max_score",
    "percent",
    "lesson_1",
    "lesson_2",
    "lesson_3",
    "public_checks",
    "hidden_checks",
    "seconds",
    "reasons",
]


@pytest.fixture
def course_lessons(monkeypatch):
    """The gradebook's lesson list: three lessons of the test's own."""
    monkeypatch.setattr(gradebook, "all_lessons", lambda: LESSONS)
    return LESSONS


@pytest.fixture
def a_class(course_lessons):
    """Three learners graded on lessons 1 and 2 (lesson 3 was not graded)."""
    return [
        graded(scored(1), scored(2, public=["passed"], hidden=["passed"]), name="ada", seconds=20.04),
        graded(
            scored(1, public=["passed", "failed"]),
            scored(2, public=["passed", "passed", "passed", "failed"]),
            name="bo",
        ),
        graded(scored(1, reasons=[VOIDED]), scored(2, public=["failed", "failed"]), name="cy, jr", notes=["a note"]),
    ]


def test_the_gradebook_header_has_a_column_per_lesson_in_the_course_s_order(course_lessons):
    assert gradebook.gradebook_rows([], "run") == [HEADER]


def test_the_real_gradebook_header_follows_lessons_toml():
    from course.lessons import all_lessons

    header = gradebook.gradebook_rows([], "none")[0]
    assert header[5:-4] == [f"lesson_{entry.id}" for entry in all_lessons()]


def test_gradebook_rows_give_each_learner_s_scores_counts_and_reasons(a_class):
    rows = gradebook.gradebook_rows(a_class, "run")
    assert rows[1:] == [
        ["ada", "complete", "20", "20", "100.0", "10", "10", "", "3/3", "1/1", "20.0", ""],
        ["bo", "graded", "12.5", "20", "62.5", "5", "7.5", "", "4/6", "0/0", "12.3", ""],
        ["cy, jr", "broken", "0", "20", "0.0", "0", "0", "", "2/4", "0/0", "12.3", f"lesson 1: {VOIDED}; a note"],
    ]


def test_the_hidden_checks_column_says_pending_or_none_when_they_did_not_run(course_lessons):
    grade = graded(scored(1), hidden_checks="pending")
    assert gradebook.gradebook_rows([grade], "pending")[1][HEADER.index("hidden_checks")] == "pending"
    assert gradebook.gradebook_rows([grade], "none")[1][HEADER.index("hidden_checks")] == "none"


def test_an_ungraded_submission_has_a_row_with_zero_percent(course_lessons):
    """A grade with no lessons (max 0 points) gives "0", not a division by zero, and blank lesson cells."""
    grade = Grade("dee", "x", "abc123", "run", notes=["no lessons found"]).finish(False, 0.2)
    (row,) = gradebook.gradebook_rows([grade], "run")[1:]
    assert row == ["dee", "no submission", "0", "0", "0", "", "", "", "0/0", "0/0", "0.2", "no lessons found"]


def test_write_gradebook_writes_csv_json_and_a_histogram_that_read_back(a_class, tmp_path):
    summary = {"hidden_checks": "run", "submissions": 3, "seconds": 61.0}
    gradebook.write_gradebook(a_class, summary, tmp_path)
    with open(tmp_path / "gradebook.csv", newline="") as handle:
        assert list(csv.reader(handle)) == gradebook.gradebook_rows(a_class, "run")
    with open(tmp_path / "gradebook.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == HEADER
    assert [row["submission"] for row in rows] == ["ada", "bo", "cy, jr"]  # a comma in a name stays in its cell
    book = json.loads((tmp_path / "gradebook.json").read_text())
    assert book["summary"] == summary
    assert [Grade.from_dict(grade) for grade in book["grades"]] == a_class
    assert (tmp_path / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_histogram_of_a_class_of_one_has_a_panel_per_graded_lesson_and_the_total(
    course_lessons, tmp_path, monkeypatch
):
    """One learner: the means are that learner's scores; lesson 3, graded by nobody, gets no panel."""
    from matplotlib.figure import Figure

    figures = []
    savefig = Figure.savefig
    monkeypatch.setattr(
        Figure, "savefig", lambda figure, *args, **kwargs: figures.append(figure) or savefig(figure, *args, **kwargs)
    )
    grade = graded(scored(1, public=["passed", "failed"]), scored(2, public=["passed", "passed", "passed", "failed"]))
    gradebook.plot_scores([grade], tmp_path / "scores.png")
    assert (tmp_path / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (figure,) = figures
    titles = [axis.get_title() for axis in figure.axes if axis.axison]
    assert titles == [
        "1 · Load the data   (mean 5.0/10)",
        "2 · Preprocess   (mean 7.5/10)",
        "Total   (mean 12.5/20)",
    ]
    assert figure.get_suptitle() == "Scores of 1 submissions (dashed: the mean)"


def test_the_class_summary_counts_statuses_and_warns_of_pending_hidden_checks(a_class, tmp_path):
    summary = {
        "seconds": 61.2,
        "jobs": 2,
        "submissions_per_minute": 2.94,
        "longest_submission_s": 20.0,
        "hidden_checks": "run",
    }
    lines = gradebook.class_summary_lines(a_class, summary, tmp_path)
    assert lines[0] == "\nGraded 3 submissions in 61 s with 2 in parallel (2.9 per minute; the longest took 20 s)."
    assert lines[1] == "  1 broken, 1 complete, 1 graded"
    assert not any("Hidden checks are configured" in line for line in lines)
    assert str(tmp_path / "gradebook.csv") in lines[2]
    pending = gradebook.class_summary_lines(a_class, {**summary, "hidden_checks": "pending"}, tmp_path)
    assert "grades are from the public checks only" in pending[2]


def test_a_failure_that_follows_from_todos_told_above_says_so_in_one_line():
    from course.checking.telling import Telling

    telling = Telling()
    telling.lines("a", "failed", ["expected 1, found 2"], [1], [])
    telling.lines("b", "failed", ["expected 3, found 4"], [3], [])
    (_, one) = telling.lines("c", "failed", ["expected 5, found 6"], [1], [])
    (_, both) = telling.lines("d", "failed", ["expected 7, found 8"], [1, 3], [])
    assert one.strip() == "fails too; TODO 1 already fails above: fix that first (VERBOSE=1 shows why this one)"
    assert both.strip() == "fails too; TODOs 1 and 3 already fail above: fix that first (VERBOSE=1 shows why this one)"


def test_bench_grade_prints_each_lesson_s_medians_for_complete_work_and_stubs_apart(capsys):
    from course.bench.grade import per_lesson
    from course.grading.scoring import Grade, LessonScore

    def grade(name, wall, cpu):
        lesson = LessonScore(3, "Build the CNN", "Lesson 3", 15, 0.0, [], seconds=wall, cpu_seconds=cpu)
        return Grade(name, "src", "abc", "none", lessons=[lesson], score=0.0, max_score=15)

    per_lesson([grade("01-complete", 8.0, 12.0), grade("02-complete", 10.0, 14.0), grade("03-stub", 2.0, 1.5)])
    line = next(line for line in capsys.readouterr().out.splitlines() if "lesson 3" in line)
    assert line.split() == ["lesson", "3", "9.0", "/", "2.0", "13.0", "/", "1.5"]
