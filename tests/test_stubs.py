"""Stubs are generated from the solutions' markers, stay in sync, and never clobber a learner's edits."""

import shutil
import subprocess
import sys

import pytest

from course.authoring import stubs
from course.lessons import LESSONS_DIR, ROOT, SOLUTIONS_DIR, all_lessons

SOLUTION = '''\
def double(x):
    """Return 2 * x."""
    # BEGIN TODO 1: Multiply x by two.
    #   Keep the type of x.
    # HINT: What does `*` do?
    # HINT: Or `+`?
    #   Either works.
    return 2 * x
    # END TODO


def main():
    print(double(2))
'''


def test_lessons_are_in_sync_with_solutions():
    completed = subprocess.run(
        [sys.executable, "-m", "course", "stubs", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout


def test_solutions_and_lessons_mirror_each_other():
    for lesson in all_lessons():
        assert lesson.file_in(SOLUTIONS_DIR).is_file()
        assert lesson.file_in(LESSONS_DIR).is_file()
        assert (LESSONS_DIR / lesson.dir / "README.md").is_file(), f"lesson {lesson.id} has no README"
        assert lesson.checks_path.is_file()
        assert lesson.hint.strip(), f"lesson {lesson.id} has no hint"


def test_every_todo_has_a_hint_and_becomes_a_raise():
    for lesson in all_lessons():
        source = lesson.file_in(SOLUTIONS_DIR).read_text()
        todos = stubs.parse(source)
        assert todos, f"lesson {lesson.id}'s solution has no TODO"
        stub = lesson.file_in(LESSONS_DIR).read_text()
        for todo in todos:
            assert todo.hints, f"lesson {lesson.id} TODO {todo.number} has no hint"
            assert f'raise NotImplementedError("TODO {todo.number}: {todo.function}() is not done yet")' in stub
        assert "BEGIN TODO" not in stub and "END TODO" not in stub and "HINT:" not in stub


def test_render_replaces_only_the_marked_region():
    stub = stubs.make_stub(SOLUTION)
    assert (
        stub
        == '''\
def double(x):
    """Return 2 * x."""
    # TODO 1: Multiply x by two.
    #   Keep the type of x.
    raise NotImplementedError("TODO 1: double() is not done yet")


def main():
    print(double(2))
'''
    )
    assert "    pass\n" in stubs.make_stub(SOLUTION, gutted=True)
    (todo,) = stubs.parse(SOLUTION)
    assert (todo.number, todo.function, todo.hints) == (1, "double", ["What does `*` do?", "Or `+`? Either works."])


@pytest.mark.parametrize(
    "source, message",
    [
        ("# BEGIN TODO 1: a\nx = 1\n", "has no '# END TODO'"),
        ("x = 1\n# END TODO\n", "without a '# BEGIN TODO'"),
        ("# BEGIN TODO 1: a\n# BEGIN TODO 2: b\n# END TODO\n", "is not closed"),
        ("# BEGIN TODO 1: a\n# END TODO\n# BEGIN TODO 1: b\n# END TODO\n", "must be unique"),
    ],
)
def test_malformed_markers_are_reported(source, message):
    with pytest.raises(stubs.MarkerError, match=message):
        stubs.parse(source, "broken.py")


@pytest.fixture
def lessons_copy(tmp_path, monkeypatch):
    """A copy of lessons/ that `write_stubs` may change."""
    copy = tmp_path / "lessons"
    shutil.copytree(LESSONS_DIR, copy)
    monkeypatch.setattr(stubs, "LESSONS_DIR", copy)
    monkeypatch.setattr(stubs, "RECORD", copy / ".stubs.json")
    return copy


def test_make_stubs_refuses_to_overwrite_edits(lessons_copy, capsys):
    lesson = all_lessons()[0]
    path = lesson.file_in(lessons_copy)
    edited = path.read_text().replace("raise NotImplementedError", "return 42  # my work #", 1)
    path.write_text(edited)
    assert stubs.write_stubs() == 1
    assert path.read_text() == edited, "a learner's edited file was overwritten"
    assert "FORCE=1" in capsys.readouterr().out
    assert stubs.write_stubs(force=True) == 0
    assert path.with_name(path.name + ".bak").read_text() == edited
    assert "return 42" not in path.read_text()


def test_make_stubs_updates_pristine_stubs(lessons_copy):
    lesson = all_lessons()[0]
    path = lesson.file_in(lessons_copy)
    expected = path.read_text()
    path.unlink()
    assert stubs.write_stubs() == 0
    assert path.read_text() == expected
    assert stubs.write_stubs() == 0  # idempotent
