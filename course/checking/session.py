"""The checks' process's one session: which tree is checked, and the pool of workers that run its code.

The pytest plugin opens it (``open_session``) before any check runs and
closes it at the end; ``import_lesson`` and ``given`` reach the workers through it.
"""

from __future__ import annotations

from pathlib import Path

from course.checking.remote import Pool

_session: Pool | None = None


def open_session(target: Path, spawner) -> Pool:
    global _session
    _session = Pool(spawner, target)
    return _session


def pool() -> Pool:
    if _session is None:
        raise RuntimeError("the checks run through the course's grader (make check-lessonN), which opens a session")
    return _session


def close_session() -> None:
    global _session
    if _session is not None:
        _session.close()
    _session = None
