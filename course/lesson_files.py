"""The files `make stubs` writes beside the lessons, read by learners' commands and the checker alike.

* ``lessons/.stubs.json`` (``RECORD``): each stub's path and the digest of the
  text `make stubs` wrote, so a stub a learner edited is never overwritten and
  ``make reset-lessonN`` knows the fresh one.
* ``lessons/.originals.json`` (``ORIGINALS``): the text of each stub as `make
  stubs` wrote it, so ``make reset-lessonN`` works in a copy without solutions/.
* ``lessons/.hints.json`` (``HINTS``): the solutions' ``# HINT:`` lines, so
  ``make hint-lessonN`` and "Stuck on TODO n?" work in a learner's copy
  without solutions/.

Written by ``course.authoring.stubs``; read by ``course.learner`` and ``course.checking``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from course.lessons import LESSONS_DIR

RECORD = LESSONS_DIR / ".stubs.json"
ORIGINALS = LESSONS_DIR / ".originals.json"
HINTS = LESSONS_DIR / ".hints.json"


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_record(record: Path | None = None) -> dict[str, str]:
    """lessons/.stubs.json: each stub's path under lessons/ and the digest of the text `make stubs` wrote."""
    record = record or RECORD
    return json.loads(record.read_text()) if record.exists() else {}


def write_record(entries: dict[str, str], record: Path | None = None) -> None:
    (record or RECORD).write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")


def originals_text(stubs: dict[str, str]) -> str:
    """lessons/.originals.json: each stub's text under its path in lessons/."""
    return json.dumps(stubs, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def original_stub(key: str) -> str | None:
    """The text `make stubs` wrote for the stub at ``key`` (a path under lessons/), or None if it is not recorded."""
    try:
        return json.loads(ORIGINALS.read_text()).get(key)
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Hint:
    todo: int
    function: str
    todo_text: str
    text: str


def lesson_hints(lesson) -> list[Hint]:
    """Every hint of a lesson, in TODO order: the solution's ``# HINT:`` lines, as ``make stubs``
    copied them to lessons/.hints.json (so learners' copies need no solutions/)."""
    entries = json.loads(HINTS.read_text()).get(str(lesson.id), [])
    return [Hint(entry["todo"], entry["function"], entry["todo_text"], entry["hint"]) for entry in entries]
