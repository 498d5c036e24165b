"""A submission, found and copied: a ``lessons/`` tree, a whole clone, a .zip, or files uploaded flat.

Whatever the learner hands in is copied before anything runs, and copied
carefully: a symlink that points outside the submission is refused (never
followed: that is how a stub could "be" the grader's own solution), a symlink
inside it becomes a plain copy, and the size is bounded.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

from course.lessons import all_lessons

SKIPPED = {"__pycache__", ".git", ".ipynb_checkpoints"}
MAX_BYTES = 64 * 1024 * 1024  # a submission larger than this is cut off (models and data do not belong in it)


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


def unpack(archive: Path, destination: Path) -> Path:
    """Extract a .zip submission, refusing members that would land outside ``destination``."""
    destination.mkdir(parents=True)
    with zipfile.ZipFile(archive) as bundle:
        total = 0
        for member in bundle.infolist():
            target = (destination / member.filename).resolve()
            if not target.is_relative_to(destination.resolve()):
                raise ValueError(f"the archive holds a path outside itself: {member.filename}")
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


def copy_safely(source: Path, destination: Path) -> list[str]:
    """Copy a tree without following a symlink out of it; returns notes on what was left out."""
    notes: list[str] = []
    root = Path(os.path.realpath(source))
    copied = 0
    destination.mkdir(parents=True, exist_ok=True)
    for folder, directories, files in os.walk(source, followlinks=False):
        directories[:] = sorted(name for name in directories if name not in SKIPPED)
        here = Path(folder)
        relative = here.relative_to(source)
        for name in sorted(directories):
            path = here / name
            if path.is_symlink():  # os.walk lists a symlinked folder here: never entered
                notes.append(f"refused {relative / name}: a link to a folder ({os.readlink(path)})")
            else:
                (destination / relative / name).mkdir(exist_ok=True)
        for name in sorted(files):
            if name.endswith(".pyc"):
                continue
            path = here / name
            target = Path(os.path.realpath(path))
            if path.is_symlink() and not target.is_relative_to(root):
                notes.append(
                    f"refused {relative / name}: a link that points outside the submission ({os.readlink(path)})"
                )
                continue
            if not target.is_file():
                continue
            size = target.stat().st_size
            if copied + size > MAX_BYTES:
                notes.append(f"left out {relative / name}: the submission is larger than {MAX_BYTES // 1_000_000} MB")
                continue
            shutil.copyfile(target, destination / relative / name)  # a link inside the submission becomes a plain copy
            copied += size
    return notes


def find_submissions(folder: Path) -> list[Path]:
    entries = sorted(entry for entry in folder.iterdir() if not entry.name.startswith((".", "_")))
    return [entry for entry in entries if entry.is_dir() or entry.suffix == ".zip"]


def unique_names(entries: list[Path]) -> dict[Path, str]:
    names, seen = {}, set()
    for entry in entries:
        base = entry.stem if entry.suffix == ".zip" else entry.name
        name, number = base, 2
        while name in seen:
            name, number = f"{base}-{number}", number + 1
        seen.add(name)
        names[entry] = name
    return names
