"""Learner stubs are generated from the solutions, so the two cannot drift.

A solution marks each part the learner writes::

    def one_hot(labels, num_classes=10):
        # BEGIN TODO 3: Turn each label into a row with a single 1.0 at the label's index.
        # HINT: How would you pick row number `label` out of an identity matrix?
        return np.eye(num_classes, dtype="float32")[labels]
        # END TODO

``make stubs`` writes the learner's file with that region replaced by::

        # TODO 3: Turn each label into a row with a single 1.0 at the label's index.
        raise NotImplementedError("TODO 3: one_hot() is not done yet")

Further ``#`` lines straight after ``BEGIN TODO`` continue the TODO text; each
``# HINT:`` line (with its own continuation lines) is one hint, revealed by the
hint command rather than printed in the stub. Everything outside the markers
is copied unchanged.

``lessons/.stubs.json`` records what was last generated, so ``make stubs``
can tell a pristine stub (safe to regenerate) from one a learner has edited
(never overwritten without FORCE=1, and then backed up first).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from course.lesson_files import HINTS, ORIGINALS, RECORD, digest, originals_text, read_record, write_record
from course.lessons import LESSONS_DIR, SOLUTIONS_DIR, all_lessons, display_path, report_problems

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN TODO (?P<number>\d+):\s*(?P<text>.*)$")
END = re.compile(r"^\s*# END TODO\s*$")
HINT = re.compile(r"^\s*# HINT:\s*(?P<text>.*)$")
CONTINUATION = re.compile(r"^\s*#\s{2,}(?P<text>.*)$")
DEF = re.compile(r"^(?P<indent>\s*)def (?P<name>\w+)\(")


class MarkerError(ValueError):
    """A solution's TODO markers are malformed."""


@dataclass
class Todo:
    number: int
    function: str
    text: list[str] = field(default_factory=list)  # the TODO's lines, as written
    hints: list[str] = field(default_factory=list)
    indent: str = ""
    start: int = 0  # line numbers (1-based) of the BEGIN and END markers
    end: int = 0


def parse(source: str, filename: str = "<solution>") -> list[Todo]:
    """Find every marked region in a solution's text."""
    todos: list[Todo] = []
    current: Todo | None = None
    reading = None  # "text" or "hint" while reading a marker's comment lines
    function = "<module>"
    for number, line in enumerate(source.splitlines(), start=1):
        where = f"{filename}, line {number}"
        if current is None:
            definition = DEF.match(line)
            if definition:
                function = definition["name"]
            begin = BEGIN.match(line)
            if begin:
                current = Todo(int(begin["number"]), function, [begin["text"]], indent=begin["indent"], start=number)
                reading = "text"
            elif END.match(line):
                raise MarkerError(f"{where}: '# END TODO' without a '# BEGIN TODO' before it")
            continue
        if BEGIN.match(line):
            raise MarkerError(f"{where}: TODO {current.number} (line {current.start}) is not closed before a new one")
        if END.match(line):
            current.end = number
            todos.append(current)
            current, reading = None, None
            continue
        hint = HINT.match(line)
        continuation = CONTINUATION.match(line)
        if hint:
            current.hints.append(hint["text"])
            reading = "hint"
        elif continuation and reading == "text":
            current.text.append(continuation["text"])
        elif continuation and reading == "hint":
            current.hints[-1] += " " + continuation["text"]
        else:
            reading = None  # the solution code itself
    if current is not None:
        raise MarkerError(f"{filename}: TODO {current.number} (line {current.start}) has no '# END TODO'")
    numbers = [todo.number for todo in todos]
    if len(numbers) != len(set(numbers)):
        raise MarkerError(f"{filename}: TODO numbers must be unique, found {numbers}")
    return todos


def make_stub(source: str, filename: str = "<solution>", gutted: bool = False) -> str:
    """The learner's version of a solution.

    With ``gutted=True`` each region becomes ``pass`` instead of a ``raise``:
    the project's own tests use that to prove a learner cannot pass the checks
    by deleting the ``raise``.
    """
    lines = source.splitlines(keepends=True)
    output: list[str] = []
    position = 0
    for todo in parse(source, filename):
        output.extend(lines[position : todo.start - 1])
        first, *rest = todo.text
        output.append(f"{todo.indent}# TODO {todo.number}: {first}\n")
        output.extend(f"{todo.indent}#   {line}\n" for line in rest)
        if gutted:
            output.append(f"{todo.indent}pass\n")
        else:
            output.append(
                f'{todo.indent}raise NotImplementedError("TODO {todo.number}: {todo.function}() is not done yet")\n'
            )
        position = todo.end
    output.extend(lines[position:])
    return "".join(output)


