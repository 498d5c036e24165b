"""Control checks: how the grader notices checks that were switched off.

When grading (``make grade``, never ``make check``), the grader writes two
random check names into a pipe before any learner code runs. The plugin adds a
check by each name to the first check module: one that must pass, at a random
place, and one that must fail, last (code that no-ops the checks when it is
first imported is still in force at the end). Both use that module's own
``expect``, so code that turns the checks or ``expect`` into no-ops turns
these too, and a must-fail check that passes gives it away.
"""

from __future__ import annotations

import json
import os
import random

import pytest

MESSAGE_LIMIT = 2000  # characters of a message that leave the checks' process when grading


def read_sentinels(fd: int | None) -> dict | None:
    """The control checks' names, from a pipe the grader wrote and closed (None outside grading)."""
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read(4096)
    try:
        names = json.loads(data)
    except ValueError:
        return None
    return names if isinstance(names, dict) and {"pass", "fail"} <= set(names) else None


def insert_control_checks(items: list, names: dict | None) -> None:
    """The must-pass control check at a random place among ``items``, the must-fail one last."""
    if not names or not items:
        return
    chooser = random.SystemRandom()
    module = items[0].module
    for name, passes in ((names["pass"], True), (names["fail"], False)):
        item = pytest.Function.from_parent(items[0].parent, name=name, callobj=control_check(module, name, passes))
        item.course_sentinel = True
        items.insert(chooser.randint(0, len(items)) if passes else len(items), item)


def control_check(module, name: str, passes: bool):
    """A control check that lives in a check module like any other check, and uses that module's ``expect``.

    Code that turns the module's checks, or ``expect``, into no-ops turns this one too, and then the
    one that must fail passes: the grader sees it.
    """
    source = f"def {name}():\n    expect(sum(range(10)) == {45 if passes else 46}, 'a control check')\n"
    from course.checking.api import expect

    module.__dict__.setdefault("expect", expect)
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module.__dict__[name]
