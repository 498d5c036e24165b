"""What the worker sends back besides values: what the code printed, references, and errors as data.

* ``Capped``: a stream that keeps the first ``PRINTED_LIMIT`` characters of what the code printed.
* ``Objects``: the objects the checks hold references to, by number.
* ``error_facts``: an exception as data: its type, message, and the learner's own file and line.
* ``resolve_class``: a class by its public name, for ``is_a`` (a few libraries only).
* ``watched_call``: a call of the learner's code, with what it did to the data it was given.

Runs in the worker, beside the learner's code.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import io
import traceback
from pathlib import Path
from types import SimpleNamespace

import numpy as np

PRINTED_LIMIT = 64_000  # characters of what the code printed during one call that go back


class Capped(io.TextIOBase):
    """A text stream that keeps the first PRINTED_LIMIT characters and counts the rest."""

    def __init__(self):
        self.parts: list[str] = []
        self.kept = 0
        self.dropped = 0

    def write(self, text) -> int:
        text = str(text)
        room = PRINTED_LIMIT - self.kept
        self.parts.append(text[: max(0, room)])
        self.kept += min(len(text), max(0, room))
        self.dropped += max(0, len(text) - max(0, room))
        return len(text)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        tail = f"\n[... {self.dropped:,} more characters left out ...]\n" if self.dropped else ""
        return "".join(self.parts) + tail


class Objects:
    """The objects the checks hold references to: by number, and the same number for the same object."""

    def __init__(self):
        self.by_id: dict[int, object] = {}
        self.numbers: dict[int, int] = {}
        self.next = 1

    def number(self, value) -> int:
        known = self.numbers.get(id(value))
        if known is not None and self.by_id.get(known) is value:
            return known
        number, self.next = self.next, self.next + 1
        self.by_id[number] = value
        self.numbers[id(value)] = number
        return number

    def get(self, number):
        if type(number) is not int or number not in self.by_id:
            raise LookupError("the checks asked for an object this process does not hold")
        return self.by_id[number]

    def release(self, numbers) -> None:
        for number in numbers if isinstance(numbers, list) else []:
            value = self.by_id.pop(number, None)
            if value is not None and self.numbers.get(id(value)) == number:
                del self.numbers[id(value)]


def type_names(value) -> list[str]:
    return [f"{cls.__module__}.{cls.__qualname__}" for cls in type(value).__mro__]


def error_facts(error: BaseException, mine) -> dict:
    """What the learner's code raised, as data: its type, message, and where in the learner's own files."""
    from course.lessons import display_path

    facts = {
        "type": type(error).__name__,
        "mro": [cls.__name__ for cls in type(error).__mro__ if cls.__module__ == "builtins"],
        "message": safe_text(error)[:4000],
        "frames": [],
    }
    if isinstance(error, SyntaxError):
        facts["syntax"] = {
            "file": display_path(Path(error.filename)) if error.filename else None,
            "line": error.lineno,
            "text": (error.text or "")[:300],
            "msg": str(error.msg)[:300],
            "mine": bool(error.filename and mine(error.filename)),
        }
    for frame in traceback.extract_tb(error.__traceback__)[-40:]:
        if mine(frame.filename):
            facts["frames"].append([display_path(Path(frame.filename)), frame.lineno, frame.name, frame.line or ""])
    if isinstance(error, (AttributeError, NameError, ImportError)) and getattr(error, "name", None):
        facts["name"] = str(error.name)[:100]
    return facts


def safe_text(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:
        return f"<{type(error).__name__}>"


ROOTS = ("keras", "tensorflow", "numpy", "matplotlib", "flask", "werkzeug", "builtins")


def resolve_class(name: str):
    """A class by its dotted public name (``keras.Model``, ``tensorflow.data.Dataset``), from a few libraries only."""
    root, *rest = name.replace("tf.", "tensorflow.", 1).split(".")
    if root not in ROOTS or not rest:
        raise LookupError(f"the checks cannot ask about {name[:60]}")
    value = importlib.import_module(root)
    for part in rest:
        value = getattr(value, part)
    if not isinstance(value, type):
        raise LookupError(f"{name[:60]} is not a class")
    return value


# -- the caller's data, watched -------------------------------------------------------------

DATA = (type(None), bool, int, float, complex, str, bytes, Path, np.generic)


def fingerprint(value, digest=None, depth: int = 0):
    """A digest of plain data as it is now (arrays: dtype, shape and bytes; containers: their items in order);
    None for what is not plain data (a model, a stand-in: the checks expect those to change)."""
    digest = digest or hashlib.blake2b(digest_size=16)
    if depth > 40:
        return digest
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return None
        digest.update(f"array {value.dtype.str} {value.shape}".encode())
        digest.update(memoryview(np.ascontiguousarray(value)).cast("B"))
    elif isinstance(value, DATA):
        digest.update(f"{type(value).__name__} {value!r}".encode())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        digest.update(f"{type(value).__name__} {len(value)}".encode())
        for item in items:
            if fingerprint(item, digest, depth + 1) is None:
                return None
    elif isinstance(value, dict):
        digest.update(f"dict {len(value)}".encode())
        for key, item in value.items():
            digest.update(repr(key).encode())
            if fingerprint(item, digest, depth + 1) is None:
                return None
    elif isinstance(value, SimpleNamespace) or hasattr(value, "__dataclass_fields__"):
        return fingerprint(dict(vars(value)), digest, depth + 1)
    else:
        return None
    return digest


def _kind(value) -> str:
    return {list: "list", dict: "dict", tuple: "tuple", np.ndarray: "array"}.get(type(value), type(value).__name__)


def watched_call(function, args, kwargs) -> tuple[object, dict]:
    """Call the learner's ``function``; say which of the data it was given it changed, and which it gave back."""
    given = [*((None, value) for value in args), *kwargs.items()]
    before = [fingerprint(value) for _, value in given]
    before = [None if digest is None else digest.digest() for digest in before]
    result = function(*args, **kwargs)
    names = _parameter_names(function, len(args))
    changed, aliases = [], []
    for index, ((keyword, value), digest) in enumerate(zip(given, before)):
        name = keyword or (names[index] if index < len(names) else f"#{index + 1}")
        after = fingerprint(value) if digest is not None else None
        if digest is not None and (after is None or after.digest() != digest):
            changed.append({"name": str(name)[:60], "kind": _kind(value)})
        same = result is value and not isinstance(value, DATA)
        shared = isinstance(result, np.ndarray) and isinstance(value, np.ndarray) and np.may_share_memory(result, value)
        if same or shared:
            aliases.append(str(name)[:60])
    facts = {"function": str(getattr(function, "__name__", "the function"))[:60]}
    if changed:
        facts["changed"] = changed
    if aliases:
        facts["aliases"] = aliases
    return result, {"call": facts}


def _parameter_names(function, count: int) -> list[str]:
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [parameter.name for parameter in parameters if parameter.kind in positional][:count]
