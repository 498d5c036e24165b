"""``make reset-lessonN``: a lesson's file back as ``make stubs`` wrote it.

It asks first, and keeps the learner's copy as .bak.
"""

from __future__ import annotations

import sys
from pathlib import Path

from course.learner.hints import forget_hints, say
from course.lesson_files import RECORD
from course.lessons import LESSONS_DIR, display_path, get_lesson


def reset_lesson(lesson_id, assume_yes: bool = False, ask=input, out=say, lessons_dir: Path = LESSONS_DIR) -> int:
    """Put a lesson's stub back as `make stubs` wrote it, after asking; the learner's file is kept as .bak."""
    from course.lesson_files import digest, original_stub, read_record, write_record

    lesson = get_lesson(lesson_id)
    path = lesson.file_in(lessons_dir)
    original = original_stub(lesson.file_in(LESSONS_DIR).relative_to(LESSONS_DIR).as_posix())
    if original is None:  # a copy without lessons/.originals.json
        out(
            f"This copy of the course does not record the fresh stubs (lessons/.originals.json is missing). "
            f"`git checkout -- {display_path(path)}` restores the file as you last committed it."
        )
        return 1
    record_file = lessons_dir / RECORD.name
    if path.exists() and path.read_text() == original:
        out(f"{display_path(path)} is already the untouched stub: nothing to reset.")
        return 0
    backup = path.with_name(path.name + ".bak")
    out(f"This puts {display_path(path)} back as it was before you started lesson {lesson.id}.")
    if path.exists():
        out(f"Your current version will be kept as {display_path(backup)} (replacing any older .bak).")
    if not assume_yes:
        if not sys.stdin.isatty() and ask is input:
            out(
                "Nothing was changed: there is no terminal to ask you. "
                f"`make reset-lesson{lesson.id} YES=1` resets anyway."
            )
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
    record = read_record(record_file)
    record[path.relative_to(lessons_dir).as_posix()] = digest(original)
    write_record(record, record_file)
    forget_hints(lesson)
    out(
        f"✓ {display_path(path)} is the fresh stub again"
        + (f"; your version is in {display_path(backup)}." if backup.exists() else ".")
    )
    return 0
