"""A class's grades, written down: gradebook.csv, gradebook.json and a histogram of scores per lesson."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from course.grading.scoring import Grade
from course.lessons import all_lessons, display_path


def gradebook_rows(grades: list[Grade], hidden_state: str) -> list[list[str]]:
    """The gradebook's CSV rows, header first."""
    lessons = all_lessons()
    header = ["submission", "status", "score", "max_score", "percent", *(f"lesson_{lesson.id}" for lesson in lessons)]
    rows = [[*header, "public_checks", "hidden_checks", "seconds", "reasons"]]
    for grade in grades:
        by_id = {lesson.id: lesson for lesson in grade.lessons}
        public, hidden = grade.counts(False), grade.counts(True)
        percent = f"{100 * grade.score / grade.max_score:.1f}" if grade.max_score else "0"
        scores = [f"{by_id[lesson.id].score:g}" if lesson.id in by_id else "" for lesson in lessons]
        hidden_cell = f"{hidden[0]}/{hidden[1]}" if hidden_state == "run" else hidden_state
        reasons = "; ".join(grade.reasons + [note for note in grade.notes if note not in grade.reasons])
        rows.append([grade.submission, grade.status, f"{grade.score:g}", f"{grade.max_score:g}", percent, *scores])
        rows[-1] += [f"{public[0]}/{public[1]}", hidden_cell, f"{grade.seconds:.1f}", reasons]
    return rows


def write_gradebook(grades: list[Grade], summary: dict, out: Path) -> None:
    with open(out / "gradebook.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(gradebook_rows(grades, summary["hidden_checks"]))
    (out / "gradebook.json").write_text(
        json.dumps({"summary": summary, "grades": [grade.to_dict() for grade in grades]}, indent=2)
    )
    plot_scores(grades, out / "scores.png")


def plot_scores(grades: list[Grade], path: Path) -> None:
    """A histogram of points per lesson, and of the totals: where did the class get stuck?"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lessons = [
        lesson
        for lesson in all_lessons()
        if any(lesson.id == graded.id for grade in grades for graded in grade.lessons)
    ]
    panels = len(lessons) + 1
    columns = min(4, panels)
    rows = -(-panels // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows), squeeze=False)
    flat = axes.ravel()
    for axis, lesson in zip(flat, lessons):
        scores = [graded.score for grade in grades for graded in grade.lessons if graded.id == lesson.id]
        axis.hist(scores, bins=10, range=(0, lesson.points), color="#4c72b0", edgecolor="white")
        mean = sum(scores) / len(scores)
        axis.axvline(mean, color="#333333", linestyle="--", linewidth=1)
        axis.set_title(f"{lesson.id} · {lesson.title}   (mean {mean:.1f}/{lesson.points})", fontsize=9)
        axis.set_xlim(0, lesson.points)
        axis.set_xlabel("points", fontsize=8)
    total_axis = flat[len(lessons)]
    maximum = max(grade.max_score for grade in grades) or 1
    totals = [grade.score for grade in grades]
    total_axis.hist(totals, bins=10, range=(0, maximum), color="#dd8452", edgecolor="white")
    total_axis.axvline(sum(totals) / len(totals), color="#333333", linestyle="--", linewidth=1)
    total_axis.set_title(f"Total   (mean {sum(totals) / len(totals):.1f}/{maximum:g})", fontsize=9, fontweight="bold")
    total_axis.set_xlim(0, maximum)
    total_axis.set_xlabel("points", fontsize=8)
    for axis in flat[len(lessons) + 1 :]:
        axis.axis("off")
    for axis in flat[: len(lessons) + 1]:
        axis.set_ylabel("submissions", fontsize=8)
        axis.tick_params(labelsize=7)
        axis.yaxis.get_major_locator().set_params(integer=True)
    figure.suptitle(f"Scores of {len(grades)} submissions (dashed: the mean)", fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def class_summary_lines(grades: list[Grade], summary: dict, out: Path) -> list[str]:
    statuses = Counter(grade.status for grade in grades)
    lines = [
        f"\nGraded {len(grades)} submissions in {summary['seconds']:.0f} s with {summary['jobs']} in parallel "
        f"({summary['submissions_per_minute']:.1f} per minute; "
        f"the longest took {summary['longest_submission_s']:.0f} s).",
        "  " + ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())),
    ]
    if summary["hidden_checks"] == "pending":
        lines.append(
            "  Hidden checks are configured but their folder was not found: grades are from the public checks only."
        )
    lines.append(
        f"Written: {display_path(out / 'gradebook.csv')}, {display_path(out / 'gradebook.json')}, "
        f"{display_path(out / 'scores.png')},"
    )
    lines.append(
        f"         and one folder per submission under {display_path(out / 'submissions')}/ (results.json, report.txt)"
    )
    return lines
