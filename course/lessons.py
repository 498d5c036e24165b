"""The course's lesson list, read from ``lessons/lessons.toml``.

Everything that needs to know which lessons exist (the Makefile's targets, the
checker, ``make progress``, ``make stubs`` and the project's own tests) asks
this module, so the list is written down exactly once.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS_DIR = ROOT / "lessons"
SOLUTIONS_DIR = ROOT / "solutions"
CHECKS_DIR = ROOT / "checks"
METADATA = LESSONS_DIR / "lessons.toml"

# TARGET=lessons (the learner's code) or TARGET=solutions (the reference); any
# other value is taken as a path to a tree laid out like lessons/.
TARGET_NAMES = {"lessons": LESSONS_DIR, "solutions": SOLUTIONS_DIR}


@dataclass(frozen=True)
class Lesson:
    id: int
    dir: str
    title: str
    stub: str
    checks: str
    points: int
    timeout_s: int
    hint: str
    serves: bool = False
    runs_lessons: tuple[int, ...] = ()  # other lessons whose files this lesson's checks run too (a capstone)

    @property
    def label(self) -> str:
        return f"Lesson {self.id} · {self.title}"

    def file_in(self, tree: Path) -> Path:
        """This lesson's file in a tree (``lessons/``, ``solutions/`` or a learner's copy)."""
        return tree / self.dir / self.stub

    @property
    def module_name(self) -> str:
        return Path(self.stub).stem

    @property
    def checks_path(self) -> Path:
        return CHECKS_DIR / self.checks


@lru_cache(maxsize=1)
def course_info() -> dict:
    with METADATA.open("rb") as handle:
        return tomllib.load(handle)


@lru_cache(maxsize=1)
def all_lessons() -> tuple[Lesson, ...]:
    entries = course_info().get("lessons", [])
    lessons = tuple(Lesson(**{**entry, "runs_lessons": tuple(entry.get("runs_lessons", ()))}) for entry in entries)
    ids = [lesson.id for lesson in lessons]
    if ids != sorted(set(ids)):
        raise ValueError(f"{METADATA}: lesson ids must be unique and in order, found {ids}")
    return lessons


def get_lesson(lesson_id: int | str) -> Lesson:
    for lesson in all_lessons():
        if str(lesson.id) == str(lesson_id).lstrip("0") or lesson.dir == str(lesson_id):
            return lesson
    known = ", ".join(str(lesson.id) for lesson in all_lessons())
    raise SystemExit(f"There is no lesson {lesson_id!r}. The lessons are: {known}.")


def tree_path(target: str | os.PathLike | None = None) -> Path:
    """The tree TARGET names: ``lessons``, ``solutions``, a folder, or the path of a lesson file in it.

    Without a name: COURSE_TARGET, else ``lessons``.
    """
    target = target or os.environ.get("COURSE_TARGET") or "lessons"
    if Path(target).is_file():  # a lesson file: its tree is two folders up
        return Path(target).resolve().parent.parent
    if str(target) in TARGET_NAMES:
        return TARGET_NAMES[str(target)]
    path = Path(target)
    if not path.is_absolute():
        path = (Path.cwd() / path).resolve()
    if not path.is_dir():
        raise SystemExit(
            f"TARGET={target} is not a folder. Use TARGET=lessons, TARGET=solutions "
            "or the path of a folder laid out like lessons/."
        )
    return path


def app_tree_name() -> str:
    """The tree `make train`, `make app` and `make serve` use when none is named.

    The reference (``solutions``) where the course has one; in a learner's copy
    (``make release``, no solutions/) the learner's own ``lessons``.
    """
    return "solutions" if SOLUTIONS_DIR.is_dir() else "lessons"


def report_problems(problems: list[str], all_good: str, fix: str) -> int:
    """Print each problem, then what to do (or that all is well); the exit status says which."""
    for problem in problems:
        print(f"  ✗ {problem}")
    print(fix if problems else all_good)
    return 1 if problems else 0


def display_path(path: Path) -> str:
    """A path as a learner would type it: relative to the course root if possible.

    When grading, the learner's tree and the checks are copies in a scratch
    folder; their paths are then shown from that folder (``lessons/...``,
    ``checks/...``), never as long temporary paths.
    """
    resolved = Path(path).resolve()
    # Grading sets COURSE_SHORT_PATHS to the scratch folders that hold the copies.
    bases = [ROOT] + [
        Path(base).resolve() for base in os.environ.get("COURSE_SHORT_PATHS", "").split(os.pathsep) if base
    ]
    for base in bases:
        try:
            return str(resolved.relative_to(base))
        except ValueError:
            continue
    return str(path)


def stage_paths(target: Path) -> list[str]:
    """Folders to put on ``sys.path`` so that one lesson can import another.

    Lesson 4's ``train.py`` says ``from preprocess import preprocess_images``;
    that works because every lesson folder of the same tree is on the path.
    """
    return [str(target / lesson.dir) for lesson in all_lessons()] + [str(ROOT)]


def add_stage_paths(target: Path) -> None:
    for path in reversed(stage_paths(target)):
        if path not in sys.path:
            sys.path.insert(0, path)


def forget_standins() -> None:
    """Forget the course's stand-ins for earlier lessons (``course.worker.standins``), if any are loaded.

    The next import of an earlier lesson then finds the tree's own file: the whole pipeline
    (``make train``, lesson 6's capstone) runs the learner's lessons, never the graders' stand-ins.
    """
    for name, module in list(sys.modules.items()):
        if getattr(module, "__course_standin__", False):
            del sys.modules[name]


@dataclass(frozen=True)
class HiddenChecks:
    """Which hidden checks a grade runs: a folder (or none), and whether the class has hidden checks at all.

    ``configured`` with no ``folder`` means "this class has hidden checks, but
    they are not on this machine": a report then says they are still to come.
    """

    folder: Path | None
    configured: bool

    @classmethod
    def none(cls) -> HiddenChecks:
        return cls(None, False)

    @classmethod
    def at(cls, folder: str | os.PathLike) -> HiddenChecks:
        path = Path(folder).resolve()
        if not path.is_dir():
            raise SystemExit(f"HIDDEN_CHECKS={folder} is not a folder.")
        return cls(path, True)

    @classmethod
    def setting(cls) -> HiddenChecks:
        """HIDDEN_CHECKS, else ``[grading] hidden_checks`` in lessons.toml.

        A folder that is not here: ``configured``, with no ``folder``.
        """
        value = os.environ.get("HIDDEN_CHECKS")
        if value is None:
            value = course_info().get("grading", {}).get("hidden_checks", "")
        if not value:
            return cls.none()
        folder = Path(value).expanduser()
        folder = folder if folder.is_absolute() else (ROOT / folder)
        return cls(folder.resolve() if folder.is_dir() else None, True)
