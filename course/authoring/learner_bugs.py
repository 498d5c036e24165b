"""The learner-bug catalogue: wrong solutions a learner really writes, graded like mutants.

A mutation operator swaps ``+`` for ``-``; a learner writes code that is
*reasonable and wrong*: a statistic over one sample instead of all, validation
on the data being fit, a shuffle that moves images away from their labels, a
callback that watches the right metric in the wrong direction. Each entry of
``checks/learner_bugs.toml`` is one such bug, written while working through a
lesson as a beginner, without reading the checks: what the learner did (one
line), its kind, and the patch (``old`` text of the solution's TODO region, and
the ``new`` text). ``make mutants`` grades each patched solution exactly as it
grades an AST mutant; every bug must be caught, or carry a ``harmless`` reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from course.lessons import CHECKS_DIR, SOLUTIONS_DIR, get_lesson

CATALOGUE = CHECKS_DIR / "learner_bugs.toml"  # the half the checks were tuned on
HELD_OUT = CHECKS_DIR / "learner_bugs_heldout.toml"  # the half they never were: the figure that counts
KINDS = (
    "subset",
    "leak",
    "order",
    "direction",
    "layers",
    "shuffle",
    "picture",
    "region",
    "off-by-one",
    "ignored-argument",
    "type",
    "edge-case",
    "other",
)


@dataclass
class LearnerBug:
    """One catalogued wrong solution, with the whole patched file (graded like a mutant)."""

    id: str
    lesson: int
    todo: int
    kind: str
    what: str
    line: int
    source: str = field(repr=False)
    harmless: str = ""  # why it changes nothing anyone would see (then it is left out of the score)
    held_out: bool = False  # from the half the checks were never tuned on

    @property
    def operator(self) -> str:
        return f"learner bug ({self.kind})"

    @property
    def description(self) -> str:
        return f"line {self.line}: {self.what} [{self.kind}]"


class CatalogueError(ValueError):
    """An entry of the catalogue that does not apply to its solution any more."""


def _todo_regions(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of every BEGIN TODO ... END TODO region."""
    regions, start = [], None
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("# BEGIN TODO"):
            start = offset
        elif stripped.startswith("# END TODO") and start is not None:
            regions.append((start, offset + len(line)))
            start = None
        offset += len(line)
    return regions


def load(lesson_ids=None, halves=("tuned", "held out")) -> list[LearnerBug]:
    """Every catalogued bug (of ``lesson_ids``, of the ``halves`` asked for), applied to its solution;
    CatalogueError if one does not apply."""
    entries = [
        {**entry, "held_out": path == HELD_OUT}
        for half, path in (("tuned", CATALOGUE), ("held out", HELD_OUT))
        if half in halves and path.exists()
        for entry in tomllib.loads(path.read_text()).get("bug", [])
    ]
    bugs, seen = [], set()
    for entry in entries:
        lesson_id = int(entry["lesson"])
        if lesson_ids is not None and lesson_id not in lesson_ids:
            continue
        bug_id = str(entry["id"])
        if bug_id in seen:
            raise CatalogueError(f"{bug_id}: the id is used twice")
        seen.add(bug_id)
        if entry.get("kind") not in KINDS:
            raise CatalogueError(f"{bug_id}: unknown kind {entry.get('kind')!r} (one of {', '.join(KINDS)})")
        solution = get_lesson(lesson_id).file_in(SOLUTIONS_DIR).read_text()
        old, new = entry["old"], entry["new"]
        if solution.count(old) != 1:
            raise CatalogueError(f"{bug_id}: its `old` text occurs {solution.count(old)} times in the solution")
        where = solution.index(old)
        if not any(start <= where and where + len(old) <= end for start, end in _todo_regions(solution)):
            raise CatalogueError(f"{bug_id}: its `old` text is not inside a TODO region")
        bugs.append(
            LearnerBug(
                id=bug_id,
                lesson=lesson_id,
                todo=int(entry.get("todo", 0)),
                kind=entry["kind"],
                what=str(entry["what"]),
                line=solution[:where].count("\n") + 1,
                source=solution.replace(old, new, 1),
                harmless=str(entry.get("harmless", "")),
                held_out=bool(entry["held_out"]),
            )
        )
    return bugs
