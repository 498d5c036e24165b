"""``make run-lessonN``: run a lesson's file as a script and see what it prints (and the pictures it saves)."""

from __future__ import annotations

import os
import runpy
import traceback
from pathlib import Path

from course.checking.explain import TODO_MESSAGE, VERBOSE_NOTE, learner_frames
from course.lessons import add_stage_paths, all_lessons, display_path, get_lesson


def run_as_script(lesson_id, target: Path, verbose: bool = False) -> int:
    """Run a lesson's file as a script; an unfinished TODO or an error is told in a few plain lines."""
    lesson = get_lesson(lesson_id)
    path = lesson.file_in(target)
    if not path.is_file():
        print(f"There is no {display_path(path)} to run.")
        return 1
    add_stage_paths(target)
    os.environ.setdefault("MPLBACKEND", "Agg")
    from course.quiet import uses_tensorflow

    if uses_tensorflow(path):
        from course.pipeline import configure_tensorflow

        configure_tensorflow()
    print(f"Running {display_path(path)}\n")
    try:
        runpy.run_path(str(path), run_name="__main__")
    except KeyboardInterrupt:
        print("\nStopped.")
        return 130
    except Exception as error:
        tell_failure(error, lesson, target, verbose)
        return 1
    return 0


def tell_failure(error: Exception, lesson, target: Path, verbose: bool = False) -> None:
    """An error from running a lesson, told in a few plain lines (`make run-lessonN` and the notebooks' run_lesson)."""
    from course.data import MNISTDataError

    if verbose:
        traceback.print_exc()
    mine = learner_frames(error, error.__traceback__, target)
    match = TODO_MESSAGE.search(str(error))
    if isinstance(error, NotImplementedError) and match:
        where = mine[-1].file if mine else display_path(lesson.file_in(target))
        owner = next((other for other in all_lessons() if display_path(other.file_in(target)) == where), lesson)
        print(f"\nNot done yet: {match['function']}() (TODO {match['number']}) in {where}.")
        print(f"Finish it, then grade it with `make check-lesson{owner.id}`.")
    elif isinstance(error, MNISTDataError):
        print(f"\nThe data could not be loaded: {error}")
    elif mine:
        frame = mine[-1]
        print(f"\nYour code raised an error in {frame.file}, line {frame.line}, in {frame.name}:")
        print(f"    {frame.code.strip()}\n{type(error).__name__}: {error}")
        print(VERBOSE_NOTE)
    else:
        traceback.print_exc()
