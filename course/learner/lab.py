"""What a lesson notebook calls (`make lab`): the learner's own lesson file, its pictures, its grade.

Every notebook starts with ``lesson = open_lesson(N)``: it imports the
learner's file for lesson N (``lessons/`` unless COURSE_TARGET says otherwise)
with IPython's autoreload on, so an edit saved in the editor is what the next
cell runs. ``run_lesson(N)`` runs the file's ``main()`` (what ``make
run-lessonN`` does) and shows the pictures it saved; ``check(N)`` prints the
same report as ``make check-lessonN``. The ``.py`` file stays the one thing
that is graded.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

from course.lessons import ROOT, add_stage_paths, get_lesson, tree_path
from course.outputs import output_path

__all__ = ["check", "open_lesson", "output_path", "run_lesson", "show", "show_pictures"]


def _target() -> Path:
    return tree_path(os.environ.get("COURSE_TARGET") or "lessons")


def _autoreload() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: nothing to set up
        return
    shell = get_ipython()
    if shell is not None and "autoreload" not in shell.extension_manager.loaded:
        shell.run_line_magic("load_ext", "autoreload")
        shell.run_line_magic("autoreload", "2")


def open_lesson(lesson_id: int):
    """Import lesson ``lesson_id``'s file from the learner's tree, reloaded whenever it changes."""
    from course.quiet import import_tensorflow

    _autoreload()
    import_tensorflow()
    target = _target()
    add_stage_paths(target)
    lesson = get_lesson(lesson_id)
    module = importlib.import_module(lesson.module_name)
    lesson_file = lesson.file_in(target)
    shown_path = lesson_file.relative_to(ROOT) if lesson_file.is_relative_to(ROOT) else lesson_file
    print(f"Lesson {lesson.id} · {lesson.title}: {shown_path}")
    return module


def show(path) -> None:
    """Show a saved picture in the notebook."""
    from IPython.display import Image, display

    display(Image(filename=str(path)))


def show_pictures(lesson_id: int, since: float = 0.0) -> list[Path]:
    """Show every picture lesson ``lesson_id`` saved in outputs/ (those written after ``since``)."""
    folder = output_path("x").parent
    pictures = sorted(
        path for path in folder.glob(f"lesson{int(lesson_id):02d}_*.png") if path.stat().st_mtime >= since
    )
    for picture in pictures:
        print(picture.name)
        show(picture)
    return pictures


def run_lesson(lesson_id: int) -> None:
    """Run the lesson file's main() (as `make run-lessonN` does), then show the pictures it saved."""
    lesson = get_lesson(lesson_id)
    if lesson.serves:
        print(f"Lesson {lesson.id} starts a web server: run `make app TARGET=lessons` in a terminal instead.")
        return
    started = time.time() - 1
    try:
        module = importlib.import_module(lesson.module_name)
        module.main()
    except Exception as error:  # told as `make run-lessonN` tells it; the next cells (check) still run
        from course.learner.run import tell_failure

        tell_failure(error, lesson, _target(), verbose=os.environ.get("VERBOSE", "") not in ("", "0"))
        return
    show_pictures(lesson.id, since=started)


def check(lesson_id: int) -> bool:
    """Grade lesson ``lesson_id`` and print the report: the same as `make check-lessonN`. True if every check passed."""
    command = [sys.executable, "-m", "course", "check", str(int(lesson_id)), "--target", str(_target())]
    environment = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env={**environment, "NO_COLOR": "1"})
    print(completed.stdout + completed.stderr, end="")
    return completed.returncode == 0
