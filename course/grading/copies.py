"""What the sandboxes read of the course while grading: copies made for the run, never the instructor's tree.

Every sandbox of a grading run reads the course's code from copies in the
run's scratch folder, made before any submission runs:

* ``full``: what grading needs (``shipping.course_files``, the lesson list, the
  hints, the web page): for the checks and the judge.
* one per lesson, for the workers that import a learner's file: only what such
  a worker runs (``LEARNER_FILES``: the worker's loop, ``course.helpers`` and
  what it reaches), less what holds the answers of that lesson's own TODOs
  (``ANSWERS``). What a lesson file may import is what its worker can read: a
  computed import of ``course.grading``, the judge's yardsticks or lesson 1's
  reader finds no file, whatever the tamper scan saw.

No copy holds ``solutions/``, the project's history, the hidden checks or a
benchmark. Where the sandbox cannot hide the instructor's tree (the ``user``
level: no namespaces, only users and permissions), ``closed_to_others`` closes
everything in it but the virtual environment to other users for the time of
the grading, then puts the permissions back (several graders at once share one
closing: the last one out restores it).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from course.grading.shipping import course_files
from course.lessons import ROOT, all_lessons

# What a worker that imports a learner's file runs: its own loop, and course.helpers with what it reaches.
LEARNER_FILES = (
    "course/__init__.py",
    "course/worker/",
    "course/helpers.py",
    "course/calibration.py",
    "course/channel.py",
    "course/npy.py",
    "course/data.py",
    "course/mnist_file.py",
    "course/drawings.py",
    "course/experiments.py",
    "course/feedback.py",
    "course/handwriting.py",
    "course/lessons.py",
    "course/model_file.py",
    "course/outputs.py",
    "course/pendigits.py",
    "course/pictures.py",
    "course/pipeline.py",
    "course/quiet.py",
    "course/serving.py",
)
JUDGE_ONLY = ("course/worker/yardsticks.py",)  # the checks' yardsticks: never beside a learner's file
ANSWERS = {  # lesson -> course files that hold the answers of its own TODOs (its workers never see them)
    1: ("course/mnist_file.py",),  # reading mnist.npz into the classic tuple
    4: ("course/pipeline.py",),  # the validation split, the dataset and the training loop of `make train`
}
OTHER_FILES = ("lessons/lessons.toml", "lessons/.hints.json")


def _copy(files: list[Path], destination: Path) -> Path:
    for name in files:
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, target)
    for folder, _folders, names in os.walk(destination):
        os.chmod(folder, 0o755)  # every sandbox's user reads it; nothing in it is secret
        for name in names:
            os.chmod(os.path.join(folder, name), 0o644)
    return destination


def learner_files(lesson_id: int) -> list[Path]:
    """The course files a worker reads while it grades lesson ``lesson_id``."""
    withheld = set(JUDGE_ONLY) | set(ANSWERS.get(lesson_id, ()))
    return [
        path for path in course_files() if path.as_posix().startswith(LEARNER_FILES) and path.as_posix() not in withheld
    ]


def page_and_lists() -> list[Path]:
    page = [path.relative_to(ROOT) for path in (ROOT / "app_template").rglob("*") if path.is_file()]
    return page + [Path(name) for name in OTHER_FILES if (ROOT / name).is_file()]


def make_copies(workdir: Path) -> tuple[Path, dict[int, Path]]:
    """The full copy (checks, judge) and one per lesson (learners' workers), under ``workdir``."""
    full = _copy(course_files() + page_and_lists(), workdir / "course-full")
    lessons = {
        lesson.id: _copy(learner_files(lesson.id) + page_and_lists(), workdir / f"course-lesson{lesson.id:02d}")
        for lesson in all_lessons()
    }
    return full, lessons


# -- the user level: the instructor's tree, closed to other users while grading ---------------------------------


def _state_file() -> Path:
    key = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"course-closed-{key}.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def to_close(hidden_folder: Path | None) -> list[Path]:
    """Everything in the course's folder but the virtual environment (the sandboxes' users run its Python), and
    the hidden checks' own folder, wherever it is."""
    keep = {Path(os.path.realpath(ROOT / ".venv")), ROOT / ".venv"}
    entries = [entry for entry in ROOT.iterdir() if entry not in keep and not entry.is_symlink()]
    return [*entries, *([hidden_folder] if hidden_folder is not None and hidden_folder.exists() else [])]


@contextlib.contextmanager
def closed_to_others(hidden_folder: Path | None):
    """For the time of the ``with``: no other user may read anything of the course's tree but ``.venv`` (nor the
    hidden checks), and may not list the tree itself. Graders running at once share one closing (a lock file and the
    list of their processes); the last one out puts every permission back as it was."""
    state, lock = _state_file(), _state_file().with_suffix(".lock")
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        facts = json.loads(state.read_text()) if state.is_file() else {"holders": [], "modes": {}}
        facts["holders"] = [pid for pid in facts["holders"] if _alive(pid)] + [os.getpid()]
        if not facts["modes"]:
            for path in [ROOT, *to_close(hidden_folder)]:
                mode = path.lstat().st_mode & 0o7777
                facts["modes"][str(path)] = mode
                path.chmod(mode & ~0o066 if path == ROOT else mode & ~0o077)
        state.write_text(json.dumps(facts))
    try:
        yield
    finally:
        with open(lock, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            facts = json.loads(state.read_text())
            facts["holders"] = [pid for pid in facts["holders"] if pid != os.getpid() and _alive(pid)]
            if not facts["holders"]:
                for name, mode in facts["modes"].items():
                    with contextlib.suppress(OSError):
                        Path(name).chmod(mode)
                state.unlink()
            else:
                state.write_text(json.dumps(facts))
