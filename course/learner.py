"""The learner's helpers: hints revealed one at a time, resetting a lesson, watch mode.

Hints live next to the code they are about, as ``# HINT:`` lines inside the
solutions' TODO markers (see ``course/stubs.py``), so there is one source;
``make stubs`` copies them to ``lessons/.hints.json`` for learners' copies.
``make hint-lessonN`` shows one more of them each time it is run and
remembers how many it has shown in ``.course/hints.json``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from course.lessons import LESSONS_DIR, ROOT, all_lessons, course_info, display_path, get_lesson

STATE_DIR = Path(os.environ.get("COURSE_STATE") or ROOT / ".course")


def say(*args, **kwargs) -> None:
    print(*args, **kwargs, flush=True)


# ---------------------------------------------------------------------------
# Hints


@dataclass(frozen=True)
class Hint:
    todo: int
    function: str
    todo_text: str
    text: str


def lesson_hints(lesson) -> list[Hint]:
    """Every hint of a lesson, in TODO order: the solution's ``# HINT:`` lines, as ``make stubs``
    copied them to lessons/.hints.json (so learners' copies need no solutions/)."""
    from course.stubs import HINTS

    entries = json.loads(HINTS.read_text()).get(str(lesson.id), [])
    return [Hint(entry["todo"], entry["function"], entry["todo_text"], entry["hint"]) for entry in entries]


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
    if reveal:
        new = next((i for i, hint in enumerate(hints) if i not in shown and todo in (None, hint.todo)), None)
        if new is not None:
            shown.add(new)
    state[key] = sorted(shown)
    _save_hint_state(state)

    out(f"Hints for {lesson.label}   ({display_path(lesson.stub_path(ROOT / 'lessons'))})")
    out(f"  The big question: {lesson.hint}")
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
        out(f"{len(shown)} of {len(hints)} hints shown. `{again}` shows the next one; "
            f"`make hint-lesson{lesson.id} TODO=n` asks about TODO n.")  # fmt: skip
    elif todo is not None and len(shown) < len(hints):
        out(f"That is every hint for TODO {todo}. `make hint-lesson{lesson.id}` shows hints for the other TODOs.")
    else:
        out(
            f"That is every hint for lesson {lesson.id}. Still stuck? `VERBOSE=1 make check-lesson{lesson.id}` "
            "shows the full error, and your instructor is there to help."
        )
    return 0


def forget_hints(lesson) -> None:
    state = _hint_state()
    if state.pop(str(lesson.id), None) is not None:
        _save_hint_state(state)


# ---------------------------------------------------------------------------
# Reset


def reset_lesson(lesson_id, assume_yes: bool = False, ask=input, out=say, lessons_dir: Path = LESSONS_DIR) -> int:
    """Put a lesson's stub back as `make stubs` wrote it, after asking; the learner's file is kept as .bak."""
    from course.stubs import digest, expected_stubs

    lesson = get_lesson(lesson_id)
    path = lesson.stub_path(lessons_dir)
    try:
        original = expected_stubs()[lesson.stub_path(LESSONS_DIR)]
    except FileNotFoundError:  # a learners' copy without solutions/
        out(f"Resetting needs the course's solutions/, which this copy does not have. "
            f"`git checkout -- {display_path(path)}` restores the file as you last committed it.")  # fmt: skip
        return 1
    manifest_file = lessons_dir / ".stubs.json"
    if path.exists() and path.read_text() == original:
        out(f"{display_path(path)} is already the untouched stub: nothing to reset.")
        return 0
    backup = path.with_name(path.name + ".bak")
    out(f"This puts {display_path(path)} back as it was before you started lesson {lesson.id}.")
    if path.exists():
        out(f"Your current version will be kept as {display_path(backup)} (replacing any older .bak).")
    if not assume_yes:
        if not sys.stdin.isatty() and ask is input:
            out(f"Nothing was changed: there is no terminal to ask you. `make reset-lesson{lesson.id} YES=1` resets anyway.")
            return 1
        try:
            answer = ask("Reset it? Type yes to continue: ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            out("Nothing was changed.")
            return 1
    if path.exists():
        backup.write_text(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(original)
    manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
    manifest[path.relative_to(lessons_dir).as_posix()] = digest(original)
    manifest_file.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    forget_hints(lesson)
    out(f"✓ {display_path(path)} is the fresh stub again" + (f"; your version is in {display_path(backup)}." if backup.exists() else "."))
    return 0


# ---------------------------------------------------------------------------
# Watch mode


class _Changes:
    """Collects file-save events from watchdog and wakes the watch loop, a little after the last one."""

    def __init__(self, settle_s: float = 0.3):
        self.event = threading.Event()
        self.settle_s = settle_s
        self.last = 0.0

    def dispatch(self, event) -> None:  # watchdog calls this for every filesystem event
        path = str(getattr(event, "dest_path", "") or event.src_path)
        if event.is_directory or not path.endswith((".py", ".toml")) or "__pycache__" in path:
            return
        if getattr(event, "event_type", "") in ("opened", "closed_no_write"):
            return
        self.last = time.monotonic()
        self.event.set()

    def wait(self, timeout: float | None = None) -> bool:
        if not self.event.wait(timeout):
            return False
        while time.monotonic() - self.last < self.settle_s:  # editors save in several steps
            time.sleep(self.settle_s / 3)
        self.event.clear()
        return True


def watch(target: Path, run_checks, start=None, clear: bool = True, out=say, stop_after: float | None = None) -> int:
    """Re-grade the first unfinished lesson whenever a file under ``target`` is saved.

    ``run_checks(lesson)`` grades one lesson, printing its report, and returns
    True when every check passed; watch starts at lesson ``start`` (the first
    unfinished one) and, when a lesson passes, moves on to the next straight away.
    """
    from watchdog.observers import Observer

    changes = _Changes()
    observer = Observer()
    observer.schedule(changes, str(target), recursive=True)
    observer.start()
    os.environ["COURSE_WATCH"] = "1"  # the grader then says "save" rather than "run make check-lessonN"
    started = time.monotonic()
    lessons = list(all_lessons())
    index = next((i for i, lesson in enumerate(lessons) if start is not None and lesson.id == start.id), 0)
    try:
        while index < len(lessons):
            lesson = lessons[index]
            if clear and sys.stdout.isatty():
                out("\033[2J\033[H", end="")
            out(f"make watch · {time.strftime('%H:%M:%S')} · grading lesson {lesson.id} of {len(lessons)}\n")
            if run_checks(lesson):
                index += 1
                if index < len(lessons):
                    out(f"\n✓ Lesson {lesson.id} passes. On to lesson {lessons[index].id}...\n")
                    time.sleep(1.0 if clear else 0)
                continue
            out(f"\nWatching {display_path(target)}/ for saves · edit {display_path(lesson.stub_path(target))} · "
                f"`make hint-lesson{lesson.id}` for a hint · Ctrl+C stops")  # fmt: skip
            remaining = None if stop_after is None else max(0.0, stop_after - (time.monotonic() - started))
            if not changes.wait(remaining):
                return 1
        out(f"\n{course_info()['course']['finished']}")
        return 0
    except KeyboardInterrupt:
        out("\nStopped watching.")
        return 130
    finally:
        observer.stop()
        observer.join(timeout=5)
