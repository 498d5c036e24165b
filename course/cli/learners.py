"""Commands for learners: check, run, progress, watch, hint, reset, notebooks, data."""

from __future__ import annotations

import argparse

from course.checking.runner import CheckSettings
from course.cli.registry import LEARNERS, LESSON, TREE, YES, command, option
from course.lessons import tree_path


@command(
    LEARNERS,
    "check",
    "grade lesson N, or all (make check-lessonN, make check)",
    option("lesson", help="N, or all"),
    TREE,
)
def check(args):
    from course.learner.progress import check_lessons

    return check_lessons(args.lesson, tree_path(args.target), CheckSettings.from_environment())


@command(LEARNERS, "run", "run lesson N's file and see what it prints (make run-lessonN)", LESSON, TREE)
def run(args):
    from course.learner.run import run_as_script

    return run_as_script(args.lesson, tree_path(args.target), verbose=CheckSettings.from_environment().verbose)


@command(LEARNERS, "progress", "a table of every lesson's checks, and what to do next (make progress)", TREE)
def progress(args):
    from course.learner.progress import show_progress

    return show_progress(tree_path(args.target), CheckSettings.from_environment())


@command(
    LEARNERS,
    "watch",
    "re-grade the first unfinished lesson on every save (make watch)",
    TREE,
    option("--stop-after", type=float, default=None, help=argparse.SUPPRESS),
)
def watch(args):
    from course.learner.progress import watch_lessons

    return watch_lessons(tree_path(args.target), CheckSettings.from_environment(), stop_after=args.stop_after)


@command(
    LEARNERS, "hint", "one more hint for lesson N (make hint-lessonN [TODO=n])", LESSON, option("--todo", type=int)
)
def hint(args):
    from course.learner.hints import show_hints

    return show_hints(args.lesson, todo=args.todo)


@command(LEARNERS, "reset", "put lesson N's file back; asks first, keeps a .bak (make reset-lessonN)", LESSON, YES)
def reset(args):
    from course.learner.reset import reset_lesson

    return reset_lesson(args.lesson, assume_yes=args.yes)


@command(
    LEARNERS,
    "notebooks",
    "one notebook per lesson in notebooks/ (make lab opens them)",
    option("--target", default="lessons", help="lessons (default), solutions, or a folder laid out like lessons/"),
)
def notebooks(args):
    from course.learner.notebooks import write_notebooks

    return write_notebooks(args.target)


@command(LEARNERS, "data", "say where MNIST is; downloads it once if there is no local copy (make data)")
def data(args):
    from course.mnist_file import say_where_mnist_is

    return say_where_mnist_is()
