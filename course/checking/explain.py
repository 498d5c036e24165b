"""Errors turned into a few plain lines a beginner can act on.

A failed ``expect`` is shown as it is; an unfinished TODO as "not done yet";
a real error as the learner's own file, line and code, with a question for the
errors beginners meet often; a time limit as where the code was. Used by the
pytest plugin (every check) and by ``make run-lessonN``.
``VERBOSE=1`` adds the full traceback (``verbose()``).
"""

from __future__ import annotations

import os
import re
import traceback
from pathlib import Path

from course.lessons import display_path

VERBOSE_NOTE = "(VERBOSE=1 shows the full traceback.)"


def verbose() -> bool:
    """VERBOSE=1 (anything but empty or 0): show full tracebacks too."""
    return os.environ.get("VERBOSE", "") not in ("", "0")


TODO_MESSAGE = re.compile(r"TODO (?P<number>\d+): (?P<function>[\w.]+)\(\) is not done yet")

# Errors beginners meet often, and the question that untangles each (shown under the error).
ERROR_HINTS = (
    (
        re.compile(r"is not JSON serializable"),
        "JSON knows no NumPy types: which of your values is a NumPy number or array? "
        "int(...), float(...) and .tolist() convert them.",
    ),
    (
        re.compile(r"'NoneType' object|NoneType' object is not|cannot unpack non-iterable NoneType"),
        "Something is None where a value was expected: does every function end with `return ...`?",
    ),
    (
        re.compile(r"out of bounds for axis \d+ with size 0|zero-size array|float NaN|division by zero"),
        "An empty array (or a division by zero) makes this: is a slice one short (a[first:last] leaves `last` out)?",
    ),
)


def error_hint(error: BaseException) -> str | None:
    """A hint for a familiar error, or None."""
    text = f"{type(error).__name__}: {error}"
    return next((hint for pattern, hint in ERROR_HINTS if pattern.search(text)), None)


def learner_frames(tb, target: Path):
    """The traceback entries that are in the learner's own files."""
    frames = []
    for frame in traceback.extract_tb(tb):
        try:
            Path(frame.filename).resolve().relative_to(target)
        except ValueError:
            continue
        frames.append(frame)
    return frames


def explain(excinfo, target: Path, timeout_s: float | None) -> tuple[str, list[str]]:
    """Return (status, message lines) for a failed check."""
    error = excinfo.value
    kind = type(error).__name__
    mine = learner_frames(excinfo.tb, target)

    if isinstance(error, NotImplementedError) and mine:
        match = TODO_MESSAGE.search(str(error))
        if match:
            return "todo", [f"not done yet: {match['function']}() (TODO {match['number']})"]
        return "todo", [f"not done yet: {mine[-1].name}()"]

    if kind == "Failed" and str(error).startswith("Timeout"):
        where = f", last seen at {display_path(Path(mine[-1].filename))} line {mine[-1].lineno}" if mine else ""
        return "timeout", [
            f"stopped after {timeout_s:g} s: the check took too long{where}",
            "hint: is there a loop that never ends, or work on all 60,000 images where a few would do?",
        ]

    if isinstance(error, AssertionError):
        lines = [line for line in str(error).splitlines() if line.strip()] or ["the check failed"]
        hint = getattr(error, "hint", None)
        if hint:
            lines.append(f"hint: {hint}")
        return "failed", lines

    if isinstance(error, SyntaxError) and error.filename:
        return "error", [
            f"your code has a {kind} in {display_path(Path(error.filename))}, line {error.lineno}:",
            f"    {(error.text or '').strip()}",
            f"{kind}: {error.msg}",
        ]

    hint = error_hint(error)
    if mine:
        frame = mine[-1]
        return "error", [
            f"your code raised an error in {display_path(Path(frame.filename))}, line {frame.lineno}, in {frame.name}:",
            f"    {(frame.line or '').strip()}",
            f"{kind}: {error}",
            *([f"hint: {hint}"] if hint else []),
        ]

    check_frames = [frame for frame in traceback.extract_tb(excinfo.tb) if "/checks/" in frame.filename]
    where = (
        f" (in {display_path(Path(check_frames[-1].filename))}, line {check_frames[-1].lineno})" if check_frames else ""
    )
    return "error", [
        f"the check could not use what your code gave it{where}:",
        f"{kind}: {error}",
        f"hint: {hint or 'does every function return what its docstring promises?'}",
    ]


def safe_explain(excinfo, target: Path, timeout_s: float | None) -> tuple[str, list[str]]:
    """``explain``, and never a crash of the grader if explaining itself goes wrong."""
    try:
        return explain(excinfo, target, timeout_s)
    except Exception:  # the explanation is best effort; the verdict is not
        error = excinfo.value
        return "error", [f"{type(error).__name__}: {str(error)[:300]}", VERBOSE_NOTE]


def error_facts(excinfo, target: Path) -> dict:
    """What went wrong, for the grade's reasons: the error's type, detail, and the learner's file and line."""
    try:
        return _error_facts(excinfo, target)
    except Exception:
        return {"type": type(excinfo.value).__name__, "detail": str(excinfo.value)[:300]}


def _error_facts(excinfo, target: Path) -> dict:
    error = excinfo.value
    facts = {"type": type(error).__name__, "detail": str(getattr(error, "name", None) or error)[:300]}
    if isinstance(error, SyntaxError) and error.filename:
        facts.update(file=display_path(Path(error.filename)), line=error.lineno)
    else:
        mine = learner_frames(excinfo.tb, target)
        if mine:
            facts.update(file=display_path(Path(mine[-1].filename)), line=mine[-1].lineno)
    return facts
