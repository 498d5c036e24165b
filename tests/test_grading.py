"""Grading: tamper evidence, the sandbox, hidden checks, `make grade` and a whole class through `make grade-all`."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from course.bench import sample_class
from course.grading import integrity
from course.lessons import ROOT, SOLUTIONS_DIR, all_lessons, get_lesson

HIDDEN_EXAMPLE = ROOT / "checks" / "hidden_example"


def test_manifest_matches_the_grading_files():
    changed = integrity.modified_files()
    assert not changed, f"checks/manifest.json is out of date for {changed}: run `make manifest`"


@pytest.mark.parametrize("lesson", [pytest.param(lesson, id=f"lesson{lesson.id}") for lesson in all_lessons()])
def test_honest_code_is_not_flagged(lesson):
    for tree in (SOLUTIONS_DIR, ROOT / "lessons"):
        path = lesson.file_in(tree)
        assert integrity.dodges(path.read_text()) == [], path


@pytest.mark.parametrize(
    "code, words",
    [
        ("try:\n    f()\nexcept NotImplementedError:\n    x = 1\n", "catches NotImplementedError"),
        ("try:\n    f()\nexcept:\n    pass\n", "silences every error"),
        ("try:\n    f()\nexcept (ValueError, Exception):\n    ...\n", "silences Exception"),
        ("import pytest\n", "imports the grader's own code (pytest)"),
        ("from course.checking import expect\n", "imports the grader's own code (course.checking)"),
        ("import sys\nsys.modules['x'] = None\n", "changes sys.modules"),
        ("import os\ndef f():\n    os._exit(0)\n", "os._exit"),
        ("import builtins\n", "changes builtins"),
    ],
)
def test_dodges_are_flagged(code, words):
    flags = integrity.dodges(code)
    assert any(words in flag.reason for flag in flags), flags


def test_a_handled_error_is_not_a_dodge():
    code = "try:\n    f()\nexcept ValueError as error:\n    return_value = str(error)\n"
    assert integrity.dodges(code) == []


def test_sandbox_refuses_writes_network_and_programs(tmp_path):
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir()
    outside.mkdir()
    script = textwrap.dedent(
        f"""
        import os, socket, subprocess
        from course.worker import audit as sandbox
        sandbox.install([{str(inside)!r}], {str(inside)!r})
        def refused(action):
            try:
                action()
            except PermissionError as error:
                return "not allowed while grading" in str(error)
            except OSError:
                return False
            return False
        open({str(inside / "ok.txt")!r}, "w").write("fine")
        print("inside", os.path.exists({str(inside / "ok.txt")!r}))
        print("write", refused(lambda: open({str(outside / "no.txt")!r}, "w")))
        print("append", refused(lambda: open({str(outside / "no.txt")!r}, "a")))
        print("mkdir", refused(lambda: os.mkdir({str(outside / "d")!r})))
        print("rename", refused(lambda: os.rename({str(inside / "ok.txt")!r}, {str(outside / "moved.txt")!r})))
        print("program", refused(lambda: subprocess.run(["ls"])))
        print("network", refused(lambda: socket.create_connection(("192.0.2.1", 80), timeout=1)))
        print("lookup", refused(lambda: socket.getaddrinfo("example.com", 80)))
        print("read", open({str(inside / "ok.txt")!r}).read() == "fine")
        print("recorded", len(sandbox.violations))
        """
    )
    completed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = dict(line.split(" ", 1) for line in completed.stdout.splitlines())
    assert lines == {
        "inside": "True",
        "write": "True",
        "append": "True",
        "mkdir": "True",
        "rename": "True",
        "program": "True",
        "network": "True",
        "lookup": "True",
        "read": "True",
        "recorded": "7",
    }, completed.stdout + completed.stderr
    assert not list(outside.iterdir())


# ---------------------------------------------------------------------------
# make grade


def test_make_grade_solutions_with_hidden_checks(make, tmp_path):
    out = tmp_path / "grade"
    result = make(
        "grade",
        "TARGET=solutions",
        "LESSONS=1,2",  # the lessons the example hidden checks are for (the whole course: test_handout, Classroom 50)
        f"HIDDEN_CHECKS={HIDDEN_EXAMPLE}",
        f"OUT={out}",
        f"RESULTS={tmp_path / 'gs' / 'results.json'}",
    )
    assert result.returncode == 0, result.output
    two = sum(lesson.points for lesson in all_lessons()[:2])
    assert f"{two}/{two} points. All checks passed" in result.output
    gradescope = json.loads((tmp_path / "gs" / "results.json").read_text())
    assert gradescope == json.loads((out / "results.json").read_text())
    assert gradescope["score"] == two
    assert {"score", "execution_time", "output", "tests"} <= set(gradescope)
    tests = gradescope["tests"]
    assert all({"name", "score", "max_score", "status", "output", "visibility"} <= set(test) for test in tests)
    assert sum(test["max_score"] for test in tests) == pytest.approx(two, abs=0.01)
    hidden = [test for test in tests if "(hidden)" in test["name"]]
    assert len(hidden) == 3 and all(test["visibility"] == "after_published" for test in hidden)
    assert all(test["status"] == "passed" for test in tests)


def checks_in(path) -> int:
    return len(re.findall(r"^def test_", path.read_text(), re.M))


def test_grade_says_public_checks_while_hidden_are_pending(tmp_path):
    """Learners do not have the hidden checks' folder: the report says "public checks", never "all passed"."""
    environment = {**os.environ, "HIDDEN_CHECKS": str(tmp_path / "not-here")}
    for target, code in (("solutions", 0), ("lessons", 1)):
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "course",
                "grade",
                "--target",
                target,
                "--lessons",
                "1,2",
                "--out",
                str(tmp_path / target),
            ],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = completed.stdout + completed.stderr
        assert completed.returncode == code, output
        assert "· hidden checks not run here" in output
        assert "all checks passed" not in output.lower() and "all passed" not in output.lower()
    public = checks_in(get_lesson(1).checks_path) + checks_in(get_lesson(2).checks_path)
    assert f"0/20 points. Public checks 0/{public}; hidden checks are not run here" in output
    report = json.loads((tmp_path / "lessons" / "grade.json").read_text())
    assert report["hidden_checks"] == "pending"
    solved = (tmp_path / "solutions" / "report.txt").read_text()
    assert f"20/20 points. Public checks {public}/{public}; hidden checks are not run here" in solved