def expected_stubs(gutted: bool = False) -> dict[Path, str]:
    """Every stub as ``make stubs`` would write it, keyed by its path under lessons/."""
    stubs = {}
    for lesson in all_lessons():
        solution = lesson.file_in(SOLUTIONS_DIR)
        text = solution.read_text()
        if not parse(text, display_path(solution)):
            raise MarkerError(f"{display_path(solution)} has no '# BEGIN TODO' marker, so its stub would be complete")
        stubs[lesson.file_in(LESSONS_DIR)] = make_stub(text, display_path(solution), gutted=gutted)
    return stubs


def fresh_stubs() -> dict[str, str]:
    """Each stub's text as `make stubs` writes it, by its path under lessons/."""
    return {path.relative_to(LESSONS_DIR).as_posix(): text for path, text in expected_stubs().items()}


def hints_text() -> str:
    """Every lesson's hints as ``make stubs`` writes them to lessons/.hints.json."""
    hints = {}
    for lesson in all_lessons():
        solution = lesson.file_in(SOLUTIONS_DIR)
        hints[str(lesson.id)] = [
            {"todo": todo.number, "function": todo.function, "todo_text": " ".join(todo.text), "hint": hint}
            for todo in parse(solution.read_text(), display_path(solution))
            for hint in todo.hints
        ]
    return json.dumps(hints, indent=2, ensure_ascii=False) + "\n"


def out_of_sync() -> list[str]:
    """Stubs whose text differs from what ``make stubs`` would write (empty when in sync)."""
    record = read_record(RECORD)
    problems = []
    if not HINTS.exists() or HINTS.read_text() != hints_text():
        problems.append(f"{display_path(HINTS)} differs from the solutions' hints")
    if not ORIGINALS.exists() or ORIGINALS.read_text() != originals_text(fresh_stubs()):
        problems.append(f"{display_path(ORIGINALS)} differs from the stubs `make stubs` writes")
    for path, text in expected_stubs().items():
        key = path.relative_to(LESSONS_DIR).as_posix()
        if not path.exists():
            problems.append(f"{display_path(path)} is missing")
        elif path.read_text() != text:
            problems.append(f"{display_path(path)} differs from its solution's markers")
        elif record.get(key) != digest(text):
            problems.append(f"{display_path(RECORD)} has an old entry for {key}")
    return problems


def write_stubs(force: bool = False) -> int:
    """Regenerate lessons/ from solutions/; refuse to overwrite a learner's edits."""
    record = read_record(RECORD)
    refused = []
    for path, text in expected_stubs().items():
        key = path.relative_to(LESSONS_DIR).as_posix()
        shown = display_path(path)
        if path.exists():
            current = path.read_text()
            if current == text:
                record[key] = digest(text)
                print(f"  = {shown} (up to date)")
                continue
            edited = record.get(key) != digest(current)
            if edited and not force:
                refused.append(shown)
                print(f"  ! {shown} has edits that are not from `make stubs`: left as it is")
                continue
            if edited:
                backup = path.with_name(path.name + ".bak")
                backup.write_text(current)
                print(f"  ~ {shown}: your version is saved as {display_path(backup)}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        record[key] = digest(text)
        print(f"  ✓ {shown} written")
    write_record(record, RECORD)
    ORIGINALS.write_text(originals_text(fresh_stubs()))
    HINTS.write_text(hints_text())
    print(f"  ✓ {display_path(HINTS)} written (the hints for `make hint-lessonN`)")
    if refused:
        print(
            f"\n{len(refused)} stub(s) not regenerated because they were edited by hand "
            "(a learner's work, perhaps). Run `make stubs FORCE=1` to replace them; "
            "each edited file is first copied to <name>.bak."
        )
        return 1
    return 0


def stubs_command(force: bool = False, check: bool = False, gutted: str | None = None) -> int:
    """`make stubs`: regenerate lessons/.

    ``check``: only say whether it is in sync; ``gutted``: `pass` stubs to a folder.
    """
    if check:
        return report_problems(out_of_sync(), "lessons/ is in sync with solutions/.", "Run `make stubs` to regenerate.")
    if gutted:
        write_tree(Path(gutted), gutted=True)
        print(f"Gutted stubs written to {gutted}")
        return 0
    print("Regenerating lessons/ from solutions/:")
    return write_stubs(force=force)


def write_tree(destination: Path, gutted: bool = False) -> Path:
    """Write a complete lessons-like tree (stubs or gutted stubs) to ``destination``."""
    for path, text in expected_stubs(gutted=gutted).items():
        target = destination / path.relative_to(LESSONS_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return destination
