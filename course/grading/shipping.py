"""What grading needs, file by file: one list for every place a grader is shipped.

Gradescope's package (``make gradescope``), Classroom 50's bundle (``make classroom50``)
and the learner's copy (``make release``) take the grading files from here, and
``checks/manifest.json`` hashes the same files, so a benchmark, a course maker's
tool or a red-team fixture never travels with a grader nor changes a grade's fingerprint.
"""

from __future__ import annotations

from pathlib import Path

from course.lessons import ROOT

# Under course/, what no grade depends on: course makers' tools and benchmarks (with the red team's
# fixtures), the instructors' packaging, and the command-line modules that only those use.
NOT_GRADING = (
    "course/bench/",
    "course/authoring/",
    "course/handout/",
    "course/cli/makers.py",
    "course/cli/handout.py",
    "course/grading/class_report.py",
)
# Beside the checks, what only course makers read: the examples of hidden checks, the learner-bug
# catalogue and the mutants' sample.
CHECKS_ONLY = ("*.py", "pytest.ini", "manifest.json")
OTHER_GRADING_FILES = (
    "lessons/lessons.toml",
    "lessons/.hints.json",
    "requirements.txt",
    "requirements-lock.txt",
)


def built(path: Path) -> bool:
    """A build product that never ships: caches and compiled files."""
    return "__pycache__" in path.parts or path.suffix == ".pyc"


def course_files(root: Path = ROOT) -> list[Path]:
    """The course package's files that grading (and the learner's commands) use, relative to ``root``."""
    return sorted(
        path.relative_to(root)
        for path in (root / "course").rglob("*")
        if path.is_file()
        and not path.is_symlink()
        and not built(path)
        and not path.relative_to(root).as_posix().startswith(NOT_GRADING)
    )


def check_files(root: Path = ROOT) -> list[Path]:
    """The public checks and their settings (not the examples and catalogues beside them)."""
    folder = root / "checks"
    found = {path for pattern in CHECKS_ONLY for path in folder.glob(pattern) if path.is_file()}
    return sorted(path.relative_to(root) for path in found)


def grading_files(root: Path = ROOT) -> list[Path]:
    """Everything a grader needs, relative to ``root``: the course's code, the checks, the web page, the pins."""
    page = sorted(path.relative_to(root) for path in (root / "app_template").rglob("*") if path.is_file())
    other = [Path(name) for name in OTHER_GRADING_FILES if (root / name).is_file()]
    return course_files(root) + check_files(root) + page + other