def test_make_grade_refuses_modified_checks(tmp_path):
    """A copy of the course whose check was edited gets "checks modified" instead of a grade."""
    copy = tmp_path / "course"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "outputs", ".course", "*.h5", "__pycache__")
    )
    check = copy / "checks" / "test_lesson01.py"
    check.write_text(check.read_text().replace("expect(", "(lambda *a, **k: None)(", 3))
    out = tmp_path / "out"
    completed = subprocess.run(
        [sys.executable, "-m", "course", "grade", "--lessons", "1", "--out", str(out)],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "checks modified: checks/test_lesson01.py" in completed.stdout
    assert "no grade is given" in completed.stdout
    results = json.loads((out / "results.json").read_text())
    assert results["score"] == 0 and results["tests"] == []


# ---------------------------------------------------------------------------
# make grade-all: a class


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class of every kind of submission, graded on lessons 1-2 with the example hidden checks."""
    folder = tmp_path_factory.mktemp("class")
    escape = tmp_path_factory.mktemp("outside") / "escaped.txt"
    names = sample_class.build_class(folder / "submissions", escape_target=escape)
    out = folder / "grades"
    completed = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "grade-all",
            f"SUBMISSIONS={folder / 'submissions'}",
            "LESSONS=1,2",
            f"HIDDEN_CHECKS={HIDDEN_EXAMPLE}",
            f"OUT={out}",
            "TIME_LIMIT=120",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "COURSE_TIMEOUT_S": "5"},
    )
    return names, out, escape, completed


def test_grade_all_finishes_and_writes_the_gradebook(graded_class):
    names, out, _, completed = graded_class
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"Graded {len(names)} submissions" in completed.stdout
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert sorted(row["submission"] for row in rows) == sorted(names)
    assert {"lesson_1", "lesson_2", "score", "status", "reasons", "hidden_checks"} <= set(rows[0])
    book = json.loads((out / "gradebook.json").read_text())
    assert book["summary"]["submissions"] == len(names) and book["summary"]["hidden_checks"] == "run"
    assert (out / "scores.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in names:
        assert (out / "submissions" / name / "results.json").is_file()
        assert (out / "submissions" / name / "report.txt").is_file()


@pytest.mark.parametrize("kind", sample_class.KINDS)
def test_each_submission_gets_its_expected_score_and_reason(graded_class, kind):
    names, out, _, _ = graded_class
    (name,) = [name for name, its_kind in names.items() if its_kind == kind]
    grade = next(
        grade for grade in json.loads((out / "gradebook.json").read_text())["grades"] if grade["submission"] == name
    )
    full, reasons = sample_class.EXPECTED[kind]
    graded = {lesson["id"]: lesson for lesson in grade["lessons"]}
    assert sorted(graded) == [1, 2]
    for lesson_id, lesson in graded.items():
        if lesson_id in full:
            assert lesson["score"] == lesson["max_score"], (kind, lesson)
        else:
            assert lesson["score"] < lesson["max_score"], (kind, lesson)
        if lesson_id in reasons:
            assert any(reasons[lesson_id] in reason for reason in lesson["reasons"]), (kind, lesson["reasons"])
            assert grade["status"] == "broken"
    if kind == "empty":
        assert grade["status"] == "no submission" and grade["score"] == 0 and "no lessons found" in grade["reasons"][0]
    elif not reasons:
        assert not grade["reasons"], (kind, grade["reasons"])
        assert grade["status"] == ("complete" if set(full) >= {1, 2} else "graded")
    gradescope = json.loads((out / "submissions" / name / "results.json").read_text())
    assert gradescope["score"] == grade["score"]
    assert sum(test["score"] for test in gradescope["tests"]) == pytest.approx(grade["score"], abs=0.01)


def test_zeroed_lessons_score_nothing(graded_class):
    """Dodging the checks or writing outside the folder costs the whole lesson, whatever passed."""
    _names, out, escape, _ = graded_class
    grades = {grade["submission"]: grade for grade in json.loads((out / "gradebook.json").read_text())["grades"]}
    assert grades["silenced"]["lessons"][1]["score"] == 0
    assert grades["writes_outside"]["lessons"][0]["score"] == 0
    assert not escape.exists(), "the sandbox let a submission write outside its folder"
    assert integrity.modified_files() == [], "grading a class changed the course's own files"


def test_hidden_checks_keep_all_passed_honest(graded_class):
    _names, out, _, _ = graded_class
    report = (out / "submissions" / "public_only" / "report.txt").read_text()
    public = [checks_in(get_lesson(n).checks_path) for n in (1, 2)]
    hidden = [checks_in(path) for path in sorted(HIDDEN_EXAMPLE.glob("test_lesson0*_hidden.py"))]
    assert f"public checks {public[0]}/{public[0]} · hidden checks {hidden[0] - 1}/{hidden[0]}" in report
    assert "All checks passed" not in report
    grade = json.loads((out / "submissions" / "public_only" / "grade.json").read_text())
    weighed = public[0] + hidden[0]  # all equally weighted: one hidden check fails
    assert grade["lessons"][0]["score"] == pytest.approx(10 * (weighed - 1) / weighed, abs=0.011)
    complete = (out / "submissions" / "complete" / "report.txt").read_text()
    assert (
        f"All checks passed (public checks {sum(public)}/{sum(public)} · hidden checks {sum(hidden)}/{sum(hidden)})"
        in complete
    )


def test_their_own_checks_are_never_used(graded_class):
    _names, out, _, _ = graded_class
    grade = json.loads((out / "submissions" / "clone_with_edited_checks" / "grade.json").read_text())
    assert grade["lessons"][1]["score"] == 0  # its lesson 2 is a stub, whatever its checks/ says
    assert any("its own copy of checks/ differs" in note for note in grade["notes"])


def test_the_time_limit_stops_a_lesson_not_the_others(make, tmp_path):
    """TIME_LIMIT bounds each lesson's CPU seconds: an endless loop in lesson 1 costs lesson 1 only."""
    sample_class.build_class(tmp_path / "class", kinds=("infinite_loop",))
    result = make(
        "grade-all",
        f"SUBMISSIONS={tmp_path / 'class'}",
        "LESSONS=1,2",
        "TIME_LIMIT=8",
        f"OUT={tmp_path / 'out'}",
        "HIDDEN_CHECKS=",
        env={"COURSE_TIMEOUT_S": "60"},
        timeout=300,
    )
    assert result.returncode == 0, result.output
    (grade,) = json.loads((tmp_path / "out" / "gradebook.json").read_text())["grades"]
    assert grade["seconds"] < 60, grade["seconds"]
    assert any("used up its 8 s of computing" in reason for reason in grade["reasons"]), grade["reasons"]
    assert grade["lessons"][0]["score"] == 0 and grade["lessons"][0]["checks"][-1]["message"].startswith("not run")
    assert grade["lessons"][1]["score"] == grade["lessons"][1]["max_score"]  # lesson 2 has a budget of its own
