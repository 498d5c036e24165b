"""What goes wrong on the worker's side, as exceptions the checks' side raises: the worker gone, a refused value,
the learner's own error (with its builtin type), data the learner's function changed in place."""

from __future__ import annotations

import builtins


class WorkerGone(RuntimeError):
    """The worker is no more: it ended, was stopped, or sent what the channel refuses."""


class WorkerRefused(WorkerGone):
    """The worker sent what the channel refuses (too much, a pickle, malformed): it is stopped."""


class InputChanged(AssertionError):
    """The learner's function changed data the check gave it (a caller's array, list or dict)."""

    def __init__(self, function: str, changed: list):
        names = ", ".join(f"`{item.get('name')}` ({_a(str(item.get('kind')))})" for item in changed[:3])
        one = len(changed) == 1
        self.what = f"{function}() changed the data it was given: {names}"
        self.expected = "the caller's data left as it was"
        self.found = f"{'it was' if one else 'they were'} changed in place"
        self.hint = (
            "The caller still needs what it passed in: work on a copy (np.array(x), list(x), dict(x)) "
            "or build a new one, and return that."
        )
        super().__init__(f"{self.what}\nexpected {self.expected}, found {self.found}")


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


class RemoteFailure:
    """Mixed into the exceptions raised for errors in the learner's code (they keep its builtin type)."""

    remote_type: str = ""
    remote_frames: list = ()
    remote_name: str | None = None


_FAILURE_TYPES: dict[type, type] = {}
_NEVER_RAISED_HERE = (SystemExit, KeyboardInterrupt, GeneratorExit)


def remote_exception(facts: dict) -> BaseException:
    """An exception of the learner's error's own builtin class (a custom class: its nearest builtin base)."""
    base = RuntimeError
    for name in facts.get("mro") or []:
        candidate = getattr(builtins, str(name), None)
        if isinstance(candidate, type) and issubclass(candidate, BaseException):
            base = candidate
            break
    if issubclass(base, _NEVER_RAISED_HERE) or base is BaseException:
        base = RuntimeError
    message = str(facts.get("message", ""))
    syntax = facts.get("syntax")
    if issubclass(base, SyntaxError) and isinstance(syntax, dict):
        details = (syntax.get("file"), syntax.get("line"), None, syntax.get("text"))
        error = base(str(syntax.get("msg", "")), details)
    else:
        cls = _FAILURE_TYPES.get(base)
        if cls is None:
            cls = _FAILURE_TYPES[base] = type(base.__name__, (base, RemoteFailure), {"__module__": "builtins"})
        try:
            error = cls(message)
        except TypeError:  # an exception class whose constructor wants more (UnicodeDecodeError, ...)
            error = _FAILURE_TYPES.setdefault(RuntimeError, type("RuntimeError", (RuntimeError, RemoteFailure), {}))(
                message
            )
    error.remote_type = str(facts.get("type", base.__name__))
    error.remote_frames = [tuple(frame) for frame in facts.get("frames") or []]
    error.remote_name = facts.get("name")
    error.syntax_in_learner_file = bool(isinstance(syntax, dict) and syntax.get("mine"))
    return error
