"""Points and reasons: a ``Grade`` holds a ``LessonScore`` per lesson, which holds a ``CheckResult`` per check.

A lesson's points (lessons.toml) are shared among its checks, public and
hidden, by weight (``@pytest.mark.points``, default 1). A check that did not
run scores nothing. A lesson whose code dodges its checks, trips the audit
hook or is caught tampering scores 0, with the reason named. Each object
renders itself as a dict (``grade.json``); ``course.grading.reports`` renders a
Grade as a text report and as Gradescope's results.json.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from course.checking.budget import wall_backstop
from course.grading import integrity

ZERO = "; 0 points for this lesson"

HIDDEN_FAILURE = "This hidden check did not pass. Your instructor can see why (grade.json)."


@dataclass
class CheckResult:
    name: str
    nodeid: str
    hidden: bool
    weight: float
    status: str  # passed, failed, error, timeout, todo, or "not run"
    message: str
    error: dict | None = None
    score: float = 0.0
    max_score: float = 0.0
    todos: list = field(default_factory=list)  # the lesson file's TODOs this check grades


@dataclass
class LessonScore:
    id: int
    title: str
    label: str
    max_score: float
    score: float
    checks: list[CheckResult]
    reasons: list[str] = field(default_factory=list)
    seconds: float | None = None
    cpu_seconds: float | None = None  # what its processes computed (the budget counts this)
    peak_memory_mb: float | None = None  # the most memory one of its sandboxes held (where a cgroup measured it)

    def counts(self, hidden: bool) -> tuple[int, int]:
        """(passed, total) of this lesson's public (or hidden) checks."""
        mine = [check for check in self.checks if check.hidden == hidden]
        return sum(check.status == "passed" for check in mine), len(mine)

    def verdict(self, check: CheckResult) -> tuple[bool, str]:
        """What a learner is told of one check: passed or not, and why.

        A hidden check's own message (its expected values) stays with the
        instructor; a passed check of a voided lesson fails with the lesson's reason.
        """
        message = check.message if check.status != "passed" else ""
        if check.hidden and message:
            message = HIDDEN_FAILURE
        if self.reasons and check.status == "passed" and check.score == 0:
            message = "; ".join(self.reasons)
        passed = check.score > 0 or (check.status == "passed" and check.max_score == 0 and not self.reasons)
        return passed, message

    @property
    def all_passed(self) -> bool:
        """Every check ran and passed, and nothing voided the lesson (a lesson worth 0 points included)."""
        return bool(self.checks) and all(check.status == "passed" for check in self.checks) and not self.reasons

    def to_dict(self) -> dict:
        data = asdict(self)
        data["public"] = dict(zip(("passed", "total"), self.counts(False)))
        data["hidden"] = dict(zip(("passed", "total"), self.counts(True)))
        return data

    @classmethod
    def from_dict(cls, data: dict) -> LessonScore:
        checks = [CheckResult(**known(CheckResult, check)) for check in data.get("checks", [])]
        return cls(**{**known(cls, data), "checks": checks})


