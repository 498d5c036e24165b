"""The learner's helpers: hints one at a time, resetting a lesson after asking, watch mode."""

import re
import shutil
import subprocess
import sys
import time

import pytest

from course.authoring import stubs
from course.learner import hints as learner_hints
from course.learner import reset
from course.lessons import ROOT, SOLUTIONS_DIR, all_lessons, get_lesson

LESSONS = [pytest.param(lesson, id=f"lesson{lesson.id}") for lesson in all_lessons()]


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_todo_has_a_hint(lesson):
    solution = lesson.file_in(SOLUTIONS_DIR)
    todos = stubs.parse(solution.read_text())
    assert todos and all(todo.hints for todo in todos), f"{solution}: every TODO needs at least one # HINT: line"


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setattr(learner_hints, "STATE_DIR", tmp_path / "state")
    return tmp_path / "state"


def test_hints_are_revealed_one_more_per_call(state):
    lesson = get_lesson(2)
    hints = learner_hints.lesson_hints(lesson)
    assert len(hints) >= 3
    seen = []
    for call in range(len(hints) + 1):
        lines = []
        learner_hints.show_hints(2, out=lines.append)
        text = "\n".join(lines)
        shown = [hint for hint in hints if hint.text in text]
        seen.append(len(shown))
        if call < len(hints):
            assert "← new" in text
    assert seen == [*range(1, len(hints) + 1), len(hints)]
    assert "every hint for lesson 2" in text


def test_the_first_hint_is_for_a_todo_that_fails(state, monkeypatch):
    """After `make check-lesson4` failed on TODO 8 only, `make hint-lesson4` starts with TODO 8, never TODO 1."""
    monkeypatch.setattr(learner_hints, "_last_checks", lambda lesson: [{"status": "failed", "todos": [8]}])
    lines = []
    learner_hints.show_hints(4, out=lines.append)
    text = "\n".join(lines)
    new = next(line for line in lines if "← new" in line)
    (todo8,) = [hint for hint in learner_hints.lesson_hints(get_lesson(4)) if hint.todo == 8][:1]
    assert todo8.text in new and "TODO 8 in" in text and "TODO 1 in" not in text, text
    assert "checks of TODO 8 failed: their hints come first" in text


def test_todos_not_started_are_not_called_failed(state, monkeypatch):
    """A TODO whose checks all said "not done yet" is not started, not failed: the hint page says which is which."""
    checks = [
        {"status": "failed", "todos": [1]},
        {"status": "todo", "todos": [2]},
        {"status": "todo", "todos": [3]},
        {"status": "failed", "todos": [3]},
        {"status": "passed", "todos": [4]},
    ]
    monkeypatch.setattr(learner_hints, "_last_checks", lambda lesson: checks)
    lines = []
    learner_hints.show_hints(4, out=lines.append)
    assert "checks of TODO 1, 3 failed and TODO 2 is not done yet: their hints come first" in "\n".join(lines)


def test_since_last_time_remembers_a_measure(tmp_path, monkeypatch):
    from course.outputs import since_last_time

    monkeypatch.setenv("COURSE_OUTPUTS", str(tmp_path))
    assert since_last_time("lesson 7: unseen writers", 0.959, "{:.1%}") == ""
    assert since_last_time("lesson 7: unseen writers", 0.988, "{:.1%}") == " (last time: 95.9%)"
    assert since_last_time("lesson 7: unseen writers", 0.988, "{:.1%}") == " (the same as last time)"


def test_hint_for_one_todo(state):
    lines = []
    learner_hints.show_hints(2, todo=3, out=lines.append)
    text = "\n".join(lines)
    (todo3,) = [hint for hint in learner_hints.lesson_hints(get_lesson(2)) if hint.todo == 3]
    assert todo3.text in text and "TODO 1 in" not in text
    lines = []
    assert learner_hints.show_hints(2, todo=9, out=lines.append) == 1
    assert "no TODO 9" in lines[0]


@pytest.fixture
def lessons_copy(tmp_path):
    destination = tmp_path / "lessons"
    shutil.copytree(ROOT / "lessons", destination)
    return destination


def test_reset_asks_and_keeps_a_backup(lessons_copy, state):
    lesson = get_lesson(2)
    path = lesson.file_in(lessons_copy)
    original = path.read_text()
    path.write_text(original + "\n# my work\n")
    said = []
    assert reset.reset_lesson(2, ask=lambda prompt: "no", out=said.append, lessons_dir=lessons_copy) == 1
    assert path.read_text().endswith("# my work\n"), "a 'no' must change nothing"
    assert "Nothing was changed" in said[-1]
    assert reset.reset_lesson(2, ask=lambda prompt: "yes", out=said.append, lessons_dir=lessons_copy) == 0
    assert path.read_text() == original
    assert path.with_name(path.name + ".bak").read_text().endswith("# my work\n")
    assert stubs.digest(original) in (lessons_copy / ".stubs.json").read_text()


def test_watch_regrades_on_save_and_moves_on(tmp_path):
    """Lesson 1 done, lesson 2 a stub: watch grades lesson 2, and when the file is saved complete, moves to lesson 3."""
    tree = stubs.write_tree(tmp_path / "tree")
    shutil.copy(SOLUTIONS_DIR / "01_load_data" / "load_data.py", tree / "01_load_data" / "load_data.py")
    process = subprocess.Popen(
        [sys.executable, "-m", "course", "watch", "--target", str(tree), "--stop-after", "90"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    try:
        deadline = time.monotonic() + 120
        saved = False
        for line in process.stdout:
            output.append(line)
            if "Watching" in line and "02_preprocess" in line and not saved:
                time.sleep(0.5)
                shutil.copy(SOLUTIONS_DIR / "02_preprocess" / "preprocess.py", tree / "02_preprocess" / "preprocess.py")
                saved = True
            if ("Watching" in line and "03_build_cnn" in line) or time.monotonic() > deadline:
                break
    finally:
        process.kill()
        process.wait()
    text = "".join(output)
    total = len(re.findall(r"^def test_", get_lesson(2).checks_path.read_text(), re.M))
    assert (
        f"grading lesson 2 of {len(all_lessons())}" in text
        and f"Lesson 2 · Preprocess: 0/{total} checks passed" in text
    ), text
    assert f"Lesson 2 · Preprocess: {total}/{total} checks passed" in text, text
    assert "On to lesson 3" in text and f"grading lesson 3 of {len(all_lessons())}" in text, text
    assert "Traceback" not in text
