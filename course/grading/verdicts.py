"""What a lesson's run produced: the checks' verdicts read from their pipe, the output, the limits that held.

The checks stream one JSON line per check into a pipe only the grader reads.
What arrives is checked against the checks the grader collected before any
learner code ran: a result for a check that does not exist, a second result for
the same check, anything after the final "done" line, or the two control checks
(one must pass, one must fail) coming out wrong is **tampering**.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from course.checking.control import MESSAGE_LIMIT  # characters of one check's message that reach any report
from course.checking.items import HIDDEN_PREFIX

STREAM_LIMIT = 1_000_000  # bytes of results one run may send
LOG_LIMIT = 32_000  # bytes kept of the start and of the end of a run's output


@dataclass
class RunOutcome:
    """What one sandboxed run of a lesson's checks produced."""

    status: int | None  # the checks' process's exit status; None when it was stopped
    records: list[dict] = field(default_factory=list)  # one per check, control checks removed
    done: dict | None = None  # the checks' final line: sandbox violations, collection errors
    tampering: list[str] = field(default_factory=list)
    log: str = ""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    stopped: str | None = None  # "cpu", "wall" or "deadline": why the grader stopped it
    out_of_memory: bool = False
    peak_memory_mb: float | None = None
    limits: list[str] = field(default_factory=list)

    @property
    def ran_out(self) -> bool:
        return self.stopped is not None


class Reader(threading.Thread):
    """Reads a pipe to its end, keeping at most ``limit`` bytes (the head, and the tail when ``tail``)."""

    def __init__(self, stream, limit: int, tail: bool = False):
        super().__init__(daemon=True)
        self.stream, self.limit, self.tail = stream, limit, tail
        self.head, self.end, self.total = bytearray(), bytearray(), 0
        self.changed = threading.Event()

    def run(self):
        for chunk in iter(lambda: self.stream.read1(65536) if hasattr(self.stream, "read1") else b"", b""):
            self.total += len(chunk)
            room = self.limit - len(self.head)
            self.head += chunk[: max(0, room)]
            if self.tail:
                self.end = (self.end + chunk)[-self.limit :]
            self.changed.set()

    def text(self) -> str:
        if self.total <= len(self.head) or not self.tail:
            return self.head.decode(errors="replace")
        return (
            self.head.decode(errors="replace")
            + f"\n[... {self.total - len(self.head) - len(self.end)} bytes left out ...]\n"
            + self.end.decode(errors="replace")
        )


# What the worker's guard can report; anything else is text the learner's code chose.
GUARD_KINDS = (
    "writing outside its folder",
    "changing files outside its folder",
    "using the network",
    "starting another program",
)


def _builtin_name(name) -> str:
    import builtins

    value = getattr(builtins, str(name), None)
    return str(name) if isinstance(value, type) and issubclass(value, BaseException) else "an error of its own class"


def masked(record: dict) -> dict:
    """A hidden check's record with nothing the learner's code chose in what learners can see: an error keeps its
    builtin type and the learner's own file and line, never its text (its message stays for the instructor)."""
    error = record.get("error")
    if isinstance(error, dict):
        kept = {key: error[key] for key in ("file", "line") if key in error}
        record["error"] = {"type": _builtin_name(error.get("type")), "detail": "(a hidden check)", **kept}
    return record


def masked_done(record: dict) -> dict:
    """The hidden run's last line: what the guard refused, by kind only (its details could carry the check's inputs)."""
    violations = record.get("sandbox") if isinstance(record.get("sandbox"), list) else []
    kinds = [item.get("kind") for item in violations if isinstance(item, dict)]
    record["sandbox"] = [
        {"kind": kind if kind in GUARD_KINDS else "something the guard refused", "detail": "(during a hidden check)"}
        for kind in dict.fromkeys(kinds)
    ]
    return record


def read_verdicts(
    outcome: RunOutcome, stream: bytes, total: int, expected: list[dict], sentinels: dict, hidden: bool
) -> None:
    """Parse the streamed lines into ``outcome``; anything that could not come from honest checks is tampering."""
    known = {check["nodeid"] for check in expected if check["hidden"] == hidden}
    seen: dict[str, dict] = {}
    sentinel_status: dict[str, str] = {}
    if total > STREAM_LIMIT:
        outcome.tampering.append(f"the checks sent {total:,} bytes of results (at most {STREAM_LIMIT:,})")
    for line in stream.decode(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if line.strip():
                outcome.tampering.append("a results line that is not JSON")
            continue
        if not isinstance(record, dict):
            outcome.tampering.append("a results line that is not a record")
            continue
        if outcome.done is not None:
            outcome.tampering.append("results sent after the checks had finished")
            break
        if record.get("type") == "done":
            outcome.done = masked_done(record) if hidden else record
            continue
        nodeid = str(record.get("nodeid", ""))
        name = nodeid.rsplit("::", 1)[-1]
        if name in (sentinels["pass"], sentinels["fail"]):
            if name in sentinel_status:
                outcome.tampering.append("a control check reported twice")
            sentinel_status[name] = str(record.get("status"))
            continue
        nodeid = HIDDEN_PREFIX + nodeid if hidden else nodeid
        if nodeid not in known:
            outcome.tampering.append(f"a result for a check that does not exist ({nodeid[:80]})")
            continue
        if nodeid in seen:
            outcome.tampering.append(f"two results for the same check ({nodeid[:80]})")
            continue
        record["nodeid"] = nodeid
        record["message"] = str(record.get("message", ""))[:MESSAGE_LIMIT]
        seen[nodeid] = masked(record) if hidden else record
    outcome.records = list(seen.values())
    passing, failing = sentinel_status.get(sentinels["pass"]), sentinel_status.get(sentinels["fail"])
    if failing == "passed" or (passing is not None and passing != "passed"):
        outcome.tampering.append(
            "the grader's control checks came out wrong (a check that must fail passed, or one that must pass failed)"
        )
    elif outcome.done is not None and (passing is None or failing is None):
        outcome.tampering.append("the grader's control checks did not report")
