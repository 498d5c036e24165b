"""The parser: commands registered with ``@command``, the options they share, and ``main``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from course.lessons import ROOT, get_lesson

LEARNERS, INSTRUCTORS, MAKERS = "learners", "instructors and app users", "course makers"


@dataclass
class Command:
    group: str
    name: str
    help: str
    options: tuple
    call: Callable


COMMANDS: list[Command] = []


def command(group: str, name: str, help: str, *options):
    """Register the decorated function as command ``name``; ``options`` are (flags, argparse keywords) pairs."""

    def register(call):
        COMMANDS.append(Command(group, name, help, options, call))
        return call

    return register


def option(*flags, **keywords):
    return flags, keywords


def lesson_ids(text: str | None) -> list[int] | None:
    """``--lessons 1,2`` as lesson ids (None: every lesson)."""
    if not text:
        return None
    return [get_lesson(part).id for part in comma_list(text.replace(" ", ","))]


def comma_list(text: str) -> list[str]:
    """``a, b,c`` as ``["a", "b", "c"]`` (an argparse type)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def hidden_checks(args):
    """The hidden checks the arguments ask for.

    --no-hidden: none; --hidden DIR: that folder; neither: None, the class's setting (HIDDEN_CHECKS or lessons.toml).
    """
    from course.lessons import HiddenChecks

    if getattr(args, "no_hidden", False):
        return HiddenChecks.none()
    return HiddenChecks.at(args.hidden) if getattr(args, "hidden", None) else None


def grading_settings(args, environ=None):
    """How to grade, read once: the command's options and the variables that tune grading for tests.

    COURSE_ISOLATION forces a weaker isolation level than the machine allows; COURSE_CGROUPS=0 grades without
    control groups (as where none can be made); COURSE_TIMEOUT_S sets the CPU seconds of every check;
    VERBOSE=1 shows tracebacks.
    """
    import os

    from course.grading.settings import DEADLINE_S, GradingSettings

    environ = os.environ if environ is None else environ
    forced, timeout = environ.get("COURSE_ISOLATION"), environ.get("COURSE_TIMEOUT_S")
    ids = lesson_ids(getattr(args, "lessons", None))
    return GradingSettings(
        lesson_ids=tuple(ids) if ids else None,
        hidden=hidden_checks(args),
        time_limit=getattr(args, "time_limit", None),
        deadline=getattr(args, "deadline", None) or DEADLINE_S,
        jobs=getattr(args, "jobs", None),
        isolation=forced if forced in ("bwrap", "user", "none") else None,
        trust=bool(getattr(args, "trust_submissions", False)),
        check_seconds=float(timeout) if timeout else None,
        verbose=environ.get("VERBOSE", "") not in ("", "0"),
        cgroups=environ.get("COURSE_CGROUPS", "1") not in ("0", "no", "false"),
    )


def out_folder(args, default: str) -> Path:
    return Path(args.out) if args.out else ROOT / "outputs" / default


TREE = option("--target", default=None, help="lessons (default), solutions, or a folder laid out like lessons/")
LESSON = option("lesson", help="a lesson number")
JOBS = option("--jobs", type=int, default=None, help="how many at once (default: the CPU cores)")
QUIET = option("--quiet", action="store_true", help="no progress bar")
ONLY_LESSONS = option("--lessons", default=None, help="only these lessons, e.g. 1,2")
YES = option("--yes", action="store_true", help="do not ask")
OUT = option("--out", default=None, help="folder for the results (default: under outputs/)")
RESULTS = option("--results", default=None, help="also write Gradescope's results.json here")
SUBMISSIONS = option("submissions", help="a folder holding one folder (or .zip) per learner")
CHECK_ONLY = option("--check", action="store_true", help="only report whether all is as recorded")
HIDDEN_FOLDER = option(
    "--hidden", default=None, help="folder of hidden checks (default: HIDDEN_CHECKS or lessons.toml)"
)
UPLOAD = (option("--submission", required=True), option("--results", required=True))
SERVED_TREE = option(
    "--target",
    default=None,
    help="solutions (the default where there is one, else lessons), lessons, or a folder laid out like lessons/",
)
TRAINING = (
    SERVED_TREE,
    option("--epochs", type=int, default=None, help="epochs (default: the tree's EPOCHS, or the EPOCHS variable)"),
    option("--seed", type=int, default=None),
    option("--model-path", default=None, help="where to save the model (default: digit_classifier.h5)"),
    option("--if-missing", action="store_true", help="do nothing if the model file already exists"),
)
STUBS = (
    option("--force", action="store_true", help="overwrite edited stubs (backed up first)"),
    option("--check", action="store_true", help="only report whether lessons/ is in sync"),
    option("--gutted", metavar="DIR", help="write stubs with `pass` instead of `raise` to DIR"),
)
MUTANTS = (
    ONLY_LESSONS,
    option("--sample", action="store_true", help="only the fixed sample in checks/mutants.toml"),
    option("--learner-bugs", action="store_true", help="only the learner-bug catalogue (checks/learner_bugs.toml)"),
    option("--held-out", action="store_true", help="only its held-out half (checks/learner_bugs_heldout.toml)"),
    option(
        "--ids", type=comma_list, default=None, help="only these mutants (ids from the report), e.g. L5-T5-9c3cfc95"
    ),
    JOBS,
    QUIET,
)
BENCH_GRADE = (
    option("--submissions", type=int, default=40, help="size of the made-up class"),
    option("--baseline", type=int, default=6, help="submissions graded both ways (0: none)"),
    JOBS,
    option("--no-isolation", action="store_true", help="skip timing a submission sandboxed and not"),
)
GRADING = (
    ONLY_LESSONS,
    HIDDEN_FOLDER,
    option("--no-hidden", action="store_true", help="grade with the public checks only"),
    option("--time-limit", type=float, default=None, help="CPU seconds each lesson of a submission may use"),
    option("--deadline", type=float, default=None, help="wall-clock seconds for a whole submission (default 900)"),
    option("--trust-submissions", action="store_true", help="grade even where code cannot be sandboxed"),
)
