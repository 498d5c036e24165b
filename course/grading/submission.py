"""A submission, taken in: copied (bounded), then found: a ``lessons/`` tree, a clone, a .zip, or files uploaded flat.

Whatever the learner hands in is copied before anything else looks at it, and
copied carefully, as root or not:

* every entry is ``lstat``-ed first: a symlink is never followed (a link to
  the grader's solutions, to ``/proc/self/pagemap`` or to ``/`` is noted and
  left out), FIFOs, devices and sockets are left out, and regular files are
  opened with ``O_NOFOLLOW`` and read no further than the bytes still allowed;
* the copy is bounded: folders nested at most ``MAX_DEPTH`` deep, at most
  ``MAX_FILES`` files, ``MAX_BYTES`` bytes in all; the walk is a loop, not a
  recursion, so a folder nested 100,000 deep costs a note, never a crash;
* a .zip is unpacked under the same bounds (members, bytes, depth, no member
  outside the folder);
* every name that reaches a report is made printable (``printable``): a file
  name that is not UTF-8 becomes replacement characters, never an error.

Only the copy is then scanned, hashed and graded.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path

from course.lessons import all_lessons

SKIPPED = {"__pycache__", ".git", ".ipynb_checkpoints", ".venv", "node_modules"}
MAX_BYTES = 64 * 1024 * 1024  # a submission larger than this is cut off (models and data do not belong in it)
MAX_FILES = 5_000
MAX_DEPTH = 24
MAX_NOTES = 8  # notes kept about what was left out (then one line says how many more)


def printable(name) -> str:
    """A file name as text that can be written anywhere: bytes that are not UTF-8 become U+FFFD."""
    raw = os.fsencode(name) if not isinstance(name, bytes) else name
    return raw.decode("utf-8", errors="replace")


class _Budget:
    """What the copy may still take, and the notes on what it left out."""

    def __init__(self):
        self.files = 0
        self.bytes = 0
        self.notes: list[str] = []
        self.unnoted = 0

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        else:
            self.unnoted += 1

    def finished(self) -> list[str]:
        if self.unnoted:
            return [*self.notes, f"... and {self.unnoted} more left out"]
        return self.notes


def _copy_file(source: str, destination: str, size: int, budget: _Budget, shown: str) -> None:
    """Copy one regular file without following a link, reading at most what the budget allows."""
    if budget.files >= MAX_FILES:
        budget.note(f"left out {shown}: the submission has more than {MAX_FILES:,} files")
        return
    if budget.bytes + size > MAX_BYTES:
        budget.note(f"left out {shown}: the submission is larger than {MAX_BYTES // 1_000_000} MB")
        return
    try:
        descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        budget.note(f"left out {shown}: it could not be read ({error.strerror})")
        return
    with os.fdopen(descriptor, "rb") as reader:
        if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):  # swapped for something else since the lstat
            budget.note(f"left out {shown}: not a plain file")
            return
        allowed = MAX_BYTES - budget.bytes
        data = reader.read(allowed + 1)
    if len(data) > allowed:
        budget.note(f"left out {shown}: the submission is larger than {MAX_BYTES // 1_000_000} MB")
        return
    with open(destination, "wb") as writer:
        writer.write(data)
    budget.files += 1
    budget.bytes += len(data)


def copy_bounded(source: Path, destination: Path) -> list[str]:
    """Copy the folder ``source`` to ``destination`` within the bounds; returns notes on what was left out."""
    budget = _Budget()
    destination.mkdir(parents=True, exist_ok=True)
    pending = [(os.fsencode(source), os.fsencode(destination), 0, b"")]
    while pending:
        here, there, depth, relative = pending.pop()
        try:
            entries = sorted(os.scandir(here), key=lambda entry: entry.name)
        except OSError as error:
            budget.note(f"left out {printable(relative) or '.'}: it could not be listed ({error.strerror})")
            continue
        for entry in entries:
            name = entry.name
            shown = printable(os.path.join(relative, name) if relative else name)
            if os.fsdecode(name) in SKIPPED or name.endswith(b".pyc"):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISLNK(info.st_mode):
                try:
                    target = printable(os.readlink(entry.path))
                except OSError:
                    target = "?"
                budget.note(f"refused {shown}: a link ({target}); links are never followed")
            elif stat.S_ISDIR(info.st_mode):
                if depth + 1 > MAX_DEPTH:
                    budget.note(f"left out {shown}: folders nested deeper than {MAX_DEPTH}")
                    continue
                os.mkdir(os.path.join(there, name))
                pending.append((entry.path, os.path.join(there, name), depth + 1, os.path.join(relative, name)))
            elif stat.S_ISREG(info.st_mode):
                _copy_file(entry.path, os.path.join(there, name), info.st_size, budget, shown)
            else:
                budget.note(f"left out {shown}: not a plain file (a FIFO, device or socket)")
    return budget.finished()


def unpack(archive: Path, destination: Path) -> Path:
    """Extract a .zip submission within the bounds, refusing members that would land outside ``destination``."""
    destination.mkdir(parents=True)
    with zipfile.ZipFile(archive) as bundle:
        members = bundle.infolist()
        if len(members) > MAX_FILES:
            raise ValueError(f"the archive holds {len(members):,} entries; submissions have at most {MAX_FILES:,}")
        total = 0
        for member in members:
            target = (destination / member.filename).resolve()
            if not target.is_relative_to(destination.resolve()):
                raise ValueError(f"the archive holds a path outside itself: {printable(member.filename)}")
            if len(Path(member.filename).parts) > MAX_DEPTH + 1:
                raise ValueError(f"the archive's folders are nested deeper than {MAX_DEPTH}")
            total += member.file_size
        if total > MAX_BYTES:
            raise ValueError(
                f"the archive unpacks to {total // 1_000_000} MB; submissions are at most {MAX_BYTES // 1_000_000} MB"
            )
        bundle.extractall(destination)  # zipfile writes a symlink member as a plain file holding its target
    entries = [entry for entry in destination.iterdir() if not entry.name.startswith((".", "__MACOSX"))]
    return (
        entries[0]
        if len(entries) == 1 and entries[0].is_dir() and find_lessons_tree(destination) is None
        else destination
    )


def find_lessons_tree(path: Path) -> Path | None:
    """A submission is a lessons/ tree, or a whole clone that holds one."""
    for candidate in (path / "lessons", path):
        if any((candidate / lesson.dir).is_dir() for lesson in all_lessons()):
            return candidate
    return None


def flat_upload(path: Path) -> bool:
    """Files uploaded one by one (as Gradescope puts them): lesson files, but no lesson folders."""
    names = {entry.name for entry in path.iterdir()} if path.is_dir() else set()
    return find_lessons_tree(path) is None and any(lesson.stub in names for lesson in all_lessons())


def arrange_flat(path: Path, destination: Path) -> Path:
    """Put flat-uploaded lesson files into their lesson folders, matched by file name."""
    for lesson in all_lessons():
        source = path / lesson.stub
        if source.is_file() and not source.is_symlink():
            (destination / lesson.dir).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination / lesson.dir / lesson.stub)
    return destination


def take_in(source: Path, work: Path) -> tuple[Path | None, list[str]]:
    """Copy what was handed in (a folder or a .zip) into ``work``, bounded, and find its lessons tree there.

    Returns (the lessons tree inside the copy, or None; notes on what was left out or could not be opened).
    """
    notes: list[str] = []
    try:
        info = os.stat(source)  # the entry itself is the instructor's (it may be a link); nothing inside is followed
    except OSError as error:
        return None, [f"the submission could not be opened: {error.strerror}"]
    try:
        if stat.S_ISREG(info.st_mode) and source.suffix == ".zip":
            copied = unpack(source, work / "unpacked")
        elif stat.S_ISDIR(info.st_mode):
            notes += copy_bounded(source.resolve(), work / "copy")
            copied = work / "copy"
            if find_lessons_tree(copied) is None and not flat_upload(copied):
                archives = sorted(copied.glob("*.zip"))
                if len(archives) == 1:  # a .zip uploaded as it is (Gradescope keeps it in /autograder/submission)
                    copied = unpack(archives[0], work / "unpacked")
        else:
            return None, ["the submission is neither a folder nor a .zip"]
        if flat_upload(copied):
            copied = arrange_flat(copied, work / "arranged")
    except (OSError, ValueError, zipfile.BadZipFile, RuntimeError) as error:
        return None, [*notes, f"the submission could not be opened: {printable(str(error))}"]
    return find_lessons_tree(copied), notes


def find_submissions(folder: Path) -> list[Path]:
    entries = sorted(entry for entry in folder.iterdir() if not entry.name.startswith((".", "_")))
    return [entry for entry in entries if entry.is_dir() or entry.suffix == ".zip"]


def unique_names(entries: list[Path]) -> dict[Path, str]:
    names, seen = {}, set()
    for entry in entries:
        base = printable(entry.stem if entry.suffix == ".zip" else entry.name)
        name, number = base, 2
        while name in seen:
            name, number = f"{base}-{number}", number + 1
        seen.add(name)
        names[entry] = name
    return names
