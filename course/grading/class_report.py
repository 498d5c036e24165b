"""`make class-report`: one page that shows an instructor where the class is stuck (after `make grade-all`).

It reads the grading output (``gradebook.json``, one folder per submission)
and writes ``class-report.json`` (the data, for a spreadsheet or an LMS) and
``class-report.html`` built from that data alone: one self-contained page (its
pictures inline, no server, no network) with the score distribution, every
check by pass rate with its most common failure messages, learners by lessons,
the lessons' grading times and the submissions that hit a limit, and the hidden
checks apart (this page is the instructor's: it is never copied into what
learners see). Everything a learner wrote or named is escaped.
"""

from __future__ import annotations

import base64
import html
import io
import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from course.grading.scoring import Grade, LessonScore
from course.lessons import all_lessons

LIMIT_WORDS = ("used up its", "ran out of", "ran past", "deadline", "processes", "refused", "tampering", "stopped")
PAGE = 50  # learners per fold of the grid


def load_grades(out: Path) -> tuple[list[Grade], dict]:
    """The grades of a grade-all run's output folder; a clear SystemExit where there are none."""
    book = out / "gradebook.json"
    try:
        data = json.loads(book.read_text())
    except (OSError, ValueError) as error:
        raise SystemExit(
            f"No gradebook at {book} ({type(error).__name__}): run `make grade-all OUT={out}` first."
        ) from None
    return [Grade.from_dict(item) for item in data.get("grades", [])], data.get("summary", {})


def _state(lesson: LessonScore) -> str:
    if lesson.all_passed:
        return "complete"
    if lesson.reasons and lesson.score == 0:
        return "broken"
    if lesson.checks and all(check.status in ("todo", "not run") for check in lesson.checks):
        return "not started"
    return "partial"


def report_data(grades: list[Grade], summary: dict) -> dict:
    """Everything the page shows, as plain data (the JSON beside the page)."""
    known = {lesson.id: lesson for lesson in all_lessons()}
    lesson_ids = sorted({lesson.id for grade in grades for lesson in grade.lessons})
    checks: dict[str, dict] = {}
    failures: dict[str, Counter] = defaultdict(Counter)
    times: dict[int, list] = defaultdict(list)
    limits = []
    learners = []
    for grade in grades:
        row = {"name": grade.submission, "status": grade.status, "score": grade.score, "max": grade.max_score}
        row["report"] = f"submissions/{grade.submission}/report.txt"
        row["lessons"] = {}
        for lesson in grade.lessons:
            row["lessons"][str(lesson.id)] = {"score": lesson.score, "max": lesson.max_score, "state": _state(lesson)}
            if lesson.seconds is not None:
                times[lesson.id].append((lesson.seconds, grade.submission))
            limits += [
                {"learner": grade.submission, "lesson": lesson.id, "reason": reason}
                for reason in lesson.reasons
                if any(word in reason for word in LIMIT_WORDS)
            ]
            for check in lesson.checks:
                entry = checks.setdefault(
                    check.nodeid,
                    {"lesson": lesson.id, "nodeid": check.nodeid, "name": check.name, "hidden": check.hidden}
                    | {"passed": 0, "failed": 0, "not started": 0, "not run": 0},
                )
                entry["todos"] = getattr(check, "todos", None) or entry.get("todos", [])
                kind = {"passed": "passed", "todo": "not started", "not run": "not run"}.get(check.status, "failed")
                entry[kind] += 1
                if kind == "failed":
                    failures[check.nodeid][check.message.strip().splitlines()[0] if check.message.strip() else ""] += 1
        learners.append(row)
    for nodeid, entry in checks.items():
        total = entry["passed"] + entry["failed"] + entry["not started"] + entry["not run"]
        entry["total"], entry["pass_rate"] = total, entry["passed"] / total if total else 0.0
        entry["messages"] = [{"message": text, "learners": count} for text, count in failures[nodeid].most_common()]
    ranked = sorted(checks.values(), key=lambda entry: (entry["pass_rate"], entry["lesson"], entry["name"]))
    lessons = []
    for lesson_id in lesson_ids:
        cells = [row["lessons"][str(lesson_id)] for row in learners if str(lesson_id) in row["lessons"]]
        scores, states = [cell["score"] for cell in cells], Counter(cell["state"] for cell in cells)
        seconds = sorted(times[lesson_id], reverse=True)
        lesson = known.get(lesson_id)
        lessons.append(
            {
                "id": lesson_id,
                "title": lesson.title if lesson else f"lesson {lesson_id}",
                "points": lesson.points if lesson else None,
                "mean": statistics.fmean(scores) if scores else 0.0,
                "states": dict(states),
                "median_seconds": statistics.median([s for s, _ in seconds]) if seconds else None,
                "slowest": [{"learner": name, "seconds": s} for s, name in seconds[:5]],
            }
        )
    missing = [lesson.id for lesson in all_lessons() if lesson.id not in lesson_ids]
    totals = [grade.score for grade in grades]
    return {
        "summary": {
            "submissions": len(grades),
            "mean": statistics.fmean(totals) if totals else 0.0,
            "median": statistics.median(totals) if totals else 0.0,
            "max_score": max((grade.max_score for grade in grades), default=0),
            "hidden_checks": summary.get("hidden_checks", "unknown"),
            "lessons_not_graded": missing,
        },
        "lessons": lessons,
        "checks": [entry for entry in ranked if not entry["hidden"]],
        "hidden_checks": [entry for entry in ranked if entry["hidden"]],
        "learners": learners,
        "limits": limits,
    }


