"""`make class-report`: a made-up class graded, then its page opened in headless Chromium.

The class: a complete submission, a halfway one, an untouched stub, one that
does not even parse, and a learner whose name is markup. The page must load
with no console error, list the most failed check first, open a learner's own
report from their name, and show the markup name as text.
"""

import json
import shutil
import subprocess

import pytest

from course.bench import sample_class
from course.grading.class_report import render_html, report_data
from course.grading.scoring import CheckResult, Grade, LessonScore
from course.lessons import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
MARKUP = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for kind in ("complete", "partial", "stub", "syntax_error"):
        sample_class.make_submission(kind, folder / "class" / kind)
    sample_class.make_submission("stub", folder / "class" / MARKUP)
    out = folder / "out"
    for command in (
        ["grade-all", f"SUBMISSIONS={folder / 'class'}", "LESSONS=1", f"OUT={out}", "HIDDEN_CHECKS=", "JOBS=2"],
        ["class-report", f"OUT={out}"],
    ):
        done = subprocess.run(["make", "--no-print-directory", *command], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_page_loads_ranks_links_and_escapes(graded):
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((graded / "class-report.html").as_uri())
        data = json.loads((graded / "class-report.json").read_text())
        first = page.locator("table.checks tr").nth(1).locator("td").nth(3).inner_text()
        assert first == data["checks"][0]["name"] and data["checks"][0]["pass_rate"] == min(
            check["pass_rate"] for check in data["checks"]
        )
        assert page.get_by_text(MARKUP, exact=True).count() >= 1  # the name is text on the page
        assert page.locator("img[onerror]").count() == 0
        page.get_by_role("link", name="complete", exact=True).click()
        assert "Grade for complete" in page.locator("body").inner_text()
        browser.close()
    assert not errors, errors


def test_the_json_beside_it_holds_what_the_page_shows(graded):
    data = json.loads((graded / "class-report.json").read_text())
    assert data["summary"]["submissions"] == 5
    states = {row["name"]: row["lessons"]["1"]["state"] for row in data["learners"]}
    assert states["complete"] == "complete" and states["stub"] == "not started" and states[MARKUP] == "not started"
    assert data["summary"]["lessons_not_graded"] == [2, 3, 4, 5, 6, 7, 8]
    assert [check["pass_rate"] for check in data["checks"]] == sorted(check["pass_rate"] for check in data["checks"])


def test_one_learner_and_an_old_gradebook_make_a_page_too():
    """A class of one, from a gradebook that predates some fields (no TODOs, no times): a page, not a traceback."""
    check = CheckResult("it works", "test_lesson01.py::test_it", False, 1.0, "failed", "expected 1, found 2")
    lesson = LessonScore(1, "Load the data", "Lesson 1", 10, 0.0, [check])
    grade = Grade("only-one", "src", "abc", "none", lessons=[lesson], score=0.0, max_score=10)
    page = render_html(report_data([grade], {}), None)
    assert "only-one" in page and "it works" in page and "expected 1, found 2" in page


def test_a_class_of_a_thousand_folds_its_grid():
    """1,000 learners: the grid comes in folds of PAGE learners, only the first open, and the page stays small."""
    from course.grading.class_report import PAGE

    grades = []
    for number in range(1000):
        passed = number % 3 == 0
        check = CheckResult("it works", "test_lesson01.py::test_it", False, 1.0, "passed" if passed else "failed", "")
        lesson = LessonScore(1, "Load the data", "Lesson 1", 10, 10.0 if passed else 0.0, [check])
        grades.append(
            Grade(f"learner-{number:04}", "src", "abc", "none", lessons=[lesson], score=lesson.score, max_score=10)
        )
    data = report_data(grades, {})
    page = render_html(data, None)
    assert data["summary"]["submissions"] == 1000 and data["checks"][0]["pass_rate"] == 334 / 1000
    assert page.count("<details open>") == 1 and page.count("<summary>learners ") == 1000 // PAGE
    assert "learner-0999" in page and len(page) < 2_000_000
