"""``make watch``: re-grade the first unfinished lesson every time a file is saved, and move on when it passes."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from course.lessons import all_lessons, course_info, display_path


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


def say(*args, **kwargs) -> None:
    print(*args, **kwargs, flush=True)


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
            out(
                f"\nWatching {display_path(target)}/ for saves · edit {display_path(lesson.file_in(target))} · "
                f"`make hint-lesson{lesson.id}` for a hint · Ctrl+C stops"
            )
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
