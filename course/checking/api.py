"""What the checks in ``checks/`` call: ``expect``, ``describe`` and ``import_lesson``.

``expect(condition, what, expected=..., found=..., hint=...)`` is a check's one
way to fail: its message *is* the learner's feedback, so it says what was
expected, what was found, and a question that helps.
"""

from __future__ import annotations

from pathlib import Path

from course.lessons import display_path, get_lesson, tree_path


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
    shape = getattr(value, "shape", None)
    if shape is not None and hasattr(value, "dtype"):
        return f"an array of shape {tuple(shape)} and dtype {value.dtype}"
    if value is None:
        return "None (did the function forget to return?)"
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def import_lesson(lesson_id: int):
    """Import lesson ``lesson_id``'s file from the tree being graded."""
    import importlib

    from course.lessons import add_stage_paths

    lesson = get_lesson(lesson_id)
    target = tree_path()
    path = lesson.file_in(target)
    expect(path.is_file(), f"your lesson {lesson.id} file is missing", expected=display_path(path), found="no file")
    add_stage_paths(target)
    from course.checking import standins
    from course.quiet import import_tensorflow, uses_tensorflow

    standins.install(lesson)  # earlier lessons it imports: the course's own, so this lesson is graded on its own

    if uses_tensorflow(path):
        import_tensorflow()  # before the learner's file, so TensorFlow's start-up notices stay hidden
    module = importlib.import_module(lesson.module_name)
    loaded_from = Path(module.__file__).resolve()
    expect(
        loaded_from == path.resolve(),
        f"`import {lesson.module_name}` found another file first",
        expected=display_path(path),
        found=display_path(loaded_from),
        hint=f"Rename or remove {display_path(loaded_from)}.",
    )
    return module