def _picture(grades: list[Grade]) -> str:
    from course.grading.gradebook import plot_scores

    buffer = io.BytesIO()
    plot_scores(grades, buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def _checks_table(entries: list[dict], caption: str) -> str:
    rows = []
    for entry in entries:
        todos = ", ".join(map(str, entry.get("todos") or [])) or "-"
        messages = "".join(
            f"<li>{html.escape(item['message'] or '(no message)')} <span class=n>× {item['learners']}</span></li>"
            for item in entry["messages"]
        )
        folded = f"<details><summary>{len(entry['messages'])} message(s)</summary><ul>{messages}</ul></details>"
        rows.append(
            f"<tr><td class=rate>{entry['pass_rate']:.0%}</td><td>{entry['lesson']}</td><td>{html.escape(todos)}</td>"
            f"<td>{html.escape(entry['name'])}</td><td>{entry['passed']}/{entry['total']}"
            f" <span class=n>({entry['not started']} not started)</span></td>"
            f"<td>{folded if entry['messages'] else ''}</td></tr>"
        )
    head = "<tr><th>passed</th><th>lesson</th><th>TODO</th><th>check</th><th>learners</th><th>failures</th></tr>"
    return f"<table class=checks><caption>{caption}</caption>{head}{''.join(rows)}</table>"


def _grid(data: dict) -> str:
    ids = [lesson["id"] for lesson in data["lessons"]]
    head = "<tr><th>learner</th><th>status</th><th>total</th>" + "".join(f"<th>{i}</th>" for i in ids) + "</tr>"
    folds = []
    learners = sorted(data["learners"], key=lambda row: row["name"])
    for start in range(0, max(1, len(learners)), PAGE):
        rows = []
        for row in learners[start : start + PAGE]:
            cells = []
            for lesson_id in ids:
                cell = row["lessons"].get(str(lesson_id))
                text = f"{cell['score']:g}" if cell else "-"
                state = cell["state"].replace(" ", "-") if cell else "missing"
                cells.append(f"<td class='{state}' title='{state}'>{text}</td>")
            link = html.escape(row["report"], quote=True)
            name = f'<a href="{link}">{html.escape(row["name"])}</a>'
            rows.append(f"<tr><td>{name}</td><td>{html.escape(row['status'])}</td><td>{row['score']:g}</td>")
            rows[-1] += "".join(cells) + "</tr>"
        label = f"learners {start + 1}-{min(start + PAGE, len(learners))} of {len(learners)}"
        folds.append(f"<details{' open' if start == 0 else ''}><summary>{label}</summary><table>{head}")
        folds[-1] += "".join(rows) + "</table></details>"
    return "".join(folds)


STYLE = """body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}table{border-collapse:collapse;
margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}caption{text-align:
left;font-weight:bold;padding:.3em 0}.n{color:#777}.rate{font-weight:bold}td.complete{background:#c8e6c9}td.partial{
background:#fff3c4}td.broken{background:#f8c4c4}td.not-started,td.missing{background:#eee;color:#888}img{max-width:100%}"""


def render_html(data: dict, picture: str | None) -> str:
    """The page, from the report's data (and the scores' picture, base64 PNG)."""
    summary = data["summary"]
    lessons = "".join(
        f"<tr><td>{lesson['id']} · {html.escape(lesson['title'])}</td><td>{lesson['mean']:.1f}/{lesson['points']}</td>"
        f"<td>{', '.join(f'{count} {html.escape(state)}' for state, count in sorted(lesson['states'].items()))}</td>"
        f"<td>{lesson['median_seconds'] or 0:.0f} s</td><td>"
        + ", ".join(f"{html.escape(item['learner'])} ({item['seconds']:.0f} s)" for item in lesson["slowest"])
        + "</td></tr>"
        for lesson in data["lessons"]
    )
    limits = "".join(
        f"<li>{html.escape(item['learner'])}, lesson {item['lesson']}: {html.escape(item['reason'])}</li>"
        for item in data["limits"]
    )
    missing = summary["lessons_not_graded"]
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Class report</title>",
        f"<style>{STYLE}</style></head><body><h1>Class report</h1>",
        f"<p>{summary['submissions']} submissions · mean {summary['mean']:.1f}/{summary['max_score']:g} · median "
        f"{summary['median']:.1f} · hidden checks: {html.escape(str(summary['hidden_checks']))}</p>",
        f"<p class=n>Lessons not in this grading: {', '.join(map(str, missing))}.</p>" if missing else "",
        f"<img alt='Scores per lesson and in total' src='data:image/png;base64,{picture}'>" if picture else "",
        "<h2>Where the class is stuck</h2>",
        _checks_table(data["checks"], "Every public check, the most failed first"),
        "<h2>Learners by lesson</h2><p class=n>Green: complete · yellow: partial · red: broken · grey: not started. "
        "A name opens that learner's report.</p>",
        _grid(data),
        "<h2>Lessons: points, states and grading time</h2><table><tr><th>lesson</th><th>mean</th><th>learners</th>"
        f"<th>median time</th><th>slowest</th></tr>{lessons}</table>",
        f"<h2>Limits hit and refusals</h2><ul>{limits or '<li>none</li>'}</ul>",
        "<h2>Hidden checks (for you only)</h2>",
        _checks_table(data["hidden_checks"], "Hidden checks, the most failed first")
        if data["hidden_checks"]
        else "<p class=n>No hidden checks in this grading.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_class_report(out: Path) -> tuple[Path, Path]:
    """`make class-report`: class-report.json and class-report.html in the grading output folder ``out``."""
    grades, summary = load_grades(out)
    data = report_data(grades, summary)
    (out / "class-report.json").write_text(json.dumps(data, indent=2))
    page = render_html(json.loads((out / "class-report.json").read_text()), _picture(grades) if grades else None)
    (out / "class-report.html").write_text(page, encoding="utf-8")
    return out / "class-report.html", out / "class-report.json"
