"""Hints, one at a time: ``make hint-lessonN [TODO=n]``.

Hints live next to the code they are about, as ``# HINT:`` lines inside the
solutions' TODO markers (see ``course/authoring/stubs.py``), so there is one
source; ``make stubs`` copies them to ``lessons/.hints.json`` for learners'
copies. ``make hint-lessonN`` shows one more of them each time it is run and
remembers how many it has shown in ``.course/hints.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from course.lesson_files import lesson_hints
from course.lessons import ROOT, display_path, get_lesson

STATE_DIR = Path(os.environ.get("COURSE_STATE") or ROOT / ".course")


def say(*args, **kwargs) -> None:
    print(*args, **kwargs, flush=True)


def _hints_file() -> Path:
    return STATE_DIR / "hints.json"


def _hint_state() -> dict[str, list[int]]:
    try:
        return json.loads(_hints_file().read_text())
    except (OSError, ValueError):
        return {}


def _save_hint_state(state: dict[str, list[int]]) -> None:
    _hints_file().parent.mkdir(parents=True, exist_ok=True)
    _hints_file().write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")


def show_hints(lesson_id, todo: int | None = None, reveal: bool = True, out=say) -> int:
    """Reveal one more hint for a lesson (or for one of its TODOs), then print every hint shown so far."""
    lesson = get_lesson(lesson_id)
    hints = lesson_hints(lesson)
    todos = sorted({hint.todo for hint in hints})
    if todo is not None and todo not in todos:
        out(f"Lesson {lesson.id} has no TODO {todo}; its TODOs are {', '.join(map(str, todos))}.")
        return 1
    state = _hint_state()
    key = str(lesson.id)
    shown = {index for index in state.get(key, []) if 0 <= index < len(hints)}
    new = None
    checks = _last_checks(lesson) if todo is None else None
    failing = failing_todos(checks)
    if reveal:
        order = sorted(range(len(hints)), key=lambda i: failing is not None and hints[i].todo not in failing)
        new = next((i for i in order if i not in shown and todo in (None, hints[i].todo)), None)
        if new is not None:
            shown.add(new)
    state[key] = sorted(shown)
    _save_hint_state(state)

    out(f"Hints for {lesson.label}   ({display_path(lesson.file_in(ROOT / 'lessons'))})")
    out(f"  The big question: {lesson.hint}")
    if failing:
        waiting = set(not_started_todos(checks))
        failed, unstarted = [t for t in failing if t not in waiting], [t for t in failing if t in waiting]
        said = [f"checks of TODO {', '.join(map(str, failed))} failed"] if failed else []
        if unstarted:
            said.append(f"TODO {', '.join(map(str, unstarted))} {'is' if len(unstarted) == 1 else 'are'} not done yet")
        out(f"  At your last `make check-lesson{lesson.id}`, {' and '.join(said)}: their hints come first.")
    elif failing == []:
        out(f"  Every check passed at your last `make check-lesson{lesson.id}`: these hints are extras.")
    current = None
    for index, hint in enumerate(hints):
        if index not in shown:
            continue
        if hint.todo != current:
            current = hint.todo
            out(f"\n  TODO {hint.todo} in {hint.function}(): {hint.todo_text}")
        out(f"    • {hint.text}" + ("   ← new" if index == new else ""))
    out("")
    left_here = [hint for i, hint in enumerate(hints) if i not in shown and todo in (None, hint.todo)]
    if left_here:
        again = f"make hint-lesson{lesson.id}" + (f" TODO={todo}" if todo is not None else "")
        out(
            f"{len(shown)} of {len(hints)} hints shown. `{again}` shows the next one; "
            f"`make hint-lesson{lesson.id} TODO=n` asks about TODO n."
        )
    elif todo is not None and len(shown) < len(hints):
        out(f"That is every hint for TODO {todo}. `make hint-lesson{lesson.id}` shows hints for the other TODOs.")
    else:
        out(
            f"That is every hint for lesson {lesson.id}. Still stuck? `VERBOSE=1 make check-lesson{lesson.id}` "
            "shows the full error, and your instructor is there to help."
        )
    return 0


def _last_checks(lesson) -> list[dict] | None:
    """The checks of the last `make check-lessonN` of lessons/, if the file has not changed since (else None)."""
    import hashlib

    from course.learner.progress import RESULTS_DIR, results_key
    from course.lessons import LESSONS_DIR

    path = RESULTS_DIR / hashlib.sha256(str(LESSONS_DIR).encode()).hexdigest()[:12] / f"lesson{lesson.id:02d}.json"
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if results.get("key") != results_key(lesson, LESSONS_DIR):
        return None
    return results.get("checks", [])


def failing_todos(checks: list[dict] | None) -> list[int] | None:
    """The TODOs whose checks did not pass, of a last run's checks (None: not graded yet, or edited since)."""
    if checks is None:
        return None
    return sorted({todo for check in checks if check["status"] != "passed" for todo in check["todos"]})


def not_started_todos(checks: list[dict]) -> list[int]:
    """Of those, the TODOs whose every check that did not pass said "not done yet" (their code is still the stub's)."""
    open_checks = [check for check in checks if check["status"] != "passed"]
    todos = {todo for check in open_checks for todo in check["todos"]}
    return sorted(todo for todo in todos if all(c["status"] == "todo" for c in open_checks if todo in c["todos"]))


def forget_hints(lesson) -> None:
    state = _hint_state()
    if state.pop(str(lesson.id), None) is not None:
        _save_hint_state(state)