@dataclass
class Grade:
    submission: str
    source: str
    checks_fingerprint: str
    hidden_checks: str  # "run", "pending" (configured but not here) or "none"
    lessons: list[LessonScore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = "graded"  # complete, graded, broken, no submission, checks modified
    score: float = 0.0
    max_score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0
    modified: list[str] = field(default_factory=list)
    isolation: str = ""
    limits: list[str] = field(default_factory=list)  # which limits held for the learner's code, in words

    def counts(self, hidden: bool) -> tuple[int, int]:
        """(passed, total) of every lesson's public (or hidden) checks."""
        pairs = [lesson.counts(hidden) for lesson in self.lessons]
        return sum(passed for passed, _ in pairs), sum(total for _, total in pairs)

    @property
    def checks_that_ran_passed(self) -> bool:
        """Every lesson's every check passed (hidden checks that are not here did not run), nothing voided."""
        return bool(self.lessons) and all(lesson.all_passed for lesson in self.lessons) and not self.reasons

    @property
    def everything_passed(self) -> bool:
        """Every point earned: never true while a hidden check is pending or a lesson was voided."""
        return self.checks_that_ran_passed and self.score == self.max_score and self.hidden_checks != "pending"

    def finish(self, graded: bool, seconds: float) -> Grade:
        """Total the lessons and decide the status."""
        self.score = round(sum(lesson.score for lesson in self.lessons), 2)
        self.max_score = sum(lesson.max_score for lesson in self.lessons)
        if graded:
            self.reasons = [f"lesson {lesson.id}: {reason}" for lesson in self.lessons for reason in lesson.reasons]
        else:
            self.reasons = self.notes[:1]
        if not graded:
            self.status = "no submission"
        elif self.reasons:
            self.status = "broken"
        else:
            self.status = "complete" if self.everything_passed else "graded"
        self.seconds = round(seconds, 1)
        return self

    def to_dict(self) -> dict:
        data = asdict(self)
        data["lessons"] = [lesson.to_dict() for lesson in self.lessons]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Grade:
        lessons = [LessonScore.from_dict(lesson) for lesson in data.get("lessons", [])]
        return cls(**{**known(cls, data), "lessons": lessons})


def known(cls, data: dict) -> dict:
    """The fields of dataclass ``cls`` in ``data``, written by this grader or another version (the rest dropped)."""
    names = {field.name for field in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def shares_of(points: float, weights: list[float]) -> list[float]:
    """``points`` shared by weight, in hundredths that add up to exactly ``points`` (largest remainders get a cent)."""
    total = sum(weights)
    if not weights or total <= 0:
        return [0.0] * len(weights)
    exact = [100 * points * weight / total for weight in weights]
    cents = [math.floor(share) for share in exact]
    by_remainder = sorted(range(len(weights)), key=lambda index: cents[index] - exact[index])
    for index in by_remainder[: round(100 * points) - sum(cents)]:
        cents[index] += 1
    return [cent / 100 for cent in cents]


def score_lesson(
    lesson, expected: list[dict], records: list[dict], missing: str, reasons: list[str], seconds=None
) -> LessonScore:
    """One lesson's points from the checks that reported (``records``); the others are ``missing``."""
    by_id = {record["nodeid"]: record for record in records}
    zeroed = any(reason.endswith(ZERO) for reason in reasons)
    shares = shares_of(lesson.points, [wanted["points"] for wanted in expected])
    checks = []
    for wanted, max_score in zip(expected, shares):
        found = by_id.get(wanted["nodeid"])
        status = str(found["status"]) if found else "not run"
        earned = status == "passed" and not zeroed
        checks.append(
            CheckResult(
                name=wanted["name"],
                nodeid=wanted["nodeid"],
                hidden=wanted["hidden"],
                weight=wanted["points"],
                status=status,
                message=str(found.get("message", "")) if found else missing,
                error=found.get("error") if found else None,
                score=max_score if earned else 0.0,
                max_score=max_score,
                todos=[int(todo) for todo in found.get("todos") or [] if str(todo).isdigit()] if found else [],
            )
        )
    score = round(sum(check.score for check in checks), 2)  # the lesson is the sum of its checks, to the cent
    return LessonScore(lesson.id, lesson.title, lesson.label, lesson.points, score, checks, reasons, seconds)


def dodge_reasons(lesson, tree: Path) -> list[str]:
    """A missing file, or code that dodges its checks (each dodge costs the whole lesson)."""
    stub = lesson.file_in(tree)
    if not stub.is_file():
        return [f"lessons/{lesson.dir}/{lesson.stub} is missing"]
    lines_by_reason: dict[str, list[int]] = {}
    for flag in integrity.dodges(stub.read_text(errors="replace"), str(stub)):
        lines_by_reason.setdefault(flag.reason, []).append(flag.line)
    return [
        f"{reason} (lessons/{lesson.dir}/{lesson.stub}, "
        f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}){ZERO}"
        for reason, lines in lines_by_reason.items()
    ]


def run_reasons(
    lesson, run, budget: float, memory_mb: int, deadline: float | None = None, check_seconds: float | None = None
) -> list[str]:
    """Why one sandboxed run went wrong, in words: tampering, the audit hook, errors, time, memory."""
    reasons = [f"tampering detected: {what}{ZERO}" for what in dict.fromkeys(run.tampering)]
    for violation in (run.done or {}).get("sandbox", []):
        where = f" ({violation['where']})" if violation.get("where") else ""
        reason = f"tried {violation['kind']}: {violation['detail']}{where}{ZERO}"
        if reason not in reasons:
            reasons.append(reason)
    errors = [record.get("error") for record in run.records if record.get("error")]
    for kinds, words in (
        (("SyntaxError", "IndentationError", "TabError"), None),
        (("ModuleNotFoundError",), "imports a package the course does not install"),
    ):
        error = next((error for error in errors if error.get("type") in kinds), None)
        if error and words:
            reasons.append(f"{words} ({error.get('detail')})")
        elif error:
            reasons.append(f"{error['type']} in {error.get('file', lesson.stub)}, line {error.get('line', '?')}")
    if any(error.get("type") == "MemoryError" for error in errors) or getattr(run, "out_of_memory", False):
        reasons.append(f"ran out of its {memory_mb:,} MB of memory")
    timed_out = [record for record in run.records if record.get("status") == "timeout"]
    if timed_out:
        reasons.append(
            f"{len(timed_out)} check(s) ran past the {check_seconds or lesson.timeout_s:g} s limit "
            "(a loop that never ends?)"
        )
    stopped = getattr(run, "stopped", None)
    if stopped == "cpu":
        reasons.append(f"stopped: the lesson used up its {budget:g} s of computing")
    elif stopped == "wall":
        reasons.append(
            f"stopped: the lesson ran past its wall-clock backstop ({wall_backstop(budget):g} s; a very busy machine?)"
        )
    elif stopped == "deadline":
        reasons.append(f"stopped: the submission used up its {deadline or 0:g} s deadline")
    elif run.done is None and not run.tampering:
        reasons.append(
            f"the checks' process ended without finishing (exit status {run.status}): "
            "did the code end the process, or use too much memory?"
        )
    return reasons
