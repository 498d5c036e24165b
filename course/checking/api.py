"""What the checks in ``checks/`` call: ``expect``, ``describe``, ``import_lesson``, ``given``, ``is_a``, ``folder``.

``expect(condition, what, expected=..., found=..., hint=...)`` is a check's one
way to fail: its message *is* the learner's feedback, so it says what was
expected, what was found, and a question that helps.

The learner's code never runs in the checks' process. ``import_lesson(3)``
imports lesson 3's file in a worker process and gives back its stand-in here:
``lesson.build_model(...)`` runs there, and what it returns comes back as data,
or as a reference to an object that stays there (``course.checking.remote``).
``given.tiny_model()`` asks the worker to make an input the checks hand to the
learner's code (``course.worker.inputs`` lists them); ``folder("name")`` is
a fresh folder in the worker's world, where the learner's code saves files.
"""

from __future__ import annotations

from pathlib import Path

from course.checking.refs import Ref, is_a
from course.lessons import display_path, get_lesson

__all__ = ["CheckFailed", "describe", "expect", "folder", "given", "import_lesson", "is_a", "judge", "last_call"]


class CheckFailed(AssertionError):
    """A check's expectation was not met. Carries what was expected, what was found and a hint."""

    def __init__(self, what: str, expected=None, found=None, hint: str | None = None):
        self.what, self.expected, self.found, self.hint = what, expected, found, hint
        lines = [what]
        if expected is not None or found is not None:
            lines.append(f"expected {expected}, found {found}")
        super().__init__("\n".join(lines))


def expect(condition, what: str, expected=None, found=None, hint: str | None = None) -> None:
    """Fail the check with a beginner-readable message unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(what, expected, found, hint)


def describe(value) -> str:
    """A short description of a value for "found ..." messages."""
    if isinstance(value, Ref):
        return f"a {value.type_name}"
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return f"an array of shape {tuple(shape)} and dtype {value.dtype}"
    if value is None:
        return "None (did the function forget to return?)"
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


class RemoteModule:
    """The learner's lesson module, imported in the worker; attributes and calls go there.

    If the worker had to be replaced (an earlier check ran out of time, say),
    the module is imported again in the new one.
    """

    def __init__(self, pool, lesson):
        self._pool, self._lesson = pool, lesson
        self.__file__ = str(lesson.file_in(pool.target))
        self._module()

    def _module(self) -> Ref:
        facts = self._pool.import_lesson(self._lesson.id)
        expected = Path(self.__file__).resolve()
        expect(
            Path(facts.file) == expected,
            f"`import {self._lesson.module_name}` found another file first",
            expected=display_path(expected),
            found=display_path(Path(facts.file)),
            hint=f"Rename or remove {display_path(Path(facts.file))}.",
        )
        return facts.module

    @property
    def _remote(self) -> Ref:
        return self._module()

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._module(), name)

    def __repr__(self) -> str:
        return f"<your lesson {self._lesson.id} module ({display_path(Path(self.__file__))})>"


def import_lesson(lesson_id: int) -> RemoteModule:
    """Import lesson ``lesson_id``'s file from the tree being graded, in the worker."""
    from course.checking import session

    lesson = get_lesson(lesson_id)
    pool = session.pool()
    path = lesson.file_in(pool.target)
    expect(path.is_file(), f"your lesson {lesson.id} file is missing", expected=display_path(path), found="no file")
    return RemoteModule(pool, lesson)


class _Given:
    """``given.<name>(...)``: an input made in the worker by ``course.worker.inputs.<name>``."""

    op = "given"

    def __init__(self, worker=None):
        self._worker = worker

    def _where(self):
        from course.checking import session

        return self._worker or session.pool().current()

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)

        def make(*args, **kwargs):
            return self._where().request(self.op, name=name, args=args, kwargs=kwargs)

        make.__name__ = name
        return make


class _Judge(_Given):
    """``judge.<name>(...)``: a yardstick (``course.worker.yardsticks.<name>``), measured by the judge.

    The judge is a worker that never imports the learner's file: what it answers about the data the learner's
    code gave back (a converted model's outputs, a picture's contents, a saved model's predictions) cannot be
    changed by that code. Only data goes in and comes out."""

    op = "judge"

    def _where(self):
        from course.checking import session

        return session.pool().judge()


given = _Given()
judge = _Judge()


def last_call() -> dict:
    """What the learner's function did on the check's last call of it: ``aliases``, the names of the arguments it
    gave back (or a view of); a function that changed its caller's data has already failed (``InputChanged``)."""
    from course.checking import session

    return dict(session.pool().current().last_call)


def folder(name: str = "check", outputs: bool = False):
    """A fresh folder in the worker's world (with ``outputs``: where lessons save figures and models, too)."""
    from course.checking import session
    from course.checking.views import RemotePath

    pool = session.pool()
    return RemotePath(pool, given.make_folder(name, outputs=outputs))
