"""Errors turned into a few plain lines a beginner can act on.

A failed ``expect`` is shown as it is; an unfinished TODO as "not done yet";
a real error as the learner's own file, line and code, with a question for the
errors beginners meet often; a time limit as where the code was. Used by the
pytest plugin (every check) and by ``make run-lessonN``.
``VERBOSE=1`` adds the full traceback (read once at the command line: ``runner.CheckSettings``).
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from pathlib import Path

from course.lessons import display_path

VERBOSE_NOTE = "(VERBOSE=1 shows the full traceback.)"


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
        re.compile(r"type FLOAT64 but expected type FLOAT32|expected type FLOAT32"),
        "The model takes float32 numbers, and these are float64 (NumPy's default: what images / 255.0 gives). "
        "np.asarray(x, dtype=np.float32) converts them before they go in.",
    ),
    (
        re.compile(r"reference to internal data\s+in the interpreter"),
        "A result still points into the interpreter's own memory (interpreter.tensor(...)() is a view of it): "
        "return a copy, np.array(...), or use get_tensor, which copies.",
    ),
    (
        re.compile(r"not supported between instances of '\w+' and 'dict'|not supported between instances of 'dict'"),
        "A dict is compared with something else: is a whole dict kept where one of its values was meant?",
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


@dataclass(frozen=True)
class Frame:
    """A place in the learner's own file: the file as a learner would type it, the line, the function, the code."""

    file: str
    line: int
    name: str
    code: str


def learner_frames(error: BaseException, tb, target: Path) -> list[Frame]:
    """The traceback entries that are in the learner's own files (for an error from the worker: its own list)."""
    remote = getattr(error, "remote_frames", None)
    if remote:
        return [Frame(str(file), int(line or 0), str(name), str(code)) for file, line, name, code in remote]
    frames = []
    for frame in traceback.extract_tb(tb):
        try:
            Path(frame.filename).resolve().relative_to(target)
        except ValueError:
            continue
        frames.append(Frame(display_path(Path(frame.filename)), frame.lineno, frame.name, frame.line or ""))
    return frames


def _syntax_file(error: SyntaxError) -> str:
    """Where a syntax error is, as a learner would type it (the worker already says it that way)."""
    if hasattr(error, "remote_type"):
        return str(error.filename)
    return display_path(Path(error.filename))


def explain(excinfo, target: Path) -> tuple[str, list[str]]:
    """Return (status, message lines) for a failed check."""
    from course.checking.budget import CheckTimeout
    from course.checking.remote import WorkerGone, WorkerRefused

    error = excinfo.value
    kind = type(error).__name__
    mine = learner_frames(error, excinfo.tb, target)

    if isinstance(error, NotImplementedError) and mine:
        match = TODO_MESSAGE.search(str(error))
        if match:
            return "todo", [f"not done yet: {match['function']}() (TODO {match['number']})"]
        return "todo", [f"not done yet: {mine[-1].name}()"]

    if isinstance(error, CheckTimeout):
        where = f", last seen at {error.where[0]} line {error.where[1]}" if error.where else ""
        spent = f"{error.limit:g} s" if error.kind == "cpu" else f"{error.limit:g} s of wall-clock time"
        return "timeout", [
            f"stopped after {spent}: the check took too long{where}",
            "hint: is there a loop that never ends, or work on all 60,000 images where a few would do?",
        ]

    if isinstance(error, WorkerRefused):
        return "error", [
            str(error),
            "hint: return what the docstring promises: NumPy arrays of numbers, numbers, text, lists, tuples, dicts.",
        ]

    if isinstance(error, WorkerGone):
        return "error", [
            str(error),
            "hint: a crash, os._exit() or sys.exit() in your code, or memory running out, ends its process; "
            "the next check starts a fresh one.",
        ]

    if isinstance(error, AssertionError):
        lines = [line for line in str(error).splitlines() if line.strip()] or ["the check failed"]
        hint = getattr(error, "hint", None)
        if hint:
            lines.append(f"hint: {hint}")
        return "failed", lines

    if isinstance(error, SyntaxError) and error.filename:
        return "error", [
            f"your code has a {kind} in {_syntax_file(error)}, line {error.lineno}:",
            f"    {(error.text or '').strip()}",
            f"{kind}: {error.msg}",
        ]

    hint = error_hint(error)
    if mine:
        frame = mine[-1]
        return "error", [
            f"your code raised an error in {frame.file}, line {frame.line}, in {frame.name}:",
            f"    {frame.code.strip()}",
            f"{getattr(error, 'remote_type', None) or kind}: {error}",
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


def safe_explain(excinfo, target: Path) -> tuple[str, list[str]]:
    """``explain``, and never a crash of the grader if explaining itself goes wrong."""
    try:
        return explain(excinfo, target)
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
    kind = getattr(error, "remote_type", None) or type(error).__name__
    name = getattr(error, "remote_name", None) or getattr(error, "name", None)
    facts = {"type": kind, "detail": str(name or error)[:300]}
    if isinstance(error, SyntaxError) and error.filename:
        facts.update(file=_syntax_file(error), line=error.lineno)
    else:
        mine = learner_frames(error, excinfo.tb, target)
        if mine:
            facts.update(file=mine[-1].file, line=mine[-1].line)
    return facts


def fallback_report(item, call, problem: Exception):
    """A failed report built by hand, for when pytest's own report could not be made.

    Interrupting code at an instruction without a line number (an endless
    ``while`` loop stopped by the time limit can be) leaves a traceback entry
    whose ``tb_lineno`` is None, and pytest's ``_getreprcrash`` then raises a
    TypeError while describing the failure. The check still failed; only its
    long description is lost, so the learner's summary stays complete.
    """
    from _pytest.reports import TestReport

    error = call.excinfo.value if call.excinfo is not None else problem
    return TestReport(
        item.nodeid,
        item.location,
        dict.fromkeys(item.keywords, 1),
        "failed",
        f"{type(error).__name__}: {error}",
        call.when,
        duration=call.duration,
        start=call.start,
        stop=call.stop,
        user_properties=item.user_properties,
    )
