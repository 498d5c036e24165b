"""`make lab`'s notebooks: generated from the lessons and run headless.

check(N) says what `make check-lessonN` says.
"""

import os
import re
import subprocess

import nbformat
import pytest
from nbclient import NotebookClient

from course.learner.notebooks import build, todos
from course.lessons import ROOT, all_lessons


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    return build("solutions", tmp_path_factory.mktemp("notebooks"))


def test_one_valid_notebook_per_lesson_listing_every_todo(notebooks, tmp_path):
    assert len(notebooks) == len(all_lessons())
    stubs = build("lessons", tmp_path)
    for lesson, path in zip(all_lessons(), stubs):
        book = nbformat.read(path, as_version=4)
        nbformat.validate(book)
        text = "\n".join(cell.source for cell in book.cells)
        numbers = [number for number, _, _ in todos(lesson.file_in(ROOT / "lessons"))]
        assert numbers and all(f"{n}. **" in text for n in numbers), path.name
        assert f"open_lesson({lesson.id})" in text and f"check({lesson.id})" in text


def execute(path, target):
    book = nbformat.read(path, as_version=4)
    os.environ["COURSE_TARGET"] = str(target)
    try:
        NotebookClient(book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        os.environ.pop("COURSE_TARGET", None)
    return book


def outputs_of(cell):
    return "".join(
        output.get("text", "") for output in cell.get("outputs", []) if output.get("output_type") == "stream"
    )


def test_a_notebook_runs_headless_shows_its_pictures_and_grades_like_make(notebooks):
    book = execute(notebooks[1], ROOT / "solutions")  # lesson 2: runs in seconds, saves a picture
    pictures = [
        output for cell in book.cells for output in cell.get("outputs", []) if "image/png" in output.get("data", {})
    ]
    assert pictures, "run_lesson(2) should show the picture the lesson saved"
    graded = outputs_of(book.cells[-1])
    make = subprocess.run(
        ["make", "--no-print-directory", "check-lesson2", "TARGET=solutions"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}, "NO_COLOR": "1"},
    )
    assert make.returncode == 0 and graded.strip() == make.stdout.strip(), (graded, make.stdout)


def test_run_all_on_unfinished_stubs_speaks_like_make_and_reaches_check(tmp_path):
    """Lesson 2's notebook with lesson 1 unfinished: run_lesson says "not done yet" in a few lines, check(2) runs."""
    path = build("lessons", tmp_path, lessons={2})[0]
    book = nbformat.read(path, as_version=4)
    os.environ["COURSE_TARGET"] = str(ROOT / "lessons")
    try:
        NotebookClient(book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        os.environ.pop("COURSE_TARGET", None)
    (ran,) = [cell for cell in book.cells if "run_lesson(" in cell.source]
    told = outputs_of(ran)
    assert "Not done yet: load_mnist() (TODO 1) in lessons/01_load_data/load_data.py" in told, told
    assert len(told.strip().splitlines()) <= 6 and "Traceback" not in told, told
    assert not any(output.get("output_type") == "error" for cell in book.cells for output in cell.get("outputs", []))
    graded = outputs_of(book.cells[-1])
    assert "not done yet" in graded and re.search(r"0/\d+ checks passed", graded), graded
