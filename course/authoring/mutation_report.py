"""The mutation score per lesson, and the report of ``make mutants``: a table, and the survivors as diffs."""

from __future__ import annotations

import difflib
import json
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from course.authoring.mutate import Mutant
from course.lessons import ROOT, SOLUTIONS_DIR, all_lessons, display_path, get_lesson

OUTPUT = ROOT / "outputs" / "mutants"


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, timed out, survived, equivalent
    seconds: float
    caught_by: str = ""  # the first check that failed


def score(outcomes: list[Outcome]) -> dict:
    counts = Counter(outcome.status for outcome in outcomes)
    counted = len(outcomes) - counts["equivalent"]
    caught = counts["killed"] + counts["timed out"]
    return {
        "mutants": len(outcomes),
        "equivalent": counts["equivalent"],
        "killed": counts["killed"],
        "timed_out": counts["timed out"],
        "survived": counts["survived"],
        "score": round(100 * caught / counted, 1) if counted else 100.0,
    }


def by_kind(outcomes: list[Outcome]) -> dict:
    """Learner bugs per kind: how many there are, how many the checks caught, how many are harmless."""
    kinds: dict[str, dict] = {}
    for outcome in outcomes:
        entry = kinds.setdefault(outcome.mutant.kind, {"bugs": 0, "caught": 0, "harmless": 0})
        entry["bugs"] += 1
        entry["caught"] += outcome.status in ("killed", "timed out")
        entry["harmless"] += outcome.status == "equivalent"
    return dict(sorted(kinds.items()))


def diff_of(mutant: Mutant) -> str:

    lesson = get_lesson(mutant.lesson)
    path = f"solutions/{lesson.dir}/{lesson.stub}"
    original = lesson.file_in(SOLUTIONS_DIR).read_text().splitlines(keepends=True)
    changed = mutant.source.splitlines(keepends=True)
    header = f"# {mutant.id}: {mutant.description}\n"
    return header + "".join(difflib.unified_diff(original, changed, path, f"{path} (mutant {mutant.id})", n=2))


def learner_cell(learner: dict) -> str:
    """ "12/12 (1 harmless)": catalogued learner bugs caught, of those that change something."""
    if not learner["mutants"]:
        return "-"
    counted = learner["mutants"] - learner["equivalent"]
    caught = learner["killed"] + learner["timed_out"]
    harmless = f" ({learner['equivalent']} harmless)" if learner["equivalent"] else ""
    return f"{caught}/{counted}{harmless}"


def held_out_score(lesson_summary: dict) -> float:
    """The share of the held-out bugs (those that change something) the checks caught, in percent."""
    entry = lesson_summary["held_out"]
    counted = entry["mutants"] - entry["equivalent"]
    return 100 * (entry["killed"] + entry["timed_out"]) / counted if counted else 100.0


def write_report(outcomes: list[Outcome], out: Path = OUTPUT) -> dict:
    """Per-lesson scores to summary.json, and each survivor as a diff under out/lessonNN/."""
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    for lesson in all_lessons():
        mine = [outcome for outcome in outcomes if outcome.mutant.lesson == lesson.id]
        if not mine:
            continue
        folder = out / f"lesson{lesson.id:02d}"
        shutil.rmtree(folder, ignore_errors=True)
        for outcome in mine:
            if outcome.status == "survived" and not outcome.mutant.held_out:
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{outcome.mutant.id}.diff").write_text(diff_of(outcome.mutant))
        ast_ones = [outcome for outcome in mine if not hasattr(outcome.mutant, "kind")]
        bugs = [outcome for outcome in mine if hasattr(outcome.mutant, "kind") and not outcome.mutant.held_out]
        held_out = [outcome for outcome in mine if outcome.mutant.held_out]
        summary[lesson.id] = {
            **score(ast_ones),
            "survivors": [
                {"id": o.mutant.id, "description": o.mutant.description} for o in ast_ones if o.status == "survived"
            ],
            "operators": dict(Counter(outcome.mutant.operator.split(" ")[0] for outcome in ast_ones)),
            "learner": {
                **score(bugs),
                "survivors": [
                    {"id": o.mutant.id, "description": o.mutant.description} for o in bugs if o.status == "survived"
                ],
                "kinds": by_kind(bugs),
            },
            "held_out": score(held_out),  # counted, never listed: not even here, where someone might read them
        }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


def print_report(summary: dict, out: Path = OUTPUT) -> None:
    header = ("Lesson", "Mutants", "Equivalent", "Killed", "Timed out", "Survived", "Score", "Learner bugs", "Held out")
    rows = [
        (
            f"{lesson_id} · {get_lesson(lesson_id).title}",
            str(s["mutants"]),
            str(s["equivalent"]),
            str(s["killed"]),
            str(s["timed_out"]),
            str(s["survived"]),
            f"{s['score']:.1f}%" if s["mutants"] else "-",
            learner_cell(s["learner"]),
            learner_cell(s["held_out"]) + (f" {held_out_score(s):.0f}%" if s["held_out"]["mutants"] else ""),
        )
        for lesson_id, s in summary.items()
    ]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    for row in [header, tuple("-" * width for width in widths), *rows]:
        print(
            "  "
            + "  ".join(
                cell.ljust(width) if column == 0 else cell.rjust(width)
                for column, (cell, width) in enumerate(zip(row, widths))
            )
        )
    kinds = {}
    for s in summary.values():
        for kind, entry in s["learner"]["kinds"].items():
            total = kinds.setdefault(kind, {"bugs": 0, "caught": 0, "harmless": 0})
            for key in total:
                total[key] += entry[key]
    if kinds:
        print(
            "\n  Learner bugs by kind: "
            + ", ".join(f"{k} {e['caught']}/{e['bugs'] - e['harmless']}" for k, e in kinds.items())
        )
    survivors = sum(s["survived"] + s["learner"]["survived"] for s in summary.values())
    held_out = sum(s["held_out"]["survived"] for s in summary.values())
    if held_out:  # counted, never listed: looking at them one by one would tune the checks on them
        print(f"\n{held_out} held-out bug(s) pass the checks (not listed: the held-out half is never tuned on).")
    if survivors:
        print(f"\n{survivors} survivor(s), each saved as a diff under {display_path(out)}/lessonNN/:")
        for s in summary.values():
            for survivor in s["survivors"] + s["learner"]["survivors"]:
                print(f"  {survivor['id']}  {survivor['description']}")
        print("Review each one: a check that catches it, or an entry in checks/mutants.toml if it changes nothing.")
